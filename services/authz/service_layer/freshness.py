"""Answering "at least as fresh as this token": wait until the read model has applied the token's revisions."""

import asyncio
import time
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.consistency import FIELD, ConsistencyToken
from services.common.db import KitTables
from services.common.errors import InvalidArgument, Unavailable

POLL_SECONDS = 0.05


class FreshnessGate:
    """Knows how far the read model has applied each source's events, per organisation.

    The local consumer reports progress directly; progress made by another replica is read from the
    positions table. Waiting ends with Unavailable, never with an answer from a stale model.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        kit: KitTables,
        own_source: str,
        consumed_sources: set[str],
        timeout: float,
    ):
        self._sessions = sessions
        self._kit = kit
        self._own_source = own_source
        self._consumed = consumed_sources
        self._timeout = timeout
        self._applied: dict[tuple[str, str], int] = {}
        self._progress = asyncio.Event()

    def advanced(self, positions: dict[tuple[str, str], int]) -> None:
        """Called by the consumer after commit."""
        for key, revision in positions.items():
            self._applied[key] = max(revision, self._applied.get(key, 0))
        self._progress.set()
        self._progress = asyncio.Event()

    async def wait_for(self, token: ConsistencyToken | None, deadline: float | None = None) -> None:
        """Return once every revision in the token is applied; Unavailable after the timeout."""
        if token is None:
            return
        unknown = set(token.revisions) - self._consumed - {self._own_source}
        if unknown:
            # No wait could ever satisfy it: say so now instead of timing out.
            raise InvalidArgument(
                "the consistency token names changes authorization does not follow", field=FIELD
            )
        needed = {source: rev for source, rev in token.revisions.items() if source != self._own_source}
        give_up = time.monotonic() + (self._timeout if deadline is None else min(self._timeout, deadline))
        while True:
            behind = {s: r for s, r in needed.items() if self._applied.get((s, token.org_id), 0) < r}
            if not behind:
                return
            await self._refresh(token.org_id, list(behind))
            if all(self._applied.get((s, token.org_id), 0) >= r for s, r in behind.items()):
                return
            remaining = give_up - time.monotonic()
            if remaining <= 0:
                raise Unavailable(
                    "authorization data is not yet up to date with the consistency token; retry"
                )
            try:
                await asyncio.wait_for(self._progress.wait(), min(POLL_SECONDS, remaining))
            except TimeoutError:
                pass

    async def _refresh(self, org_id: str, sources: list[str]) -> None:
        table = self._kit.positions
        async with self._sessions() as session:
            rows = await session.execute(
                select(table.c.source, table.c.revision).where(
                    table.c.org_id == uuid.UUID(org_id), table.c.source.in_(sources)
                )
            )
            self.advanced({(source, org_id): revision for source, revision in rows})
