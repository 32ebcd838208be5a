"""python -m services.records [serve | migrate]"""

from services.common.cli import service_main
from services.records.entrypoints.app import NAME, build_runtime
from services.records.settings import RecordsSettings

if __name__ == "__main__":
    service_main(NAME, RecordsSettings, build_runtime)
