"""Events on NATS JetStream: one stream per publishing service, subjects named after the event's proto type."""

import asyncio
import logging
import time
from dataclasses import dataclass
from types import ModuleType

from google.protobuf.message import Message
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

log = logging.getLogger(__name__)

DUPLICATE_WINDOW_SECONDS = 120.0


@dataclass(frozen=True)
class StreamSpec:
    """The JetStream stream that carries one service's events."""

    source: str  # the publishing service

    @property
    def name(self) -> str:
        return f"ELEVHALSA_{self.source.upper()}"

    @property
    def subjects(self) -> list[str]:
        return [f"elevhalsa.{self.source}.>"]


def subject_of(event: Message) -> str:
    """An event's subject is its proto full name, e.g. elevhalsa.identity.v1.AssignmentRevoked."""
    return event.DESCRIPTOR.full_name


def source_of(subject: str) -> str:
    """The publishing service of a subject."""
    parts = subject.split(".")
    return parts[1] if len(parts) > 2 else ""


REPLAY_MARKER = "OrganisationReplayStarted"


def is_replay_marker(event: Message) -> bool:
    """Whether the event starts a rebuild of an organisation (the source's OrganisationReplayStarted)."""
    return event.DESCRIPTOR.name == REPLAY_MARKER


def event_types(*modules: ModuleType) -> dict[str, type[Message]]:
    """Subject → message class for every event defined in the given *_pb2 modules."""
    registry = {}
    for module in modules:
        for name in module.DESCRIPTOR.message_types_by_name:
            cls = getattr(module, name)
            registry[cls.DESCRIPTOR.full_name] = cls
    return registry


STREAM_WAIT_SECONDS = 5.0
STREAM_POLL_SECONDS = 0.2


class StreamNotYetCreated(Exception):
    """A consumer found no stream: its publisher has not started yet."""


async def ensure_stream(js: JetStreamContext, spec: StreamSpec) -> None:
    """Make sure the stream exists: its publisher creates it, anyone else waits a while for the publisher.

    Start order does not matter: a consumer started first fails here, retries, and goes on once the
    publisher has run. Events are kept (no age limit): a read model is rebuilt by replaying them from the
    start. An existing stream's configuration is left as operators set it (replicas, storage limits).
    """
    if await stream_exists(js, spec):
        return
    if not may_create(js, spec):
        await wait_for_stream(js, spec)
        return
    config = StreamConfig(name=spec.name, subjects=spec.subjects, duplicate_window=DUPLICATE_WINDOW_SECONDS)
    try:
        await js.add_stream(config)
    except BadRequestError:
        log.info("stream %s was created by another process meanwhile", spec.name)


def may_create(js: JetStreamContext, spec: StreamSpec) -> bool:
    """A service creates only its own stream (NATS lets it create no other); tools and tests any."""
    service = getattr(js, "service", None)  # set by a service's context, see services.common.messaging
    return service is None or service == spec.source


async def stream_exists(js: JetStreamContext, spec: StreamSpec) -> bool:
    try:
        await js.stream_info(spec.name)
        return True
    except NotFoundError:
        return False


async def wait_for_stream(js: JetStreamContext, spec: StreamSpec) -> None:
    """Poll until the stream exists; raise after a while so that the caller logs and tries again."""
    deadline = time.monotonic() + STREAM_WAIT_SECONDS
    while time.monotonic() < deadline:
        await asyncio.sleep(STREAM_POLL_SECONDS)
        if await stream_exists(js, spec):
            return
    raise StreamNotYetCreated(
        f"stream {spec.name} does not exist yet; {spec.source} creates it when it starts"
    )
