"""Imports' settings."""

from pydantic import Field

from services.common.settings import AuthzCallerSettings


class ImportsSettings(AuthzCallerSettings):
    identity_addr: str
    max_import_file_bytes: int = 64 * 1024 * 1024
    # Where uploads are written while their run works (IMPORT_UPLOAD_DIR); the system's temp dir if empty.
    import_upload_dir: str = ""
    # A run that would deactivate more than this share of the imported users waits for review
    # (IMPORT_MAX_DEACTIVATED_SHARE), and so does one whose file has more than this share of faulty users
    # (IMPORT_MAX_FAULTY_SHARE).
    import_max_deactivated_share: float = Field(0.10, ge=0, le=1)
    import_max_faulty_share: float = Field(0.10, ge=0, le=1)
