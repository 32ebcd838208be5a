"""Records' settings."""

from services.common.settings import BaseServiceSettings


class RecordsSettings(BaseServiceSettings):
    identity_addr: str
    authz_addr: str
