"""A durable, idempotent JetStream consumer: effects, inbox and positions in one transaction, ack after commit."""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from elevhalsa.common.v1.envelope_pb2 import EventEnvelope
from google.protobuf.message import DecodeError, Message
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import trace
from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.db import KitTables
from services.common.events import StreamSpec, ensure_stream, is_replay_marker, source_of
from services.common.sequencing import Conflict, Sequenced, key_of, sequence
from services.common.telemetry import count, message_span
from services.common.waiting import until_set, wait_or_stop

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

# Applies a batch of new events, in stream order, inside the consumer's transaction.
Projection = Callable[[AsyncSession, list[Message]], Awaitable[None]]
# Forgets what the projection built from one source for one organisation, before a replay rebuilds it.
Reset = Callable[[AsyncSession, str, str], Awaitable[None]]
# Whether an event can be projected; one that cannot quarantines its organisation instead of the batch failing.
WellFormed = Callable[[Message], bool]
# Called right after a commit that quarantined organisations, with their (source, org_id).
QuarantineCallback = Callable[[set[tuple[str, str]]], None]

FETCH_TIMEOUT_SECONDS = 1.0
# A short ack wait, so that the batch of a consumer that died is delivered again within seconds; a live
# consumer keeps its batch by reporting progress every HEARTBEAT_SECONDS while it applies or retries it.
ACK_WAIT_SECONDS = 3.0
HEARTBEAT_SECONDS = 1.0
MAX_RETRY_SECONDS = 30.0
DEFERRED_REDELIVERY_SECONDS = 1.0


class EventConsumer:
    """Applies one stream's events in order. A batch that fails is retried, never skipped: a permission
    change that cannot be applied must stop the read model from claiming to be fresher than it is."""

    def __init__(
        self,
        *,
        js: JetStreamContext,
        stream: StreamSpec,
        durable: str,
        event_types: dict[str, type[Message]],
        projection: Projection,
        reset: Reset,
        sessions: async_sessionmaker[AsyncSession],
        kit: KitTables,
        well_formed: WellFormed | None = None,
        on_quarantined: QuarantineCallback | None = None,
        batch_size: int = 500,
        connected: asyncio.Event | None = None,
    ):
        self._js = js
        self._stream = stream
        self._durable = durable
        self._event_types = event_types
        self._projection = projection
        self._reset = reset
        self._sessions = sessions
        self._kit = kit
        self._well_formed = well_formed
        self._on_quarantined = on_quarantined
        self._batch_size = batch_size
        self._connected = connected

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until `stop` is set."""
        if not await until_set(self._connected, stop):
            return
        subscription = None
        try:
            while not stop.is_set():
                try:
                    if subscription is None:
                        subscription = await self._subscribe()
                    messages = await subscription.fetch(self._batch_size, timeout=FETCH_TIMEOUT_SECONDS)
                except (NatsTimeoutError, TimeoutError):
                    continue
                except Exception:
                    log.exception("consumer %s could not fetch; retrying", self._durable)
                    subscription = None
                    await wait_or_stop(stop, 1.0)
                    continue
                await self._apply_until_done(messages, stop)
        finally:
            if subscription is not None:
                # Leave nothing pending, so that the connection drains at once on shutdown.
                await asyncio.shield(unsubscribe_quietly(subscription))

    async def _subscribe(self):
        await ensure_stream(self._js, self._stream)
        config = ConsumerConfig(
            name=self._durable,
            durable_name=self._durable,
            filter_subject=self._stream.subjects[0],
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=ACK_WAIT_SECONDS,
            max_ack_pending=self._batch_size,
        )
        # Creates the durable consumer, or brings an existing one's ack wait up to date.
        await self._js.add_consumer(self._stream.name, config=config)
        return await self._js.pull_subscribe_bind(
            durable=self._durable, stream=self._stream.name, name=self._durable
        )

    async def _apply_until_done(self, messages: list, stop: asyncio.Event) -> None:
        heartbeat = asyncio.create_task(keep_in_progress(messages))
        try:
            outcome = await self._retry_until_applied(messages, stop)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        if outcome is None:
            return
        deferred = {id(message) for message in outcome.deferred}
        await settle([m for m in messages if id(m) not in deferred], "ack")
        await settle(outcome.deferred, "nak", delay=DEFERRED_REDELIVERY_SECONDS)

    async def _retry_until_applied(self, messages: list, stop: asyncio.Event) -> "BatchOutcome | None":
        """The batch's outcome, or None if stopped first."""
        delay = 0.5
        while True:
            try:
                return await self.apply(messages)
            except Exception:
                log.exception(
                    "consumer %s failed to apply %d event(s); retrying", self._durable, len(messages)
                )
                await wait_or_stop(stop, delay)
                if stop.is_set():
                    return None
                delay = min(delay * 2, MAX_RETRY_SECONDS)

    async def apply(self, messages: list) -> "BatchOutcome":
        """Apply a batch in one transaction: per organisation, only the next revision, in order."""
        if not messages:
            return BatchOutcome({}, [])
        events = [(m, e) for m in messages if (e := self._decode(m)) is not None]
        if not events:
            return BatchOutcome({}, [])
        malformed = self._malformed(events)
        async with self._sessions() as session, session.begin():
            keys = {key_of(m, e) for m, e in events}
            current = await self._lock_positions(session, keys)
            quarantined = await self._quarantined(session, keys)
            plan = sequence(
                events,
                current,
                known=await self._in_inbox(session, events),
                quarantined=quarantined | set(malformed),
            )
            for key, conflict in malformed.items():
                if key not in quarantined:
                    plan.quarantine.setdefault(key, conflict)
            self._warn_about(plan)
            await self._record_in_inbox(session, plan.in_order + plan.dropped)
            await self._apply_in_order(session, plan.in_order)
            await self._write_quarantine(session, plan.quarantine)
            moved = {key: rev for key, rev in plan.positions.items() if rev != current[key]}
            await self._write_positions(session, moved)
        for conflict in plan.conflicts:
            alert(conflict)
        for conflict in malformed.values():
            alert(conflict, malformed=True)
        quarantined = {key for key, conflict in plan.quarantine.items() if conflict is not None}
        if quarantined and self._on_quarantined:
            self._on_quarantined(quarantined)
        return BatchOutcome(moved, [m for m, _ in plan.deferred])

    def _warn_about(self, plan: "Sequenced") -> None:
        if plan.deferred:
            log.warning(
                "consumer %s holds back %d event(s) until the revisions before them arrive",
                self._durable,
                len(plan.deferred),
            )
        if plan.dropped:
            log.warning(
                "consumer %s drops %d event(s) of quarantined organisations", self._durable, len(plan.dropped)
            )
        for message, event in plan.in_order:
            if isinstance(event, EventEnvelope):
                count("consumer.events_unknown", consumer=self._durable, subject=message.subject)
                log.warning(
                    "consumer %s skips an event of unknown type %s (organisation %s, revision %d)",
                    self._durable,
                    message.subject,
                    event.meta.org_id,
                    event.meta.revision,
                )

    async def _apply_in_order(self, session: AsyncSession, in_order: list) -> None:
        """Project the events; a replay marker first projects what came before it, then resets."""
        pending = []
        for message, event in in_order:
            if is_replay_marker(event):
                await self._project(session, pending)
                pending = []
                source, org_id = key_of(message, event)
                await self._reset(session, source, org_id)
                log.warning(
                    "consumer %s rebuilds organisation %s from %s's replay at revision %d",
                    self._durable,
                    org_id,
                    source,
                    event.meta.revision,
                )
            elif not isinstance(event, EventEnvelope):
                pending.append((message, event))
        await self._project(session, pending)

    def _decode(self, message) -> Message | None:
        """The event; one of an unknown type as its envelope, so that its revision still counts; None for
        bytes that are no event (they name no organisation, so nothing can wait for them)."""
        try:
            return self._event_types.get(message.subject, EventEnvelope).FromString(message.data)
        except DecodeError:
            count("consumer.events_undecodable", consumer=self._durable, subject=message.subject)
            log.error("consumer %s skips an undecodable %s message", self._durable, message.subject)
            return None

    def _malformed(self, events: list) -> dict[tuple[str, str], Conflict]:
        """Per (source, org), the first event of the batch that cannot be projected."""
        if self._well_formed is None:
            return {}
        found = {}
        for message, event in events:
            if isinstance(event, EventEnvelope) or is_replay_marker(event) or self._well_formed(event):
                continue
            found.setdefault(
                key_of(message, event),
                Conflict(key_of(message, event), event.meta.revision, None, event.meta.event_id),
            )
        return found

    async def _project(self, session: AsyncSession, fresh: list) -> None:
        """One consumer span per event, in the trace of the request that caused it; then the batch's effect,
        in a span linked to all of them."""
        if not fresh:
            return
        links = []
        for message, event in fresh:
            with message_span(
                tracer,
                message.subject,
                "process",
                message.headers,
                event.meta.event_id,
                **{"messaging.consumer.group.name": self._durable},
            ) as span:
                links.append(trace.Link(span.get_span_context()))
        with tracer.start_as_current_span(f"{self._durable} apply {len(fresh)} event(s)", links=links):
            await self._projection(session, [event for _, event in fresh])

    async def _record_in_inbox(self, session: AsyncSession, events: list) -> None:
        """Insert the event ids with the revision each was applied (or dropped) as."""
        if not events:
            return
        rows = [
            {
                "event_id": uuid.UUID(e.meta.event_id),
                "subject": m.subject,
                "source": source_of(m.subject),
                "org_id": uuid.UUID(e.meta.org_id),
                "revision": e.meta.revision,
            }
            for m, e in events
        ]
        await session.execute(pg_insert(self._kit.inbox).values(rows).on_conflict_do_nothing())

    async def _in_inbox(self, session: AsyncSession, events: list) -> set[str]:
        """The ids among the events that were consumed before."""
        inbox = self._kit.inbox
        ids = {uuid.UUID(e.meta.event_id) for _, e in events}
        found = await session.scalars(select(inbox.c.event_id).where(inbox.c.event_id.in_(ids)))
        return {str(event_id) for event_id in found}

    async def _quarantined(self, session: AsyncSession, keys: set[tuple[str, str]]) -> set:
        table = self._kit.quarantine
        pairs = [(source, uuid.UUID(org)) for source, org in keys]
        rows = await session.execute(
            select(table.c.source, table.c.org_id).where(tuple_(table.c.source, table.c.org_id).in_(pairs))
        )
        return {(source, str(org_id)) for source, org_id in rows}

    async def _write_quarantine(self, session: AsyncSession, quarantine: dict) -> None:
        """Quarantine organisations with a conflict; lift it for those a replay rebuilds."""
        table = self._kit.quarantine
        for (source, org_id), conflict in sorted(quarantine.items()):
            where = (table.c.source == source, table.c.org_id == uuid.UUID(org_id))
            if conflict is None:
                await session.execute(delete(table).where(*where))
                continue
            applied = conflict.applied_event_id or await self._applied_at(session, conflict)
            row = {
                "source": source,
                "org_id": uuid.UUID(org_id),
                "revision": conflict.revision,
                "applied_event_id": uuid.UUID(applied) if applied else None,
                "seen_event_id": uuid.UUID(conflict.seen_event_id),
            }
            await session.execute(pg_insert(table).values(row).on_conflict_do_nothing())

    async def _applied_at(self, session: AsyncSession, conflict: "Conflict") -> str | None:
        """The id of the event applied at the conflict's revision, if the inbox recorded it."""
        inbox = self._kit.inbox
        source, org_id = conflict.key
        event_id = await session.scalar(
            select(inbox.c.event_id)
            .where(
                inbox.c.source == source,
                inbox.c.org_id == uuid.UUID(org_id),
                inbox.c.revision == conflict.revision,
                inbox.c.event_id != uuid.UUID(conflict.seen_event_id),
            )
            .limit(1)
        )
        return str(event_id) if event_id else None

    async def _lock_positions(self, session: AsyncSession, keys: set[tuple[str, str]]) -> dict:
        """The applied revision per (source, org), locked until commit so that replicas take turns."""
        table = self._kit.positions
        rows = [{"source": source, "org_id": uuid.UUID(org), "revision": 0} for source, org in sorted(keys)]
        await session.execute(pg_insert(table).values(rows).on_conflict_do_nothing())
        locked = await session.execute(
            select(table.c.source, table.c.org_id, table.c.revision)
            .where(tuple_(table.c.source, table.c.org_id).in_([(s, uuid.UUID(o)) for s, o in sorted(keys)]))
            .order_by(table.c.source, table.c.org_id)
            .with_for_update()
        )
        return {(source, str(org_id)): revision for source, org_id, revision in locked}

    async def _write_positions(self, session: AsyncSession, positions: dict[tuple[str, str], int]) -> None:
        table = self._kit.positions
        for (source, org_id), revision in sorted(positions.items()):
            await session.execute(
                update(table)
                .where(table.c.source == source, table.c.org_id == uuid.UUID(org_id))
                .values(revision=revision)
            )


@dataclass(frozen=True)
class BatchOutcome:
    positions: dict[tuple[str, str], int]  # where the batch moved positions to
    deferred: list  # messages that must wait for earlier revisions


def alert(conflict: Conflict, malformed: bool = False) -> None:
    """Tell the operator which organisation is quarantined and how to rebuild it."""
    source, org_id = conflict.key
    if malformed:
        log.error(
            "MALFORMED EVENT: organisation %s received a %s event (%s) at revision %d that cannot be applied. "
            "Answers for the organisation fail closed until it is rebuilt; run: python -m services.%s "
            "replay-org %s",
            org_id,
            source,
            conflict.seen_event_id,
            conflict.revision,
            source,
            org_id,
        )
        return
    log.error(
        "EVENT CONFLICT: organisation %s received a different %s event (%s) at revision %d, which was "
        "already applied (event %s). It may be forged, or %s's revisions were reused after a restore. "
        "Answers for the organisation fail closed until it is rebuilt; run: python -m services.%s "
        "replay-org %s",
        org_id,
        source,
        conflict.seen_event_id,
        conflict.revision,
        conflict.applied_event_id or "unknown",
        source,
        source,
        org_id,
    )


async def keep_in_progress(messages: list) -> None:
    """Until cancelled, tell JetStream the messages are being worked on, so it does not deliver them again."""
    while True:
        await asyncio.sleep(HEARTBEAT_SECONDS)
        await settle(messages, "in_progress")


async def settle(messages: list, how: str, **options) -> None:
    """Ack, nak or extend each message; a lost connection only means JetStream delivers it again."""
    for message in messages:
        try:
            await getattr(message, how)(**options)
        except Exception:  # noqa: BLE001
            log.warning("could not %s a message; it will be delivered again", how)


async def unsubscribe_quietly(subscription) -> None:
    try:
        await subscription.unsubscribe()
    except Exception:  # noqa: BLE001 - shutting down; the durable consumer survives on the server anyway
        log.debug("unsubscribe failed", exc_info=True)


async def read_position(session: AsyncSession, kit: KitTables, source: str, org_id: str) -> int:
    """The highest revision of `source` events applied for the organisation (0 if none)."""
    table = kit.positions
    value = await session.scalar(
        select(table.c.revision).where(table.c.source == source, table.c.org_id == uuid.UUID(org_id))
    )
    return value or 0
