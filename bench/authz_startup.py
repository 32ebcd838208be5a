"""authz starting from a large snapshot: time from process start to gRPC health SERVING (its model loaded), and
the process's resident memory.

authz's read-model tables (units, roles, users, assignments, grants, folders, template menus, positions and
its own revisions) are filled with COPY in a database of its own on an embedded PostgreSQL, with an embedded
NATS beside it (its streams empty, so the snapshot is all there is to load). `python -m services.authz serve`
is then started as the stack starts it, several times; each start is timed to SERVING, and its memory
sampled until it has settled. A Check of one of the snapshot's users, carrying a consistency token at the
snapshot's identity revision, must be allowed, so the figure is of a model that holds the facts."""

import random
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import grpc
import psycopg
from elevhalsa.authz.v1 import authz_pb2, authz_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.memory import Sampler, settled
from bench.options import Options
from bench.results import Figure, at_most
from bench.system import Infrastructure, bearer, running_infrastructure
from deploy.local.infra import free_port
from deploy.local.stack import REPO, stop_processes
from services.common.auth import PermissionLevel, TokenSigner
from services.common.consistency import ConsistencyToken
from services.common.db import libpq_url
from services.common.migrations import upgrade

NAME = "authz_startup"
START_TIMEOUT_SECONDS = 120
MB = 1_000_000  # the budget is in MB; /proc reports kB (1,024 bytes)
IDENTITY_REVISION = 400_000  # where the snapshot's durable consumer stood: one event per row, roughly


@dataclass(frozen=True)
class Size:
    users: int
    assignments: int  # spread evenly over the users
    units: int
    roles: int
    folders: int
    menus: int
    grants_per_role: int
    starts: int


FULL = Size(100_000, 200_000, 400, 30, 12, 6, 4, starts=3)
QUICK = Size(10_000, 20_000, 50, 10, 6, 3, 3, starts=1)


@dataclass(frozen=True)
class Org:
    """The ids of the one organisation filled in, and the user the Check asks for."""

    org_id: uuid.UUID
    unit_ids: list[uuid.UUID]
    role_ids: list[uuid.UUID]
    folder_ids: list[uuid.UUID]
    menu_ids: list[uuid.UUID]
    user_ids: list[uuid.UUID]


@dataclass(frozen=True)
class Start:
    """One start of the process: seconds to SERVING, and RSS in MB at SERVING, its peak, settled after."""

    seconds: float
    at_serving_mb: float
    peak_mb: float
    settled_mb: float


def run(options: Options) -> list[Figure]:
    """Fill a database, start authz on it a few times, report the median start and the memory."""
    size = QUICK if options.quick else FULL
    with running_infrastructure(NAME) as infra:
        url = infra.database(NAME)
        upgrade("authz", url)
        began = time.perf_counter()
        org = fill(libpq_url(url), size, random.Random(20261130))
        filled = time.perf_counter() - began
        print(f"  snapshot filled by COPY in {filled:.1f} s", flush=True)
        starts = [start_once(infra, url, org) for _ in range(size.starts)]
    return figures(size, starts)


# --- the snapshot --------------------------------------------------------------------------------------------


def ids(rng: random.Random, count: int) -> list[uuid.UUID]:
    return [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(count)]


def fill(url: str, size: Size, rng: random.Random) -> Org:
    """One organisation of `size` in authz's read-model tables, by COPY; the positions and revisions the
    durable consumer and the grants would have left."""
    org = Org(
        ids(rng, 1)[0],
        ids(rng, size.units),
        ids(rng, size.roles),
        ids(rng, size.folders),
        ids(rng, size.menus),
        ids(rng, size.users),
    )
    with psycopg.connect(url) as db:
        copy(db, "units", ("org_id", "unit_id", "active"), ((org.org_id, u, True) for u in org.unit_ids))
        copy(db, "roles", ("org_id", "role_id"), ((org.org_id, r) for r in org.role_ids))
        copy(db, "folders", ("org_id", "folder_id"), ((org.org_id, f) for f in org.folder_ids))
        copy(db, "template_menus", ("org_id", "menu_id"), ((org.org_id, m) for m in org.menu_ids))
        copy(
            db,
            "grants",
            ("org_id", "role_id", "folder_id", "access", "restriction", "template_menu_id"),
            grants(org, size, rng),
        )
        copy(
            db,
            "users",
            ("org_id", "user_id", "active", "permission_level", "may_sign_notes"),
            users(org, rng),
        )
        copy(
            db,
            "assignments",
            ("assignment_id", "org_id", "user_id", "role_id", "unit_id", "valid_from", "valid_to"),
            assignments(org, size, rng),
        )
        copy(
            db,
            "positions",
            ("source", "org_id", "revision"),
            [("identity", org.org_id, IDENTITY_REVISION), ("records", org.org_id, 100)],
        )
        copy(db, "revisions", ("org_id", "revision"), [(org.org_id, size.roles * size.grants_per_role)])
        db.execute("ANALYZE")
    return org


def copy(db: psycopg.Connection, table: str, columns: tuple[str, ...], rows) -> None:
    with db.cursor() as cursor, cursor.copy(f"COPY authz.{table} ({', '.join(columns)}) FROM STDIN") as out:
        for row in rows:
            out.write_row(row)


def grants(org: Org, size: Size, rng: random.Random):
    """Each role on a few folders; the first role reads and writes the first folder without restriction."""
    for index, role in enumerate(org.role_ids):
        folders = rng.sample(org.folder_ids, size.grants_per_role)
        if index == 0:
            folders[0] = org.folder_ids[0]
        for k, folder in enumerate(folders):
            access = "read_write" if index == 0 and k == 0 else rng.choice(("read", "read_write"))
            restriction = (
                "none" if index == 0 else rng.choice(("none", "none", "case_member", "case_member_notes"))
            )
            menu = rng.choice(org.menu_ids) if access == "read_write" else None
            yield org.org_id, role, folder, access, restriction, menu


def users(org: Org, rng: random.Random):
    """Mostly active members; a few administrators and subadministrators; most may sign."""
    for index, user in enumerate(org.user_ids):
        level = rng.choices(("member", "subadmin", "admin"), (97, 2, 1))[0]
        yield org.org_id, user, index == 0 or rng.random() < 0.95, level, rng.random() < 0.7


def assignments(org: Org, size: Size, rng: random.Random):
    """The assignments spread over the users; a few on all units, some with a period. The first user's first
    is the first role on the first unit, for ever."""
    today = date.today()
    per_user = size.assignments // size.users
    for index in range(size.assignments):
        user = org.user_ids[index // per_user]
        if index == 0:
            yield uuid.UUID(int=index + 1), org.org_id, user, org.role_ids[0], org.unit_ids[0], None, None
            continue
        unit = None if rng.random() < 0.03 else rng.choice(org.unit_ids)
        valid_from = today - timedelta(days=rng.randrange(1, 900)) if rng.random() < 0.2 else None
        valid_to = today + timedelta(days=rng.randrange(-200, 400)) if rng.random() < 0.2 else None
        yield uuid.UUID(int=index + 1), org.org_id, user, rng.choice(org.role_ids), unit, valid_from, valid_to


# --- starting authz ------------------------------------------------------------------------------------------


def start_once(infra: Infrastructure, url: str, org: Org) -> Start:
    """Start authz on the snapshot, time it to SERVING, check it knows the facts, sample its memory, stop."""
    port = free_port()
    with (infra.log_dir / "authz.log").open("ab") as log_file:
        began = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "services.authz", "serve"],
            cwd=REPO,
            env=infra.env("authz", url, port),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        sampler = Sampler({"authz": process.pid}, interval=0.02).start()
        seconds = until_serving(port, process, began)
        at_serving = sampler.now()["authz"]
        check_knows_the_snapshot(infra, port, org)
        low = settled(sampler)["authz"]
        peak = sampler.stop()["authz"]
    finally:
        stop_processes([process])
    start = Start(seconds, mb(at_serving), mb(peak), mb(low))
    print(
        f"  SERVING after {start.seconds:.2f} s; RSS {start.at_serving_mb:.0f} MB then, "
        f"peak {start.peak_mb:.0f} MB, settled {start.settled_mb:.0f} MB",
        flush=True,
    )
    return start


def mb(mib: float) -> float:
    """MiB (as bench.memory reports) in MB."""
    return mib * 1024 * 1024 / MB


def until_serving(port: int, process: subprocess.Popen, began: float) -> float:
    """Seconds from `began` until the gRPC health check says SERVING, polled every 10 ms."""
    deadline = began + START_TIMEOUT_SECONDS
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.perf_counter() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"authz exited with {process.returncode}; see its log")
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return time.perf_counter() - began
            except grpc.RpcError:
                pass
            time.sleep(0.01)
    raise TimeoutError(f"authz was not SERVING after {START_TIMEOUT_SECONDS} s")


def check_knows_the_snapshot(infra: Infrastructure, port: int, org: Org) -> None:
    """The first user may read the first folder at the first unit, as of the snapshot's identity revision."""
    signer = TokenSigner(
        infra.signing_key, issuer="elevhalsa-identity", audience="elevhalsa", ttl_seconds=600
    )
    token = signer.issue(user_id=str(org.user_ids[0]), org_id=str(org.org_id), level=PermissionLevel.MEMBER)
    consistency = ConsistencyToken(str(org.org_id), {"identity": IDENTITY_REVISION}).encode()
    request = authz_pb2.CheckRequest(
        unit_id=str(org.unit_ids[0]),
        folder_id=str(org.folder_ids[0]),
        action=authz_pb2.ACTION_READ,
        consistency_token=consistency,
    )
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        reply = authz_pb2_grpc.AuthzServiceStub(channel).Check(request, metadata=bearer(token), timeout=10)
    if not reply.allowed:
        raise AssertionError(f"authz started without the snapshot's facts: {reply.reason}")


# --- figures ---------------------------------------------------------------------------------------------------


def figures(size: Size, starts: list[Start]) -> list[Figure]:
    """The median start and memory against the budgets; every start in the notes."""

    def each(values: list[float], unit: str) -> str:
        return ", ".join(f"{v:.2f} {unit}" if unit == "s" else f"{v:.0f} {unit}" for v in values)

    what = (
        f"{size.users:,} users, {size.assignments:,} assignments, {size.units:,} units, {size.roles} roles, "
        f"{size.roles * size.grants_per_role} grants in one organisation; median of {len(starts)} start(s)"
    )
    seconds = [s.seconds for s in starts]
    at_serving = [s.at_serving_mb for s in starts]
    peaks = [s.peak_mb for s in starts]
    lows = [s.settled_mb for s in starts]
    return [
        Figure(
            NAME,
            "process start to SERVING",
            statistics.median(seconds),
            "s",
            at_most(10),
            f"{what} ({each(seconds, 's')}); python -m services.authz serve, gRPC health polled every 10 ms",
        ),
        Figure(
            NAME,
            "RSS once serving",
            statistics.median(lows),
            "MB",
            at_most(300),
            f"settled 3 s after SERVING ({each(lows, 'MB')}); at SERVING {each(at_serving, 'MB')}",
        ),
        Figure(
            NAME,
            "peak RSS while starting",
            statistics.median(peaks),
            "MB",
            at_most(300),
            f"sampled every 20 ms from process start ({each(peaks, 'MB')})",
        ),
    ]
