"""Gateway settings."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.settings import DEFAULT_AUTHZ_CALL_TIMEOUT_SECONDS


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    identity_addr: str
    records_addr: str
    authz_addr: str
    imports_addr: str
    auth_public_key: str
    auth_issuer: str = "elevhalsa-identity"
    auth_audience: str = "elevhalsa"
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    grpc_call_timeout_seconds: float = 5.0
    # Reads answered by authz itself (grants) fail closed, with 503, within this; records and imports have
    # their own setting of the same name for the calls they make to authz.
    authz_call_timeout_seconds: float = Field(DEFAULT_AUTHZ_CALL_TIMEOUT_SECONDS, gt=0)
    # The request line and headers together (the HTTP server answers 400 beyond), and how many headers.
    max_header_bytes: int = 16 * 1024
    max_header_count: int = 100
    max_json_body_bytes: int = 1024 * 1024
    max_upload_bytes: int = 64 * 1024 * 1024
    log_level: str = "INFO"
