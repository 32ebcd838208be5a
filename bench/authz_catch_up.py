"""How many identity events per second authz applies: its live model catching up from empty (the budgeted
figure), and the durable consumer that keeps the snapshot in PostgreSQL, live and draining a backlog.

The live model's catch-up is measured in the bench process, with authz's own LiveModel and ModelFeed: an
empty snapshot, following identity's stream from its first sequence (the stream then holds every event the
run made: the seeding, the users written live and the backlog) until the model has applied the revision of
the last one. It runs while authz is stopped, so that nothing else competes for the stream or the machine."""

import asyncio
import statistics
import time
from dataclasses import dataclass

import grpc
import nats
import psycopg
from elevhalsa.authz.v1 import authz_pb2, authz_pb2_grpc
from elevhalsa.identity.v1 import events_pb2 as identity_events
from elevhalsa.identity.v1 import identity_pb2 as ipb
from elevhalsa.identity.v1 import identity_pb2_grpc

from bench.options import Options
from bench.results import Figure, at_least
from bench.system import (
    Clinic,
    aio_channel,
    bearer,
    new_id,
    open_clinic,
    running_stack,
    start_service,
    stop_service,
    wait_serving,
)
from services.authz.domain.memory import AuthzModel
from services.authz.entrypoints.model_feed import ModelFeed
from services.authz.service_layer.live_model import LiveModel, Snapshot
from services.common.consistency import ConsistencyToken
from services.common.db import libpq_url
from services.common.events import StreamSpec, event_types

NAME = "authz_catch_up"
BATCH = 1000  # users per ApplyImportedUsers call, as the user import sends them
TIMEOUT_SECONDS = 120


@dataclass
class Applied:
    """Users written to identity: when the first and last batches committed, and the last token."""

    first_commit: float
    last_commit: float
    token: str
    events: int


@dataclass
class Feed:
    """The live model's catch-up runs: events in the stream, and seconds from start to the last applied."""

    events: int
    seconds: list[float]


@dataclass
class Drain:
    """A backlog applied by a freshly started authz, as seen in its positions table."""

    first_seen: float
    done: float
    events: int


def run(options: Options) -> list[Figure]:
    """Live catch-up while identity writes, then a backlog written while authz is stopped: the live model
    follows the whole stream from empty, then the restarted authz's durable consumer drains the backlog."""
    live_users, backlog_users, feeds = (1000, 2000, 1) if options.quick else (2000, 20000, 3)
    with running_stack(NAME) as stack:
        clinic = open_clinic(stack)
        since = revision(clinic.consistency)
        live_applied, fresh_at = asyncio.run(live(stack, clinic, live_users, since))
        stop_service(stack, "authz")
        backlog_applied = asyncio.run(
            apply_users(stack, clinic, imported_users(clinic, backlog_users), revision(live_applied.token))
        )
        with psycopg.connect(libpq_url(stack.database_url), autocommit=True) as db:
            wait_until_published(db)
            feed = asyncio.run(
                follow_from_empty(stack, clinic.tenant.org_id, revision(backlog_applied.token), feeds)
            )
            drain = restart_and_drain(stack, db, clinic, revision(live_applied.token), backlog_applied)
        wait_serving(stack, "authz")
        asyncio.run(fresh_check(stack, clinic, backlog_applied.token))  # the public API agrees it is fresh
    return [
        feed_figure(feed),
        live_figure(live_applied, fresh_at),
        backlog_figure(backlog_applied, drain, backlog_users),
    ]


def revision(token: str) -> int:
    """Identity's revision in a consistency token."""
    return ConsistencyToken.decode(token).revisions.get("identity", 0)


def imported_users(clinic: Clinic, count: int) -> list[ipb.ImportedUser]:
    """New users with one assignment each: every one makes a UserChanged and an AssignmentGranted event."""
    prefix = new_id()[:8]
    assignment = ipb.ImportedAssignment(role_id=clinic.role_id, unit_id=clinic.unit_id)
    return [
        ipb.ImportedUser(
            external_id=f"{prefix}-{k}",
            first_name="Bench",
            last_name=f"User {k}",
            email=f"{prefix}-{k}@bench.elevhalsa.se",
            active=True,
            assignments=[assignment],
        )
        for k in range(count)
    ]


async def apply_users(stack, clinic: Clinic, users: list[ipb.ImportedUser], since: int) -> Applied:
    """Send the users to identity's ApplyImportedUsers in batches of 1,000, one after another."""
    first, token = 0.0, ""
    async with aio_channel(stack, "identity") as channel:
        stub = identity_pb2_grpc.IdentityServiceStub(channel)
        for start in range(0, len(users), BATCH):
            request = ipb.ApplyImportedUsersRequest(run_id=new_id(), upserts=users[start : start + BATCH])
            reply = await stub.ApplyImportedUsers(request, metadata=bearer(clinic.tenant.admin), timeout=120)
            first, token = first or time.perf_counter(), reply.consistency_token
    return Applied(first, time.perf_counter(), token, revision(token) - since)


async def fresh_check(stack, clinic: Clinic, token: str) -> float:
    """Retry a Check carrying the token until authz answers it (it says UNAVAILABLE while behind)."""
    request = authz_pb2.CheckRequest(
        unit_id=clinic.unit_id, action=authz_pb2.ACTION_READ, consistency_token=token
    )
    deadline = time.perf_counter() + TIMEOUT_SECONDS
    async with aio_channel(stack, "authz") as channel:
        stub = authz_pb2_grpc.AuthzServiceStub(channel)
        while True:
            try:
                await stub.Check(request, metadata=bearer(clinic.tenant.admin), timeout=10)
                return time.perf_counter()
            except grpc.aio.AioRpcError as error:
                if error.code() != grpc.StatusCode.UNAVAILABLE or time.perf_counter() > deadline:
                    raise


async def live(stack, clinic: Clinic, users: int, since: int) -> tuple[Applied, float]:
    """Write users while authz runs; returns the writes and when a Check with the final token succeeded."""
    applied = await apply_users(stack, clinic, imported_users(clinic, users), since)
    return applied, await fresh_check(stack, clinic, applied.token)


async def follow_from_empty(stack, org_id: str, target: int, runs: int) -> Feed:
    """`runs` times: a fresh LiveModel and ModelFeed, as authz builds them, from an empty snapshot and identity's
    first sequence, timed from the feed's start until the model has applied the organisation's `target`
    revision (the stream's last event)."""
    client = await nats.connect(stack.nats.url)
    try:
        js = client.jetstream()
        events = (await js.stream_info(StreamSpec("identity").name)).state.last_seq
        seconds = [await follow_once(js, org_id, target) for _ in range(runs)]
    finally:
        await client.close()
    return Feed(events, seconds)


async def follow_once(js, org_id: str, target: int) -> float:
    """Seconds until a new live model, fed from identity's first sequence, has applied `target`."""
    connected, stop = asyncio.Event(), asyncio.Event()
    connected.set()
    live = LiveModel(["identity"], TIMEOUT_SECONDS)

    async def empty() -> Snapshot:
        return Snapshot(AuthzModel())

    async def no_quarantine() -> set:
        return set()

    feed = ModelFeed(
        js=js,
        live=live,
        read_snapshot=empty,
        read_quarantine=no_quarantine,
        streams={"identity": event_types(identity_events)},
        durable="bench-no-such-consumer",  # no ack floor to start from: the feed starts at sequence 1
        own_source="authz",
        connected=connected,
    )
    began = time.perf_counter()
    following = asyncio.create_task(feed.run(stop))
    try:
        await live.wait_for(ConsistencyToken(org_id, {"identity": target}))
        return time.perf_counter() - began
    finally:
        stop.set()
        await following


def restart_and_drain(stack, db: psycopg.Connection, clinic: Clinic, since: int, applied: Applied) -> Drain:
    """Start authz again and watch its durable consumer apply the backlog to the read model."""
    start_service(stack, "authz")
    return watch_positions(db, clinic.tenant.org_id, since, since + applied.events)


def wait_until_published(db: psycopg.Connection) -> None:
    """Wait until identity's outbox relay has put every event on NATS."""
    deadline = time.perf_counter() + TIMEOUT_SECONDS
    query = "SELECT count(*) FROM identity.outbox WHERE published_at IS NULL"
    while db.execute(query).fetchone()[0]:
        if time.perf_counter() > deadline:
            raise TimeoutError("identity's outbox was not published within the timeout")
        time.sleep(0.05)


def watch_positions(db: psycopg.Connection, org_id: str, since: int, target: int) -> Drain:
    """Poll authz's applied identity revision: from the first batch it applies until it reaches the target."""
    query = "SELECT revision FROM authz.positions WHERE source = 'identity' AND org_id = %s"
    deadline = time.perf_counter() + TIMEOUT_SECONDS
    first_seen, first_revision = 0.0, since
    while time.perf_counter() < deadline:
        row = db.execute(query, (org_id,)).fetchone()
        applied, now = (row[0] if row else 0), time.perf_counter()
        if applied > since and not first_seen:
            first_seen, first_revision = now, applied
        if applied >= target:
            if first_revision >= target:
                raise RuntimeError("authz applied the whole backlog in one batch: too small to measure")
            return Drain(first_seen, now, target - first_revision)
        time.sleep(0.005)
    raise TimeoutError(f"authz did not catch up within {TIMEOUT_SECONDS} s")


def feed_figure(feed: Feed) -> Figure:
    """Events per second the live model applies catching up from empty; the budgeted figure."""
    seconds = statistics.median(feed.seconds)
    runs = ", ".join(f"{s:.2f} s" for s in feed.seconds)
    note = (
        f"{feed.events:,} identity events (the whole stream) from sequence 1 into an empty LiveModel by authz's "
        f"ModelFeed in the bench process, authz stopped; median of {len(feed.seconds)} run(s) ({runs}), from the "
        "feed's start to the last revision applied"
    )
    return Figure(
        NAME, "live model catch-up from empty", feed.events / seconds, "events/s", at_least(5000), note
    )


def live_figure(applied: Applied, fresh_at: float) -> Figure:
    """Events per second from the first commit until authz answered with the final token: how fast the events
    were written, as much as how fast the running authz's live model applied them."""
    seconds = fresh_at - applied.first_commit
    note = (
        f"the running authz, answering from its live model while identity writes (so mostly identity's rate): "
        f"{applied.events:,} events from ApplyImportedUsers in batches of {BATCH:,} users, from the first commit "
        f"to a Check with the final token; the last commit came {applied.last_commit - applied.first_commit:.1f} s "
        f"after the first, the fresh Check {fresh_at - applied.last_commit:.1f} s after the last"
    )
    return Figure(NAME, "live: first commit to fresh Check", applied.events / seconds, "events/s", None, note)


def backlog_figure(applied: Applied, drain: Drain, users: int) -> Figure:
    """Events per second while a restarted authz's durable consumer drained the backlog into PostgreSQL."""
    note = (
        f"the durable consumer that writes the snapshot (authz's read model in PostgreSQL), not the live model: "
        f"{applied.events:,} events ({users:,} users, UserChanged + AssignmentGranted) queued while authz was "
        f"stopped; rate over the last {drain.events:,} from its first to its last applied batch (authz.positions)"
    )
    return Figure(
        NAME,
        "snapshot writer catch-up (backlog)",
        drain.events / (drain.done - drain.first_seen),
        "events/s",
        None,
        note,
    )
