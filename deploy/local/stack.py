"""The whole system as local processes: what `make run` starts and what the end-to-end tests drive."""

import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from deploy.local.infra import EmbeddedNats, EmbeddedPostgres, free_port, port_is_free, wait_for_port
from deploy.local.nats_accounts import load_or_create_passwords
from services.common.auth import generate_key_pair
from services.common.migrations import upgrade

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
SERVICES = ("identity", "authz", "records", "imports")
DEFAULT_GATEWAY_PORT = 8080


@dataclass
class StackConfig:
    var_dir: Path
    database_url: str | None = None  # use this server instead of an embedded one
    nats_url: str | None = None  # use this server instead of an embedded one
    database_name: str = "elevhalsa"
    gateway_port: int | None = None  # default: 8080 if free, else any free port
    extra_env: dict[str, str] = field(default_factory=dict)


class LocalStack:
    def __init__(self, config: StackConfig):
        self.config = config
        self.var = config.var_dir
        self.postgres: EmbeddedPostgres | None = None
        self.nats: EmbeddedNats | None = None
        self.database_url = config.database_url or ""
        self.nats_url = config.nats_url or ""
        self.ports: dict[str, int] = {}
        self.processes: dict[str, subprocess.Popen] = {}
        self.signing_key, self.public_key = "", ""

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    @property
    def log_dir(self) -> Path:
        return self.var / "log"

    def start(self) -> None:
        """Start everything and return when the gateway answers; stops what started if anything fails."""
        try:
            self.var.mkdir(parents=True, exist_ok=True)
            self.log_dir.mkdir(exist_ok=True)
            self._load_keys()
            self._start_infrastructure()
            for service in SERVICES:
                upgrade(service, self.database_url)
            self.ports.update({service: free_port() for service in SERVICES})
            for service in SERVICES:
                self._spawn(service, [sys.executable, "-m", f"services.{service}"])
            for service in SERVICES:
                wait_until_serving(service, self.ports[service], self.processes[service])
            self.ports["gateway"] = self._gateway_port()
            self._spawn("gateway", [sys.executable, "-m", "gateway"])
            wait_for_port(self.ports["gateway"], 30, self.processes["gateway"])
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the gateway, then the services, then NATS and PostgreSQL."""
        stop_processes([self.processes.pop("gateway")] if "gateway" in self.processes else [])
        stop_processes([self.processes.pop(name) for name in SERVICES if name in self.processes])
        if self.nats:
            self.nats.stop()
        if self.postgres:
            self.postgres.stop()

    def env(self, name: str) -> dict[str, str]:
        """The environment of one process: everything it knows comes from here."""
        env = dict(os.environ)
        env.update(
            DATABASE_URL=self.database_url,
            AUTH_PUBLIC_KEY=self.public_key,
            IDENTITY_ADDR=f"127.0.0.1:{self.ports['identity']}",
            AUTHZ_ADDR=f"127.0.0.1:{self.ports['authz']}",
            RECORDS_ADDR=f"127.0.0.1:{self.ports['records']}",
            IMPORTS_ADDR=f"127.0.0.1:{self.ports['imports']}",
            PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "build" / "gen")]),
        )
        if name == "identity":
            env["AUTH_SIGNING_KEY"] = self.signing_key
        if name == "imports":
            # A run makes and frees hundreds of thousands of small objects; with Python's own allocator the few
            # that outlive it pin whole arenas, so the process kept most of a run's peak. glibc's malloc, trimmed
            # after each run, gives it back.
            env.setdefault("PYTHONMALLOC", "malloc")
        if name == "gateway":
            env.update(HTTP_HOST="127.0.0.1", HTTP_PORT=str(self.ports["gateway"]))
        else:
            env["GRPC_LISTEN"] = f"127.0.0.1:{self.ports[name]}"
            env["NATS_URL"] = self.nats_url_for(name)
        env.update(self.config.extra_env)
        return env

    def nats_url_for(self, service: str) -> str:
        """The service's own NATS user on the embedded server; a given NATS_URL is used as it is."""
        return self.nats.url_for(service) if self.nats else self.nats_url

    def _spawn(self, name: str, command: list[str]) -> None:
        log_file = (self.log_dir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            command,
            cwd=REPO,
            env=self.env(name),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _load_keys(self) -> None:
        """The token signing key pair, made on the first run and kept in var/keys."""
        keys = self.var / "keys"
        private, public = keys / "signing-key.pem", keys / "public-key.pem"
        if not private.exists():
            keys.mkdir(mode=0o700, exist_ok=True)
            signing, verifying = generate_key_pair()
            private.write_text(signing)
            private.chmod(0o600)
            public.write_text(verifying)
        self.signing_key, self.public_key = private.read_text(), public.read_text()

    def _start_infrastructure(self) -> None:
        if not self.database_url:
            self.postgres = EmbeddedPostgres(self.var / "postgres")
            self.postgres.start()
            self.database_url = self.postgres.ensure_database(self.config.database_name)
        if not self.nats_url:
            passwords = load_or_create_passwords(self.var / "keys" / "nats-passwords.json")
            self.nats = EmbeddedNats(self.var / "nats", self.log_dir / "nats.log", passwords=passwords)
            self.nats.start()
            self.nats_url = self.nats.url

    def _gateway_port(self) -> int:
        if self.config.gateway_port:
            return self.config.gateway_port
        return DEFAULT_GATEWAY_PORT if port_is_free(DEFAULT_GATEWAY_PORT) else free_port()

    def bootstrap(self, org_name: str, admin_email: str, admin_password: str) -> dict:
        """Run identity's bootstrap command; returns its result (org_id, admin_id, created)."""
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "services.identity",
                "bootstrap",
                "--org",
                org_name,
                "--admin-email",
                admin_email,
            ],
            env=dict(self.env("identity"), BOOTSTRAP_ADMIN_PASSWORD=admin_password),
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(result.stdout.strip().splitlines()[-1])

    def check_alive(self) -> list[str]:
        """Names of processes that have exited."""
        return [name for name, process in self.processes.items() if process.poll() is not None]


def stop_processes(processes: list[subprocess.Popen], timeout: float = 40) -> None:
    """SIGTERM all, wait for all, kill what is left."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until_serving(name: str, port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    """Poll the reference gRPC health service until it says SERVING."""
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see its log")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.1)
    raise TimeoutError(f"{name} did not become healthy within {timeout}s")
