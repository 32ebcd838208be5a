"""The outbox relay: publishes committed events to JetStream in order, with Nats-Msg-Id = event id."""

import asyncio
import logging
import zlib

import psycopg
from nats.js import JetStreamContext
from opentelemetry import trace
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.db import KitTables, libpq_url, outbox_channel
from services.common.events import StreamSpec, ensure_stream
from services.common.telemetry import inject_context, message_span
from services.common.waiting import until_set, wait_or_stop

log = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

IDLE_POLL_SECONDS = 1.0
RETRY_SECONDS = 1.0
PUBLISH_TIMEOUT_SECONDS = 10.0


class OutboxRelay:
    """Moves outbox rows to JetStream. One relay per schema is active at a time (an advisory lock)."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        database_url: str,
        kit: KitTables,
        js: JetStreamContext,
        stream: StreamSpec,
        batch_size: int = 500,
        connected: asyncio.Event | None = None,
    ):
        self._engine = engine
        self._database_url = libpq_url(database_url)
        self._kit = kit
        self._js = js
        self._stream = stream
        self._batch_size = batch_size
        self._connected = connected

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until `stop` is set, surviving database and NATS outages."""
        if not await until_set(self._connected, stop):
            return
        while not stop.is_set():
            try:
                await ensure_stream(self._js, self._stream)
                await self._relay_while_leader(stop)
            except Exception:
                log.exception("outbox relay for %s failed; retrying", self._kit.schema)
                await wait_or_stop(stop, RETRY_SECONDS)

    async def _relay_while_leader(self, stop: asyncio.Event) -> None:
        async with await psycopg.AsyncConnection.connect(self._database_url, autocommit=True) as listener:
            lock_key = zlib.crc32(f"outbox:{self._kit.schema}".encode())
            leader = await (await listener.execute("SELECT pg_try_advisory_lock(%s)", (lock_key,))).fetchone()
            if not leader[0]:
                await wait_or_stop(stop, RETRY_SECONDS * 2)
                return
            await listener.execute(f'LISTEN "{outbox_channel(self._kit.schema)}"')
            while not stop.is_set():
                if await self.publish_batch() < self._batch_size:
                    await wait_for_notify(listener, IDLE_POLL_SECONDS)

    async def publish_batch(self) -> int:
        """Publish the oldest unpublished events and mark them; returns how many there were."""
        outbox = self._kit.outbox
        async with self._engine.begin() as conn:
            query = (
                select(outbox.c.id, outbox.c.event_id, outbox.c.subject, outbox.c.payload, outbox.c.headers)
                .where(outbox.c.published_at.is_(None))
                .order_by(outbox.c.id)
                .limit(self._batch_size)
                .with_for_update(skip_locked=True)
            )
            rows = (await conn.execute(query)).all()
            if not rows:
                return 0
            acks = [await self._publish(row) for row in rows]
            await asyncio.wait_for(asyncio.gather(*acks), PUBLISH_TIMEOUT_SECONDS)
            await conn.execute(
                update(outbox)
                .where(outbox.c.id.in_([row.id for row in rows]))
                .values(published_at=func.now())
            )
        return len(rows)

    async def _publish(self, row) -> asyncio.Future:
        """Send one event in the trace of the request that caused it; returns the future of its ack."""
        with message_span(tracer, row.subject, "publish", row.headers, str(row.event_id)):
            headers = inject_context({"Nats-Msg-Id": str(row.event_id)})
            return await self._js.publish_async(
                row.subject, row.payload, headers=headers, stream=self._stream.name
            )


async def wait_for_notify(connection: psycopg.AsyncConnection, timeout: float) -> None:
    """Return on the next NOTIFY or after `timeout` seconds."""
    async for _ in connection.notifies(timeout=timeout, stop_after=1):
        return
