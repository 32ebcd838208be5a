"""Session-wide test infrastructure: real PostgreSQL and NATS, a signing key pair."""

import pytest

from services.common.auth import generate_key_pair
from tests.support.infra import NatsForTests, PostgresForTests


@pytest.fixture(scope="session")
def postgres(tmp_path_factory):
    server = PostgresForTests(tmp_path_factory.mktemp("pg"))
    yield server
    server.close()


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory):
    server = NatsForTests(tmp_path_factory.mktemp("nats"))
    yield server
    server.close()


@pytest.fixture(scope="session")
def key_pair() -> tuple[str, str]:
    """(private PEM, public PEM) for signing and verifying test tokens."""
    return generate_key_pair()
