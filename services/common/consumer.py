"""A durable, idempotent JetStream consumer: effects, inbox and positions in one transaction, ack after commit."""

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from google.protobuf.message import Message
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from opentelemetry import trace
from sqlalchemy import select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.db import KitTables
from services.common.events import StreamSpec, ensure_stream, source_of
from services.common.telemetry import message_span
from services.common.waiting import until_set, wait_or_stop

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

# Applies a batch of new events, in stream order, inside the consumer's transaction.
Projection = Callable[[AsyncSession, list[Message]], Awaitable[None]]
# Called after commit with {(source, org_id): revision} of what the batch applied.
AppliedCallback = Callable[[dict[tuple[str, str], int]], None]

FETCH_TIMEOUT_SECONDS = 1.0
ACK_WAIT_SECONDS = 60.0
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
        sessions: async_sessionmaker[AsyncSession],
        kit: KitTables,
        on_applied: AppliedCallback | None = None,
        batch_size: int = 500,
        connected: asyncio.Event | None = None,
    ):
        self._js = js
        self._stream = stream
        self._durable = durable
        self._event_types = event_types
        self._projection = projection
        self._sessions = sessions
        self._kit = kit
        self._on_applied = on_applied
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
            durable_name=self._durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=ACK_WAIT_SECONDS,
            max_ack_pending=self._batch_size,
        )
        return await self._js.pull_subscribe(
            self._stream.subjects[0], durable=self._durable, stream=self._stream.name, config=config
        )

    async def _apply_until_done(self, messages: list, stop: asyncio.Event) -> None:
        delay = 0.5
        while True:
            try:
                outcome = await self.apply(messages)
                break
            except Exception:
                log.exception(
                    "consumer %s failed to apply %d event(s); retrying", self._durable, len(messages)
                )
                await settle(messages, "in_progress")
                await wait_or_stop(stop, delay)
                if stop.is_set():
                    return
                delay = min(delay * 2, MAX_RETRY_SECONDS)
        deferred = {id(message) for message in outcome.deferred}
        await settle([m for m in messages if id(m) not in deferred], "ack")
        await settle(outcome.deferred, "nak", delay=DEFERRED_REDELIVERY_SECONDS)
        if self._on_applied and outcome.positions:
            self._on_applied(outcome.positions)

    async def apply(self, messages: list) -> "BatchOutcome":
        """Apply a batch in one transaction: per organisation, only the next revision, in order."""
        if not messages:
            return BatchOutcome({}, [])
        events = [(message, self._decode(message)) for message in messages]
        async with self._sessions() as session, session.begin():
            current = await self._lock_positions(session, {key_of(m, e) for m, e in events})
            plan = sequence(events, current)
            if plan.deferred:
                log.warning(
                    "consumer %s holds back %d event(s) until the revisions before them arrive",
                    self._durable,
                    len(plan.deferred),
                )
            fresh_ids = await self._record_in_inbox(session, plan.in_order)
            fresh = [(m, e) for m, e in plan.in_order if e.meta.event_id in fresh_ids]
            if fresh:
                await self._project(session, fresh)
            advanced = {key: rev for key, rev in plan.positions.items() if rev > current[key]}
            await self._write_positions(session, advanced)
        return BatchOutcome(advanced, [m for m, _ in plan.deferred])

    def _decode(self, message) -> Message:
        cls = self._event_types.get(message.subject)
        if cls is None:
            raise ValueError(f"no event type is known for subject {message.subject}")
        return cls.FromString(message.data)

    async def _project(self, session: AsyncSession, fresh: list) -> None:
        """One consumer span per event, in the trace of the request that caused it; then the batch's effect,
        in a span linked to all of them."""
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

    async def _record_in_inbox(self, session: AsyncSession, events: list) -> set[str]:
        """Insert the event ids; returns the ids that were not there before."""
        if not events:
            return set()
        rows = [{"event_id": uuid.UUID(e.meta.event_id), "subject": m.subject} for m, e in events]
        inbox = self._kit.inbox
        inserted = await session.execute(
            pg_insert(inbox).values(rows).on_conflict_do_nothing().returning(inbox.c.event_id)
        )
        return {str(event_id) for event_id in inserted.scalars()}

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
    positions: dict[tuple[str, str], int]  # what the batch advanced to
    deferred: list  # messages that must wait for earlier revisions


@dataclass
class Sequenced:
    in_order: list = field(default_factory=list)  # (message, event) to apply, in revision order
    deferred: list = field(default_factory=list)  # (message, event) after a gap
    positions: dict = field(default_factory=dict)  # (source, org) → revision after applying in_order


def key_of(message, event) -> tuple[str, str]:
    return source_of(message.subject), event.meta.org_id


def sequence(events: list, current: dict[tuple[str, str], int]) -> Sequenced:
    """Which events to apply now. Per (source, org) revisions are applied one after another: a revision
    already applied is a duplicate, and one beyond the next waits, so the read model never claims a
    revision whose predecessors it has not applied (a late grant can never undo a revoke)."""
    plan = Sequenced(positions=dict(current))
    for message, event in sorted(events, key=lambda item: (*key_of(*item), item[1].meta.revision)):
        key, revision = key_of(message, event), event.meta.revision
        if revision <= plan.positions[key]:
            continue
        if revision == plan.positions[key] + 1:
            plan.in_order.append((message, event))
            plan.positions[key] = revision
        else:
            plan.deferred.append((message, event))
    return plan


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
