"""The transactional outbox and the idempotent consumer, on real PostgreSQL and JetStream."""

import asyncio
import uuid

import nats
import pytest
from elevhalsa.identity.v1 import events_pb2
from sqlalchemy import func, select

from services.authz.adapters.orm import KIT as AUTHZ_KIT
from services.common.consistency import ConsistencyToken
from services.common.consumer import EventConsumer, read_position
from services.common.db import create_engine, session_factory
from services.common.events import StreamSpec, ensure_stream, event_types
from services.common.migrations import upgrade
from services.common.outbox import OutboxRelay
from services.common.uow import UnitOfWork
from services.identity.adapters.orm import KIT as IDENTITY_KIT
from tests.support.waiting import eventually


@pytest.fixture
async def js(nats_server):
    connection = await nats.connect(nats_server.url)
    yield connection.jetstream()
    await connection.close()


@pytest.fixture
def stream() -> StreamSpec:
    """A stream of this test's own (the relay and consumer are generic over the source)."""
    return StreamSpec(f"kit{uuid.uuid4().hex[:8]}")


@pytest.fixture
async def identity_db(postgres):
    """A database of its own, so that no running relay competes for its outbox."""
    url = postgres.new_database("outbox")
    upgrade("identity", url)
    engine = create_engine(url, application_name="outbox-test", pool_size=2)
    yield url, engine
    await engine.dispose()


async def unpublished(engine) -> int:
    async with engine.connect() as conn:
        outbox = IDENTITY_KIT.outbox
        return await conn.scalar(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        )


async def test_committed_events_are_published_once_with_the_event_id_as_message_id(identity_db, js):
    url, engine = identity_db
    stream = StreamSpec("identity")
    org_id = str(uuid.uuid4())
    async with UnitOfWork(session_factory(engine), IDENTITY_KIT, "identity") as uow:
        uow.publish(org_id, events_pb2.UnitCreated(unit_id=str(uuid.uuid4()), active=True))
        uow.publish(org_id, events_pb2.UserRoleCreated(role_id=str(uuid.uuid4())))
        token = await uow.commit()
    async with UnitOfWork(session_factory(engine), IDENTITY_KIT, "identity") as uow:
        uow.publish(org_id, events_pb2.UserRoleCreated(role_id="never committed"))  # rolled back on exit
    relay = OutboxRelay(engine=engine, database_url=url, kit=IDENTITY_KIT, js=js, stream=stream)
    await ensure_stream(js, stream)
    assert await relay.publish_batch() == 2
    assert await relay.publish_batch() == 0
    assert await unpublished(engine) == 0
    subscription = await js.subscribe("elevhalsa.identity.v1.>", stream=stream.name, ordered_consumer=True)
    ours = []
    while True:
        try:
            message = await subscription.next_msg(timeout=1)
        except nats.errors.TimeoutError:
            break
        if events_pb2.UnitCreated.FromString(message.data).meta.org_id == org_id:
            ours.append(message)
    await subscription.unsubscribe()
    assert [m.subject for m in ours] == [
        "elevhalsa.identity.v1.UnitCreated",
        "elevhalsa.identity.v1.UserRoleCreated",
    ]
    metas = [events_pb2.UnitCreated.FromString(m.data).meta for m in ours]
    assert [m.headers["Nats-Msg-Id"] for m in ours] == [meta.event_id for meta in metas]
    assert [meta.revision for meta in metas] == [1, 2]
    assert ConsistencyToken.decode(token).revisions == {"identity": 2}


async def test_a_redelivered_event_takes_effect_once_and_positions_advance_to_the_highest_revision(
    engine, js, stream
):
    org_id = str(uuid.uuid4())
    await ensure_stream(js, stream)
    events = [events_pb2.UserRoleCreated(role_id=str(uuid.uuid4())) for _ in range(3)]
    for revision, event in enumerate(events, 1):
        event.meta.event_id, event.meta.org_id, event.meta.revision = str(uuid.uuid4()), org_id, revision
    subject = "elevhalsa." + stream.source + ".v1.UserRoleCreated"
    for event in [*events, events[1]]:  # the second event arrives twice, under another NATS message id
        await js.publish(subject, event.SerializeToString(), headers={"Nats-Msg-Id": str(uuid.uuid4())})
    seen: list[str] = []

    async def projection(session, events):
        seen.extend(event.role_id for event in events)

    await consume_until(engine, js, stream, {subject: events_pb2.UserRoleCreated}, projection, org_id, 3)
    assert seen == [e.role_id for e in events]


async def test_event_types_are_found_by_subject():
    registry = event_types(events_pb2)
    assert registry["elevhalsa.identity.v1.AssignmentRevoked"] is events_pb2.AssignmentRevoked


async def test_a_grant_delivered_after_its_revoke_is_applied_first_and_the_revoke_wins(engine, js, stream):
    from services.authz.adapters.orm import KnownAssignment
    from services.authz.service_layer.projections import project

    org_id, assignment_id = str(uuid.uuid4()), str(uuid.uuid4())
    granted = identity_grant(assignment_id)
    revoked = events_pb2.AssignmentRevoked(assignment_id=assignment_id, user_id=granted.user_id)
    await ensure_stream(js, stream)
    for revision, event in [(2, revoked), (1, granted)]:  # the revoke overtakes the grant
        event.meta.event_id, event.meta.org_id, event.meta.revision = str(uuid.uuid4()), org_id, revision
        subject = f"elevhalsa.{stream.source}.v1.{event.DESCRIPTOR.name}"
        await js.publish(subject, event.SerializeToString())
    types = {
        f"elevhalsa.{stream.source}.v1.{cls.DESCRIPTOR.name}": cls
        for cls in (events_pb2.AssignmentGranted, events_pb2.AssignmentRevoked)
    }
    await consume_until(engine, js, stream, types, project, org_id, 2)
    async with session_factory(engine)() as session:
        assert await session.get(KnownAssignment, uuid.UUID(assignment_id)) is None


def identity_grant(assignment_id: str) -> events_pb2.AssignmentGranted:
    return events_pb2.AssignmentGranted(
        assignment_id=assignment_id, user_id=str(uuid.uuid4()), role_id=str(uuid.uuid4()), all_units=True
    )


async def forget_nothing(session, source: str, org_id: str) -> None:
    """The reset of a projection that keeps no state."""


async def consume_until(engine, js, stream, types, projection, org_id: str, revision: int, **options) -> None:
    """Run a consumer until the organisation's position reaches `revision` (asserted), then stop it."""
    consumer = EventConsumer(
        js=js,
        stream=stream,
        durable="test",
        event_types=types,
        projection=projection,
        reset=forget_nothing,
        sessions=session_factory(engine),
        kit=AUTHZ_KIT,
        **options,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))

    async def position() -> int:
        async with session_factory(engine)() as session:
            return await read_position(session, AUTHZ_KIT, stream.source, org_id)

    async def all_settled() -> bool:
        """JetStream holds nothing more for the consumer: everything it delivered was handled and acked."""
        info = await js.consumer_info(stream.name, "test")
        return info.num_pending == 0 and info.num_ack_pending == 0

    async def reached() -> bool:
        return await position() >= revision

    try:
        await eventually(reached, timeout=10)
        await eventually(all_settled, timeout=10)  # a duplicate applied twice would have moved it by now
    finally:
        stop.set()
        await task
    assert await position() == revision
