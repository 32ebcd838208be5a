"""Imports' settings."""

from services.common.settings import BaseServiceSettings


class ImportsSettings(BaseServiceSettings):
    identity_addr: str
    authz_addr: str
    max_import_file_bytes: int = 64 * 1024 * 1024
