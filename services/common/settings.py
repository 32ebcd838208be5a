"""Process settings: read once from the environment into a frozen object; a missing variable stops the process."""

import sys
from typing import TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

S = TypeVar("S", bound=BaseSettings)
# Well under 2 s end to end: a read that authz cannot decide answers 503 within that.
DEFAULT_AUTHZ_CALL_TIMEOUT_SECONDS = 1.5


class BaseServiceSettings(BaseSettings):
    """Settings every service process needs."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    database_url: str
    # With the service's own NATS user, e.g. nats://records:<password>@nats:4222 (the password is never logged).
    nats_url: str
    grpc_listen: str = "127.0.0.1:50051"
    # PEM of the Ed25519 public key that verifies the callers' JWTs.
    auth_public_key: str
    auth_issuer: str = "elevhalsa-identity"
    auth_audience: str = "elevhalsa"
    db_pool_size: int = 10
    grpc_call_timeout_seconds: float = 5.0
    log_level: str = "INFO"


class AuthzCallerSettings(BaseServiceSettings):
    """Settings of a service that asks authz before it answers."""

    authz_addr: str
    # The deadline of each call to authz, shorter than the general one: reads fail closed, with 503, within
    # 2 s when authz cannot answer (down, frozen, or behind the request's consistency token).
    authz_call_timeout_seconds: float = Field(DEFAULT_AUTHZ_CALL_TIMEOUT_SECONDS, gt=0)


def missing_variables(error: ValidationError) -> list[str]:
    """Environment variable names of the required fields that were absent."""
    return [str(e["loc"][0]).upper() for e in error.errors() if e["type"] == "missing"]


def load_settings(cls: type[S]) -> S:
    """Build the settings from the environment or stop the process naming what is missing or wrong."""
    try:
        return cls()
    except ValidationError as error:
        missing = missing_variables(error)
        if missing:
            sys.exit(f"missing required environment variable(s): {', '.join(missing)}")
        problems = "; ".join(f"{str(e['loc'][0]).upper()}: {e['msg']}" for e in error.errors())
        sys.exit(f"invalid environment variable(s): {problems}")
