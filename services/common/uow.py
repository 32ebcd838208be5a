"""Unit of work: one transaction for a change and the events it publishes (the transactional outbox)."""

import uuid
from collections import defaultdict
from datetime import UTC, datetime

from google.protobuf.message import Message
from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.auth import caller_or_none
from services.common.consistency import ConsistencyToken
from services.common.db import KitTables, outbox_channel
from services.common.events import subject_of
from services.common.repository import RepositoryFactory
from services.common.telemetry import inject_context


class UnitOfWork:
    """`async with uow:` opens a session; `repository(org)` is the way in to the data; `publish` queues events;
    `commit` writes both atomically."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        kit: KitTables,
        source: str,
        repositories: RepositoryFactory | None = None,
    ):
        self._sessions = sessions
        self._kit = kit
        self.source = source
        self._repositories = repositories
        self._events: list[tuple[str, Message]] = []

    async def __aenter__(self) -> "UnitOfWork":
        self.session = self._sessions()
        self._events = []
        return self

    async def __aexit__(self, *exc_info) -> None:
        # close() rolls back anything uncommitted; loaded rows stay readable after the block.
        await self.session.close()

    async def release(self) -> None:
        """End the reads made so far (nothing may be staged yet), so that no connection is held while another
        service answers. Rows read stay readable but are no longer tracked; the next query starts afresh."""
        if self._events or self.session.new or self.session.dirty or self.session.deleted:
            raise RuntimeError("release() discards staged changes; release before changing anything")
        await self.session.close()

    def repository(self, org_id: str | uuid.UUID):
        """The service's repository for one organisation, on this unit of work's session."""
        assert self._repositories is not None, f"{self.source} has no repository factory"
        return self._repositories(self.session, uuid.UUID(str(org_id)))

    def publish(self, org_id: str, event: Message) -> None:
        """Queue an event; it is written to the outbox by `commit`, in the same transaction."""
        self._events.append((str(org_id), event))

    async def commit(self) -> str:
        """Commit the change and its events; returns the consistency token for them ('' if none)."""
        if len({org_id for org_id, _ in self._events}) > 1:
            raise ValueError(
                "a unit of work publishes for one organisation; its token is that organisation's"
            )
        revisions = await write_events(self.session, self._kit, self._events)
        await self.session.commit()
        self._events = []
        if not revisions:
            return ""
        [(org_id, revision)] = revisions.items()
        return ConsistencyToken(org_id, {self.source: revision}).encode()


async def write_events(
    session: AsyncSession, kit: KitTables, events: list[tuple[str, Message]]
) -> dict[str, int]:
    """Stamp events with their organisation's next revisions and insert them into the outbox."""
    by_org: dict[str, list[Message]] = defaultdict(list)
    for org_id, event in events:
        by_org[org_id].append(event)
    caller = caller_or_none()
    now = datetime.now(UTC)
    rows, last_revisions = [], {}
    # Sorted so that two transactions never lock organisations in opposite orders.
    for org_id in sorted(by_org):
        org_events = by_org[org_id]
        last = await reserve_revisions(session, kit, org_id, len(org_events))
        last_revisions[org_id] = last
        for offset, event in enumerate(org_events):
            meta = event.meta
            meta.event_id = str(uuid.uuid4())
            meta.org_id = org_id
            meta.revision = last - len(org_events) + 1 + offset
            meta.occurred_at.FromDatetime(now)
            meta.actor_id = caller.user_id if caller else ""
            rows.append(
                {
                    "event_id": uuid.UUID(meta.event_id),
                    "org_id": uuid.UUID(org_id),
                    "subject": subject_of(event),
                    "payload": event.SerializeToString(),
                    "headers": inject_context({}),
                }
            )
    if rows:
        await session.execute(insert(kit.outbox), rows)
        await session.execute(select(func.pg_notify(outbox_channel(kit.schema), "")))
    return last_revisions


async def reserve_revisions(session: AsyncSession, kit: KitTables, org_id: str, count: int) -> int:
    """Advance the organisation's revision by `count` and return the last one.

    The row lock taken here is held until commit, so an organisation's revisions are handed out in commit
    order: a reader that has seen revision N has seen every event up to N.
    """
    table = kit.revisions
    statement = (
        pg_insert(table)
        .values(org_id=uuid.UUID(org_id), revision=count)
        .on_conflict_do_update(index_elements=[table.c.org_id], set_={"revision": table.c.revision + count})
        .returning(table.c.revision)
    )
    return (await session.execute(statement)).scalar_one()
