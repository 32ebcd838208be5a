"""Authz's live model: the facts in memory, how far they have applied each organisation's events, and
answering "at least as fresh as this token".

Each replica feeds its own model from the event streams (services/authz/entrypoints/model_feed.py), in
per-organisation revision order like the durable consumer (services.common.sequencing): a revision is
applied only after the one before it, an event of a revision already applied is skipped, and a replay
marker forgets what its source built before the replayed events rebuild it. Decisions are made from
memory only; the snapshot in PostgreSQL is for starting up.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from google.protobuf.message import Message

from services.authz.domain.memory import AuthzModel, OrgModel
from services.authz.service_layer.model_events import apply_events
from services.common.consistency import FIELD, ConsistencyToken, required_token
from services.common.errors import InvalidArgument, Unavailable
from services.common.events import is_replay_marker

log = logging.getLogger(__name__)

# Events of one (source, organisation) held for a missing predecessor; beyond this the gap is taken for lost
# and the organisation is quarantined rather than memory filled.
MAX_HELD = 10_000
# A wait bounded by the caller's deadline gives up this much earlier, so that the caller hears why.
DEADLINE_MARGIN_SECONDS = 0.1

Key = tuple[str, str]  # (source, org id)


class OrganisationQuarantined(Unavailable):
    """The organisation's facts received events that contradict them: no answer until they are rebuilt."""

    def __init__(self):
        super().__init__(
            "authorization data of this organisation is being repaired; no decisions until it is rebuilt"
        )


class ModelLoading(Unavailable):
    def __init__(self):
        super().__init__("authorization data is still loading; retry")


@dataclass
class Snapshot:
    """The model as the read model in PostgreSQL held it, with the revisions it had applied."""

    model: AuthzModel
    positions: dict[Key, int] = field(default_factory=dict)
    quarantined: set[Key] = field(default_factory=set)


class LiveModel:
    """The facts one replica decides from. Not thread-safe: one event loop feeds and reads it."""

    def __init__(self, sources: Iterable[str], timeout: float, apply: Callable = apply_events):
        self.model = AuthzModel()
        self._sources = frozenset(sources)
        self._timeout = timeout
        self._apply = apply
        self._positions: dict[Key, int] = {}
        self._held: dict[Key, dict[int, Message]] = {}  # events that arrived before their predecessors
        self._untrusted: set[Key] = set()  # quarantined: dropped until a replay marker rebuilds them
        self._replays: set[str] = set()  # ids of the replay markers applied: few, operators start them
        self._loaded = False
        self._progress = asyncio.Event()
        self.loaded = asyncio.Event()  # set once the first snapshot is in: the replica may serve

    # --- feeding ---------------------------------------------------------------------------------------

    def load(self, snapshot: Snapshot) -> None:
        """Start from a snapshot (at start, or again when the feeds restart from one)."""
        self.model = snapshot.model
        self._positions = dict(snapshot.positions)
        self._held.clear()
        self._untrusted = set(snapshot.quarantined)
        self._loaded = True
        self.loaded.set()
        self._advanced()

    def quarantine(self, keys: Iterable[Key]) -> None:
        """Distrust (source, organisation)s the durable consumer found contradicted, until a replay."""
        fresh = set(keys) - self._untrusted
        for key in fresh:
            log.error("organisation %s's %s events are quarantined; decisions fail closed", key[1], key[0])
        self._untrusted |= fresh

    def receive(self, source: str, events: list[Message]) -> None:
        """Apply what the events make applicable, in revision order per organisation, in one step."""
        ready: list[Message] = []
        for event in sorted(events, key=lambda e: (e.meta.org_id, e.meta.revision)):
            self._sequence(source, event, ready)
        self._apply_ready(source, ready)
        if ready:
            self._advanced()

    def _sequence(self, source: str, event: Message, ready: list) -> None:
        key, revision = (source, event.meta.org_id), event.meta.revision
        position, marker = self._positions.get(key, 0), is_replay_marker(event)
        if marker and event.meta.event_id in self._replays:
            return  # delivered again: applying it again would forget what its replay rebuilt
        if marker and (key in self._untrusted or revision <= position + 1):
            self._untrusted.discard(key)
            self._take(key, event, ready)
            self._drop_held_up_to(key, revision)
            self._release_held(key, ready)  # the replayed events that arrived before their marker
        elif key in self._untrusted or revision <= position:
            return  # dropped until the rebuild, or already applied (delivered again, or in the snapshot)
        elif revision == position + 1:
            self._take(key, event, ready)
            self._release_held(key, ready)
        else:
            held = self._held.setdefault(key, {})
            held[revision] = event
            if len(held) > MAX_HELD:
                log.error(
                    "organisation %s: %d %s events wait for revision %d, which never came; decisions for the "
                    "organisation fail closed until it is rebuilt",
                    key[1],
                    len(held),
                    source,
                    position + 1,
                )
                del self._held[key]
                self._untrusted.add(key)

    def _take(self, key: Key, event: Message, ready: list) -> None:
        ready.append(event)
        self._positions[key] = event.meta.revision
        if is_replay_marker(event):
            self._replays.add(event.meta.event_id)

    def _drop_held_up_to(self, key: Key, revision: int) -> None:
        """Forget held events a replay marker made obsolete (it rebuilds from its own revision on)."""
        held = self._held.get(key, {})
        for obsolete in [r for r in held if r <= revision]:
            del held[obsolete]

    def _release_held(self, key: Key, ready: list) -> None:
        held = self._held.get(key)
        while held and self._positions[key] + 1 in held:
            self._take(key, held.pop(self._positions[key] + 1), ready)
        if held is not None and not held:
            del self._held[key]

    def _apply_ready(self, source: str, ready: list[Message]) -> None:
        """Apply the events; one that cannot be applied quarantines its organisation, not the others."""
        malformed = self._apply(self.model, source, ready)
        for event in malformed:
            key = (source, event.meta.org_id)
            log.error(
                "organisation %s: %s event %s (revision %d) is malformed; decisions for the organisation "
                "fail closed until it is rebuilt",
                key[1],
                source,
                event.meta.event_id,
                event.meta.revision,
            )
            self._untrusted.add(key)

    def _advanced(self) -> None:
        self._progress.set()
        self._progress = asyncio.Event()

    # --- answering -------------------------------------------------------------------------------------

    def position(self, source: str, org_id: str) -> int:
        return self._positions.get((source, org_id), 0)

    def quarantined(self, org_id: str) -> bool:
        return any(org == org_id for _, org in self._untrusted)

    async def fresh(self, org_id: str, consistency_token: str, deadline: float | None = None) -> OrgModel:
        """The organisation's facts, at least as fresh as the token; Unavailable if they cannot be within
        the deadline (seconds) and the freshness timeout, or if the organisation is quarantined."""
        await self.wait_for(required_token(consistency_token, org_id), deadline)
        if self.quarantined(org_id):
            raise OrganisationQuarantined()
        return self.model.org(org_id)

    async def wait_for(self, token: ConsistencyToken | None, deadline: float | None = None) -> None:
        """Return once the model is loaded and has applied every revision the token names."""
        needed = self._needed(token)
        give_up = time.monotonic() + bounded(self._timeout, deadline)
        while not self._satisfies(needed):
            remaining = give_up - time.monotonic()
            if remaining <= 0:
                if not self._loaded:
                    raise ModelLoading()
                raise Unavailable(
                    "authorization data is not yet up to date with the consistency token; retry"
                )
            progress = self._progress
            try:
                await asyncio.wait_for(progress.wait(), remaining)
            except TimeoutError:
                pass

    def _needed(self, token: ConsistencyToken | None) -> dict[Key, int]:
        if token is None:
            return {}
        unknown = set(token.revisions) - self._sources
        if unknown:
            # No wait could ever satisfy it: say so now instead of timing out.
            raise InvalidArgument(
                "the consistency token names changes authorization does not follow", field=FIELD
            )
        return {(source, token.org_id): revision for source, revision in token.revisions.items()}

    def _satisfies(self, needed: dict[Key, int]) -> bool:
        return self._loaded and all(self._positions.get(key, 0) >= rev for key, rev in needed.items())

    async def until_known(self, org_id: str, user_id: str, timeout: float, deadline: float | None) -> None:
        """Wait (up to `timeout` seconds, and within `deadline`) until the model knows the user: identity signed
        their token, so a user the model lacks is one whose creation it has not applied yet."""
        give_up = time.monotonic() + bounded(timeout, deadline)
        while self.model.user(org_id, user_id) is None:
            remaining = give_up - time.monotonic()
            if remaining <= 0:
                raise Unavailable("authorization data does not know this user yet; retry")
            try:
                await asyncio.wait_for(self._progress.wait(), remaining)
            except TimeoutError:
                pass


def bounded(timeout: float, deadline: float | None) -> float:
    """How long a wait may take: its own timeout, and less than the caller's remaining deadline."""
    return timeout if deadline is None else min(timeout, deadline - DEADLINE_MARGIN_SECONDS)
