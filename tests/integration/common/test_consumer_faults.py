"""The kit consumer skips event types it does not know, and JetStream redelivers a dead consumer's batch soon."""

import logging
import uuid

import nats
import pytest
from elevhalsa.common.v1.envelope_pb2 import EventEnvelope
from elevhalsa.identity.v1 import events_pb2
from nats.js.api import AckPolicy, ConsumerConfig
from sqlalchemy import select

from services.authz.adapters.orm import KIT as AUTHZ_KIT
from services.common.consumer import ACK_WAIT_SECONDS
from services.common.db import session_factory
from services.common.events import StreamSpec, ensure_stream
from tests.integration.common.test_outbox_and_consumer import consume_until


@pytest.fixture
async def js(nats_server):
    connection = await nats.connect(nats_server.url)
    yield connection.jetstream()
    await connection.close()


@pytest.fixture
def stream() -> StreamSpec:
    return StreamSpec(f"kit{uuid.uuid4().hex[:8]}")


def stamped(event, org_id: str, revision: int):
    event.meta.event_id, event.meta.org_id, event.meta.revision = str(uuid.uuid4()), org_id, revision
    return event


async def test_an_unknown_event_type_is_recorded_and_skipped_and_later_events_still_apply(
    engine, js, stream, caplog
):
    org_id = str(uuid.uuid4())
    await ensure_stream(js, stream)
    unknown_subject = f"elevhalsa.{stream.source}.v1.SomethingNew"
    known_subject = f"elevhalsa.{stream.source}.v1.UserRoleCreated"
    future = stamped(EventEnvelope(), org_id, 1)
    later = [stamped(events_pb2.UserRoleCreated(role_id=str(uuid.uuid4())), org_id, r) for r in (2, 3)]
    await js.publish(unknown_subject, future.SerializeToString())
    for event in later:
        await js.publish(known_subject, event.SerializeToString())
    seen: list[str] = []

    async def projection(session, events):
        seen.extend(event.role_id for event in events)

    caplog.set_level(logging.WARNING, logger="services.common.consumer")
    await consume_until(
        engine, js, stream, {known_subject: events_pb2.UserRoleCreated}, projection, org_id, 3
    )
    assert seen == [event.role_id for event in later]
    assert any(unknown_subject in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    inbox = AUTHZ_KIT.inbox
    async with session_factory(engine)() as session:
        rows = await session.execute(
            select(inbox.c.subject, inbox.c.revision).where(inbox.c.org_id == uuid.UUID(org_id))
        )
        assert sorted(rows, key=lambda row: row.revision) == [
            (unknown_subject, 1),
            (known_subject, 2),
            (known_subject, 3),
        ]


async def test_a_malformed_event_quarantines_only_its_organisation_and_undecodable_bytes_are_skipped(
    engine, js, stream, caplog
):
    bad_org, good_org = str(uuid.uuid4()), str(uuid.uuid4())
    await ensure_stream(js, stream)
    subject = f"elevhalsa.{stream.source}.v1.UserRoleCreated"
    malformed = stamped(events_pb2.UserRoleCreated(role_id="not-a-uuid"), bad_org, 1)
    good = [stamped(events_pb2.UserRoleCreated(role_id=str(uuid.uuid4())), good_org, r) for r in (1, 2)]
    await js.publish(subject, b"\xff\xff no event at all")
    await js.publish(subject, malformed.SerializeToString())
    await js.publish(
        subject,
        stamped(events_pb2.UserRoleCreated(role_id=str(uuid.uuid4())), bad_org, 2).SerializeToString(),
    )
    for event in good:
        await js.publish(subject, event.SerializeToString())
    seen: list[str] = []

    async def projection(session, events):
        seen.extend(event.role_id for event in events)

    def well_formed(event) -> bool:
        return len(event.role_id) == 36

    caplog.set_level(logging.ERROR, logger="services.common.consumer")
    await consume_until(
        engine,
        js,
        stream,
        {subject: events_pb2.UserRoleCreated},
        projection,
        good_org,
        2,
        well_formed=well_formed,
    )
    assert seen == [event.role_id for event in good]
    table = AUTHZ_KIT.quarantine
    async with session_factory(engine)() as session:
        [row] = (await session.execute(select(table).where(table.c.org_id == uuid.UUID(bad_org)))).all()
    assert (row.source, row.revision, str(row.seen_event_id)) == (stream.source, 1, malformed.meta.event_id)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("undecodable" in message for message in errors)
    assert any("MALFORMED EVENT" in m and bad_org in m and "replay-org" in m for m in errors)


async def test_a_durable_consumer_made_with_a_long_ack_wait_gets_the_short_one(engine, js, stream):
    await ensure_stream(js, stream)
    long_wait = ConsumerConfig(
        name="test",
        durable_name="test",
        filter_subject=stream.subjects[0],
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=60.0,
    )
    await js.add_consumer(stream.name, config=long_wait)
    org_id = str(uuid.uuid4())
    event = stamped(events_pb2.UserRoleCreated(role_id=str(uuid.uuid4())), org_id, 1)
    subject = f"elevhalsa.{stream.source}.v1.UserRoleCreated"
    await js.publish(subject, event.SerializeToString())

    async def projection(session, events):
        pass

    await consume_until(engine, js, stream, {subject: events_pb2.UserRoleCreated}, projection, org_id, 1)
    assert (await js.consumer_info(stream.name, "test")).config.ack_wait == ACK_WAIT_SECONDS
