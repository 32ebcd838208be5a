"""Each replica's own feed of the event streams into its live model (Leopard: an index kept current by a
change stream).

At start the feed reads, per stream, a sequence from which following the stream cannot miss anything the
snapshot lacks, and only then the snapshot: for identity's and records' streams the durable consumer's ack
floor (it acks after its transaction commits, so every event at or below the floor is in the read model),
for authz's own stream its last sequence (grants are written with their events, so every published one is in
the grants table). Events after that sequence which the snapshot already holds are skipped by revision.
Each replica follows with its own short-lived consumer, so every replica sees every event.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from types import MappingProxyType

from elevhalsa.common.v1.envelope_pb2 import EventEnvelope
from google.protobuf.message import DecodeError, Message
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from services.authz.service_layer.live_model import LiveModel, Snapshot
from services.common.events import StreamSpec
from services.common.telemetry import count
from services.common.waiting import until_set, wait_or_stop

log = logging.getLogger(__name__)

FETCH_BATCH = 1000
FETCH_TIMEOUT_SECONDS = 1.0
# A replica's consumer is removed by the server once it has not fetched for this long (a replica that died).
INACTIVE_SECONDS = 30.0
QUARANTINE_POLL_SECONDS = 1.0
# How long to wait for NATS before starting from the snapshot alone (decisions need not wait for NATS).
CONNECT_GRACE_SECONDS = 2.0


class ModelFeed:
    """Loads the live model and keeps it current from every followed stream."""

    def __init__(
        self,
        *,
        js: JetStreamContext,
        live: LiveModel,
        read_snapshot: Callable[[], Awaitable[Snapshot]],
        read_quarantine: Callable[[], Awaitable[set]],
        streams: dict[str, dict[str, type[Message]]],
        durable: str,
        own_source: str,
        connected: asyncio.Event,
    ):
        self._js = js
        self._live = live
        self._read_snapshot = read_snapshot
        self._read_quarantine = read_quarantine
        self._streams = MappingProxyType(streams)  # source → subject → event type
        self._durable = durable
        self._own_source = own_source
        self._connected = connected

    async def run(self, stop: asyncio.Event) -> None:
        """Load, then follow every stream until `stop` is set."""
        if not await self._wait_connected(stop):
            self._live.load(await self._read_snapshot())
            log.warning("NATS is not reachable: authz answers from its snapshot until it is")
            if not await until_set(self._connected, stop):
                return
        starts = await self._start_sequences()
        self._live.load(await self._read_snapshot())
        log.info("authz model loaded; following %s from sequences %s", sorted(starts), starts)
        followers = [self._follow(source, start, stop) for source, start in starts.items()]
        await asyncio.gather(*followers, self._watch_quarantine(stop))

    async def _wait_connected(self, stop: asyncio.Event) -> bool:
        try:
            return await asyncio.wait_for(until_set(self._connected, stop), CONNECT_GRACE_SECONDS)
        except TimeoutError:
            return False

    async def _start_sequences(self) -> dict[str, int]:
        """Per stream, the first sequence the snapshot about to be read may lack."""
        starts = {}
        for source in self._streams:
            stream = StreamSpec(source).name
            try:
                if source == self._own_source:
                    starts[source] = (await self._js.stream_info(stream)).state.last_seq + 1
                else:
                    info = await self._js.consumer_info(stream, self._durable)
                    starts[source] = info.ack_floor.stream_seq + 1
            except NotFoundError:
                starts[source] = 1  # nothing consumed (or published) yet: follow from the start
        return starts

    async def _follow(self, source: str, start: int, stop: asyncio.Event) -> None:
        """Apply the stream's events from `start` on, resuming after the last one seen if the consumer is lost."""
        next_seq, subscription = start, None
        while not stop.is_set():
            try:
                if subscription is None:
                    subscription = await self._subscribe(source, next_seq)
                messages = await subscription.fetch(FETCH_BATCH, timeout=FETCH_TIMEOUT_SECONDS)
            except (NatsTimeoutError, TimeoutError):
                continue
            except Exception:  # noqa: BLE001 - NATS away, consumer removed: start a new one where we were
                log.warning("authz model feed of %s lost its consumer; resuming at %d", source, next_seq)
                subscription = None
                await wait_or_stop(stop, 1.0)
                continue
            if not messages:
                continue
            next_seq = messages[-1].metadata.sequence.stream + 1
            self._live.receive(source, self._decoded(source, messages))

    async def _subscribe(self, source: str, start: int):
        spec = StreamSpec(source)
        config = ConsumerConfig(
            deliver_policy=DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=start,
            ack_policy=AckPolicy.NONE,
            inactive_threshold=INACTIVE_SECONDS,
            mem_storage=True,
            num_replicas=1,
        )
        return await self._js.pull_subscribe(spec.subjects[0], stream=spec.name, config=config)

    def _decoded(self, source: str, messages: list) -> list[Message]:
        """The events; one of an unknown type as its envelope (its revision counts), an undecodable one not."""
        types = self._streams[source]
        events = []
        for message in messages:
            event_type = types.get(message.subject)
            try:
                events.append((event_type or EventEnvelope).FromString(message.data))
            except DecodeError:
                count("authz.model.events_undecodable", subject=message.subject)
                log.error(
                    "authz model skips an undecodable %s event (stream sequence %d)",
                    message.subject,
                    message.metadata.sequence.stream,
                )
                continue
            if event_type is None:
                count("authz.model.events_unknown", subject=message.subject)
                log.warning("authz model skips an event of unknown type %s", message.subject)
        return events

    async def _watch_quarantine(self, stop: asyncio.Event) -> None:
        """Learn which organisations the durable consumer quarantined (it alone sees conflicting event ids)."""
        while not stop.is_set():
            try:
                self._live.quarantine(await self._read_quarantine())
            except Exception:  # noqa: BLE001 - PostgreSQL away: known quarantines stay, new ones wait
                log.warning("authz could not read the quarantine list; retrying", exc_info=True)
            await wait_or_stop(stop, QUARANTINE_POLL_SECONDS)
