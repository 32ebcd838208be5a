"""Rebuilding an organisation elsewhere: a replay marker and the organisation's current state, as events."""

import argparse
import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass

from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.common.db import KitTables
from services.common.errors import DomainError
from services.common.uow import reserve_revisions, write_events

# The organisation's current state as ordinary events, read in the replay's transaction.
CurrentState = Callable[[AsyncSession, uuid.UUID], Awaitable[list[Message]]]


@dataclass(frozen=True)
class Replayed:
    org_id: str
    marker_revision: int  # consumers reset the organisation and continue from here
    last_revision: int
    events: int  # state events after the marker


async def replay_organisation(
    sessions: async_sessionmaker[AsyncSession],
    kit: KitTables,
    org_id: uuid.UUID,
    marker: Message,
    current_state: CurrentState,
) -> Replayed:
    """In one transaction, write the marker and then the current state to the outbox."""
    async with sessions() as session, session.begin():
        # Lock the organisation's revision first: a change committing meanwhile then gets a revision after
        # the replay's, so the state read here is never newer than the events that follow it.
        await reserve_revisions(session, kit, str(org_id), 0)
        events = await current_state(session, org_id)
        revisions = await write_events(session, kit, [(str(org_id), e) for e in [marker, *events]])
    return Replayed(str(org_id), marker.meta.revision, revisions[str(org_id)], len(events))


def replay_command(
    source: str, kit: KitTables, marker_type: type[Message], current_state: CurrentState
) -> Callable[[argparse.ArgumentParser], Callable[[argparse.Namespace], None]]:
    """The `replay-org ORG_ID` command of a service's command line."""

    def add(parser: argparse.ArgumentParser):
        parser.description = (
            f"Publish organisation ORG_ID's current {source} state after a replay marker, so that every "
            "consumer rebuilds what it built from it (and lifts its quarantine)."
        )
        parser.add_argument("org_id", metavar="ORG_ID")

        def run(args: argparse.Namespace) -> None:
            try:
                org_id = uuid.UUID(args.org_id)
            except ValueError:
                parser.error("org_id must be a UUID")
            try:
                result = asyncio.run(replay_from_env(source, kit, org_id, marker_type(), current_state))
            except DomainError as error:
                raise SystemExit(f"{error.field or 'error'}: {error.message}") from None
            print(json.dumps(asdict(result)))

        return run

    return add


async def replay_from_env(
    source: str, kit: KitTables, org_id: uuid.UUID, marker: Message, current_state: CurrentState
) -> Replayed:
    from services.common.cli import require_env
    from services.common.db import create_engine, session_factory

    engine = create_engine(require_env("DATABASE_URL"), application_name=f"{source}-replay", pool_size=1)
    try:
        return await replay_organisation(session_factory(engine), kit, org_id, marker, current_state)
    finally:
        await engine.dispose()
