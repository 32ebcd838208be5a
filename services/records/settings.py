"""Records' settings."""

from services.common.settings import AuthzCallerSettings


class RecordsSettings(AuthzCallerSettings):
    identity_addr: str
