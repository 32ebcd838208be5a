"""The system under test: a fresh local stack per benchmark and an organisation seeded through the API."""

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import grpc
from elevhalsa.identity.v1 import identity_pb2, identity_pb2_grpc

from deploy.local.demo import personnummer_for
from deploy.local.infra import EmbeddedNats, EmbeddedPostgres, free_port
from deploy.local.stack import REPO, LocalStack, StackConfig, stop_processes, wait_until_serving
from services.common.auth import generate_key_pair
from tests.support.api import PASSWORD, Api, Tenant

# No span export whatever the caller's shell says, so that figures do not depend on a collector.
STACK_ENV = {"OTEL_TRACES_EXPORTER": "none"}


@contextmanager
def running_stack(label: str) -> Iterator[LocalStack]:
    """The whole system with embedded PostgreSQL and NATS in a temporary folder; stopped and removed after."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"elevhalsa-bench-{label}-"))
    stack = LocalStack(StackConfig(var_dir=var_dir, gateway_port=free_port(), extra_env=STACK_ENV))
    ok = False
    try:
        stack.start()
        yield stack
        ok = True
    finally:
        stack.stop()
        if ok:
            shutil.rmtree(var_dir, ignore_errors=True)
        else:
            print(f"  (service logs kept in {stack.log_dir})")


@dataclass
class Infrastructure:
    """Embedded PostgreSQL and NATS without the services, for a benchmark that starts one service itself."""

    var_dir: Path
    postgres: EmbeddedPostgres
    nats: EmbeddedNats
    signing_key: str
    public_key: str

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    def database(self, name: str) -> str:
        """A database of its own on the embedded server (made if missing); its URL."""
        return self.postgres.ensure_database(name)

    def env(self, service: str, database_url: str, grpc_port: int) -> dict[str, str]:
        """A service process's environment, as the stack gives it (deploy/local/stack.py LocalStack.env)."""
        return dict(
            os.environ,
            DATABASE_URL=database_url,
            AUTH_PUBLIC_KEY=self.public_key,
            NATS_URL=self.nats.url_for(service),
            GRPC_LISTEN=f"127.0.0.1:{grpc_port}",
            PYTHONPATH=os.pathsep.join([str(REPO), str(REPO / "build" / "gen")]),
            **STACK_ENV,
        )


@contextmanager
def running_infrastructure(label: str) -> Iterator[Infrastructure]:
    """PostgreSQL and NATS in a temporary folder, stopped and removed after."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"elevhalsa-bench-{label}-"))
    (var_dir / "log").mkdir()
    signing_key, public_key = generate_key_pair()
    postgres = EmbeddedPostgres(var_dir / "postgres")
    nats = EmbeddedNats(var_dir / "nats", var_dir / "log" / "nats.log")
    ok = False
    try:
        postgres.start()
        nats.start()
        yield Infrastructure(var_dir, postgres, nats, signing_key, public_key)
        ok = True
    finally:
        nats.stop()
        postgres.stop()
        if ok:
            shutil.rmtree(var_dir, ignore_errors=True)
        else:
            print(f"  (logs kept in {var_dir / 'log'})")


# A school-health visit as a nurse documents it: ten rows of mixed types.
HEALTH_VISIT = (
    {"heading": "Anamnes", "type": "free_text", "settings": {"max_length": 2000}},
    {"heading": "Längd", "type": "length", "settings": {}, "required": True},
    {"heading": "Vikt", "type": "weight", "settings": {}, "required": True},
    {"heading": "Puls", "type": "integer", "settings": {"min": 30, "max": 220, "unit": "slag/min"}},
    {
        "heading": "Blodtryck, systoliskt",
        "type": "integer",
        "settings": {"min": 50, "max": 250, "unit": "mmHg"},
    },
    {"heading": "Vaccinationer enligt program", "type": "yes_no", "settings": {}},
    {
        "heading": "Kost",
        "type": "single_choice",
        "settings": {"options": ["Allsidig", "Vegetarisk", "Specialkost"]},
    },
    {
        "heading": "Besvär",
        "type": "multiple_choice",
        "settings": {"options": ["Huvudvärk", "Magont", "Sömn", "Trötthet"]},
    },
    {"heading": "Syn och hörsel", "type": "hearing_test", "settings": {}},
    {"heading": "Bedömning", "type": "free_text", "settings": {"max_length": 2000}},
)
HEARING = {
    "left": {"125": 10, "250": 10, "500": 5, "1000": 10, "2000": 15, "4000": 20, "8000": 20},
    "right": {"125": 5, "250": 10, "500": 10, "1000": 5, "2000": 10, "4000": 15, "8000": 15},
}


@dataclass(frozen=True)
class Template:
    """A note template as the bench writes with it: its id and its row ids by heading."""

    id: str
    rows: dict[str, str]

    def body(self, index: int, event_date: date) -> dict:
        """A note of the template with every row filled in, slightly different for each index."""
        values = {
            "Anamnes": f"Besök {index}: eleven berättar om skolan, sömnen och kosten; inga nya besvär.",
            "Längd": 130.0 + index % 40 / 2,
            "Vikt": 28.0 + index % 30 / 5,
            "Puls": 60 + index % 40,
            "Blodtryck, systoliskt": 100 + index % 30,
            "Vaccinationer enligt program": index % 5 != 0,
            "Kost": ("Allsidig", "Vegetarisk", "Specialkost")[index % 3],
            "Besvär": [["Huvudvärk"], ["Sömn", "Trötthet"], ["Magont"]][index % 3],
            "Syn och hörsel": HEARING,
            "Bedömning": "Växer och utvecklas enligt kurvan. Uppföljning vid nästa hälsobesök.",
        }
        return {
            "template_id": self.id,
            "event_date": event_date.isoformat(),
            "rows": [{"row_id": self.rows[heading], "value": value} for heading, value in values.items()],
        }


@dataclass
class Clinic:
    """An organisation with one school, a nurse role granted read-write on one folder, and a nurse."""

    api: Api
    tenant: Tenant
    unit_id: str
    role_id: str
    folder_id: str
    nurse_id: str
    nurse_token: str

    @property
    def consistency(self) -> str:
        """A consistency token at least as fresh as everything the seeding did."""
        return self.tenant.consistency

    def student(self, serial: int = 238) -> str:
        """A new student of the school; returns its id."""
        body = {
            "unit_id": self.unit_id,
            "personnummer": personnummer_for("20150312", serial),
            "first_name": "Elev",
            "last_name": "Benchsson",
        }
        return self.tenant.create("/api/v1/students", body)["id"]

    def template(self, name: str = "Hälsobesök", rows: tuple[dict, ...] = HEALTH_VISIT) -> Template:
        """A note template made by the administrator (10 rows of mixed types unless told)."""
        made = self.tenant.create("/api/v1/note-templates", {"name": name, "rows": list(rows)})
        return Template(made["id"], {row["heading"]: row["id"] for row in made["version"]["rows"]})


def open_clinic(stack: LocalStack) -> Clinic:
    """Seed a clinic through the HTTP gateway; the nurse's token comes from identity's IssueToken."""
    api = Api(stack.gateway_url)
    tenant = Tenant(api, stack)
    unit = tenant.unit()
    role = tenant.role("Skolsköterska")
    folder = tenant.folder("Medicinsk journal")
    tenant.grant(role["id"], folder["id"], "read_write")
    nurse, email = tenant.user()
    tenant.assign(nurse["id"], role["id"], unit["id"])
    token = issue_token(stack, email, PASSWORD)
    return Clinic(api, tenant, unit["id"], role["id"], folder["id"], nurse["id"], token)


def issue_token(stack: LocalStack, email: str, password: str) -> str:
    """A JWT from identity's IssueToken over gRPC."""
    with grpc.insecure_channel(address(stack, "identity")) as channel:
        stub = identity_pb2_grpc.IdentityServiceStub(channel)
        reply = stub.IssueToken(identity_pb2.IssueTokenRequest(email=email, password=password), timeout=10)
    return reply.access_token


def stop_service(stack: LocalStack, name: str) -> None:
    """Stop one service process of the stack (SIGTERM, then kill)."""
    stop_processes([stack.processes.pop(name)])


def start_service(stack: LocalStack, name: str) -> None:
    """Start one service process again, as the stack does, on its old port; the stack stops it at the end."""
    with (stack.log_dir / f"{name}.log").open("ab") as log_file:
        stack.processes[name] = subprocess.Popen(
            [sys.executable, "-m", f"services.{name}"],
            cwd=REPO,
            env=stack.env(name),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_serving(stack: LocalStack, name: str) -> None:
    """Return when the service's gRPC health check says SERVING."""
    wait_until_serving(name, stack.ports[name], stack.processes[name])


def address(stack: LocalStack, service: str) -> str:
    """The loopback address of one service's gRPC port."""
    return f"127.0.0.1:{stack.ports[service]}"


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    """gRPC metadata carrying the token."""
    return (("authorization", f"Bearer {token}"),)


def aio_channel(
    stack: LocalStack, service: str, max_message_bytes: int = 16 * 1024 * 1024
) -> grpc.aio.Channel:
    """A plain asyncio channel (no tracing interceptors, so the client adds as little as it can)."""
    options = [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
    ]
    return grpc.aio.insecure_channel(address(stack, service), options=options)


def new_id() -> str:
    """A random UUID as text."""
    return str(uuid.uuid4())
