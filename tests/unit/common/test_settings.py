"""Process settings: a missing or malformed variable stops the process and says which one."""

import pytest
from pydantic import ValidationError

from services.common.settings import AuthzCallerSettings, BaseServiceSettings, load_settings

REQUIRED = ("DATABASE_URL", "NATS_URL", "AUTH_PUBLIC_KEY")
OPTIONAL = (
    "GRPC_LISTEN",
    "AUTH_ISSUER",
    "AUTH_AUDIENCE",
    "DB_POOL_SIZE",
    "GRPC_CALL_TIMEOUT_SECONDS",
    "AUTHZ_ADDR",
    "AUTHZ_CALL_TIMEOUT_SECONDS",
    "LOG_LEVEL",
)


@pytest.fixture
def environment(monkeypatch):
    """A clean environment with every required variable set."""
    for name in REQUIRED + OPTIONAL:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://journal@db/elevhalsa")
    monkeypatch.setenv("NATS_URL", "nats://nats:4222")
    monkeypatch.setenv("AUTH_PUBLIC_KEY", "-----BEGIN PUBLIC KEY-----")
    return monkeypatch


def exit_message(cls=BaseServiceSettings) -> str:
    with pytest.raises(SystemExit) as caught:
        load_settings(cls)
    return str(caught.value.code)


def test_settings_are_read_from_the_environment(environment):
    environment.setenv("DB_POOL_SIZE", "25")
    settings = load_settings(BaseServiceSettings)
    assert settings.database_url == "postgresql+psycopg://journal@db/elevhalsa"
    assert settings.nats_url == "nats://nats:4222"
    assert settings.db_pool_size == 25
    assert settings.auth_audience == "elevhalsa"


@pytest.mark.parametrize("name", REQUIRED)
def test_a_missing_required_variable_stops_the_process_naming_it(environment, name):
    environment.delenv(name)
    message = exit_message()
    assert "missing" in message
    assert name in message
    assert not {other for other in REQUIRED if other != name and other in message}


def test_every_missing_variable_is_named_at_once(environment):
    for name in REQUIRED:
        environment.delenv(name)
    message = exit_message()
    assert all(name in message for name in REQUIRED)


def test_a_malformed_variable_stops_the_process_naming_it(environment):
    environment.setenv("DB_POOL_SIZE", "ten")
    message = exit_message()
    assert "invalid" in message
    assert "DB_POOL_SIZE" in message


def test_settings_cannot_be_changed_once_read(environment):
    settings = load_settings(BaseServiceSettings)
    with pytest.raises(ValidationError):
        settings.nats_url = "nats://elsewhere:4222"


def test_a_service_that_asks_authz_gives_it_a_deadline_well_under_two_seconds_of_its_own(environment):
    environment.setenv("AUTHZ_ADDR", "authz:50051")
    settings = load_settings(AuthzCallerSettings)
    assert settings.authz_call_timeout_seconds < 2 < settings.grpc_call_timeout_seconds
    environment.setenv("AUTHZ_CALL_TIMEOUT_SECONDS", "0.8")
    assert load_settings(AuthzCallerSettings).authz_call_timeout_seconds == 0.8


def test_a_service_that_asks_authz_stops_without_its_address_or_with_a_deadline_of_zero(environment):
    assert "AUTHZ_ADDR" in exit_message(AuthzCallerSettings)
    environment.setenv("AUTHZ_ADDR", "authz:50051")
    environment.setenv("AUTHZ_CALL_TIMEOUT_SECONDS", "0")
    assert "AUTHZ_CALL_TIMEOUT_SECONDS" in exit_message(AuthzCallerSettings)
