"""python -m services.imports [serve | migrate]"""

from services.common.cli import service_main
from services.imports.entrypoints.app import NAME, build_runtime
from services.imports.settings import ImportsSettings

if __name__ == "__main__":
    service_main(NAME, ImportsSettings, build_runtime)
