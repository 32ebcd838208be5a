"""Real PostgreSQL and NATS for the test session: embedded ones, or the servers TEST_DATABASE_URL / TEST_NATS_URL name."""

import os
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from deploy.local.infra import EmbeddedNats, EmbeddedPostgres
from services.common.db import libpq_url


class PostgresForTests:
    """Hands out fresh databases on one server and drops them at the end."""

    def __init__(self, workdir: Path):
        self._embedded: EmbeddedPostgres | None = None
        self._server_url = os.environ.get("TEST_DATABASE_URL", "")
        if not self._server_url:
            self._embedded = EmbeddedPostgres(workdir / "postgres")
            self._embedded.start()
            self._server_url = self._embedded.url("postgres")
        self._created: list[str] = []

    def new_database(self, prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(libpq_url(self._server_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        return make_url(self._server_url).set(database=name).render_as_string(hide_password=False)

    def close(self) -> None:
        with psycopg.connect(libpq_url(self._server_url), autocommit=True) as conn:
            for name in self._created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if self._embedded:
            self._embedded.stop()


class NatsForTests:
    """The embedded server with its users, or the server TEST_NATS_URL names (then everyone uses that URL)."""

    def __init__(self, workdir: Path):
        self._embedded: EmbeddedNats | None = None
        self.url = os.environ.get("TEST_NATS_URL", "")  # every right: the test harness's own user
        if not self.url:
            self._embedded = EmbeddedNats(workdir / "nats", workdir / "nats.log")
            self._embedded.start()
            self.url = self._embedded.url

    def url_for(self, service: str) -> str:
        """The URL a service connects with: its own user and permissions."""
        return self._embedded.url_for(service) if self._embedded else self.url

    @property
    def permissions_untested_because(self) -> str:
        """Why the permissions cannot be tested here, or "" if they can."""
        return (
            ""
            if self._embedded
            else "TEST_NATS_URL names an external server whose users the tests do not know"
        )

    def close(self) -> None:
        if self._embedded:
            self._embedded.stop()
