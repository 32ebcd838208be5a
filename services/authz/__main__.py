"""python -m services.authz [serve | migrate]"""

from services.authz.entrypoints.app import NAME, build_runtime
from services.authz.settings import AuthzSettings
from services.common.cli import service_main

if __name__ == "__main__":
    service_main(NAME, AuthzSettings, build_runtime)
