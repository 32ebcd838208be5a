"""Events on NATS JetStream: one stream per publishing service, subjects named after the event's proto type."""

import logging
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


async def ensure_stream(js: JetStreamContext, spec: StreamSpec) -> None:
    """Create the stream if missing; publishers and consumers both call this so start order does not matter.

    Events are kept (no age limit): a read model is rebuilt by replaying them from the start. An existing
    stream's configuration is left as operators set it (replicas, storage limits).
    """
    try:
        await js.stream_info(spec.name)
        return
    except NotFoundError:
        pass
    config = StreamConfig(name=spec.name, subjects=spec.subjects, duplicate_window=DUPLICATE_WINDOW_SECONDS)
    try:
        await js.add_stream(config)
    except BadRequestError:
        log.info("stream %s was created by another process meanwhile", spec.name)
