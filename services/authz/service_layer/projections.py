"""Building authz's read model from identity's and records' events; each handler is idempotent."""

import uuid

from elevhalsa.identity.v1 import events_pb2 as identity_events
from elevhalsa.identity.v1 import identity_pb2
from elevhalsa.records.v1 import events_pb2 as records_events
from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.authz.adapters.orm import KnownAssignment, KnownFolder, KnownRole, KnownUnit, KnownUser
from services.common.convert import date_from_proto

LEVELS = {
    identity_pb2.PERMISSION_LEVEL_ADMIN: "admin",
    identity_pb2.PERMISSION_LEVEL_SUBADMIN: "subadmin",
    identity_pb2.PERMISSION_LEVEL_MEMBER: "member",
}


def org_of(event) -> uuid.UUID:
    return uuid.UUID(event.meta.org_id)


async def upsert(session: AsyncSession, model, keys: list[str], **values) -> None:
    statement = pg_insert(model).values(**values)
    changes = {name: value for name, value in values.items() if name not in keys}
    if changes:
        statement = statement.on_conflict_do_update(index_elements=keys, set_=changes)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=keys)
    await session.execute(statement)


async def unit_created(session: AsyncSession, event: identity_events.UnitCreated) -> None:
    await upsert(
        session,
        KnownUnit,
        ["org_id", "unit_id"],
        org_id=org_of(event),
        unit_id=uuid.UUID(event.unit_id),
        active=event.active,
    )


async def role_created(session: AsyncSession, event: identity_events.UserRoleCreated) -> None:
    await upsert(
        session, KnownRole, ["org_id", "role_id"], org_id=org_of(event), role_id=uuid.UUID(event.role_id)
    )


async def user_changed(session: AsyncSession, event: identity_events.UserChanged) -> None:
    await upsert(
        session,
        KnownUser,
        ["org_id", "user_id"],
        org_id=org_of(event),
        user_id=uuid.UUID(event.user_id),
        active=event.active,
        permission_level=LEVELS.get(event.permission_level, "member"),
    )


async def assignment_granted(session: AsyncSession, event: identity_events.AssignmentGranted) -> None:
    await upsert(
        session,
        KnownAssignment,
        ["assignment_id"],
        assignment_id=uuid.UUID(event.assignment_id),
        org_id=org_of(event),
        user_id=uuid.UUID(event.user_id),
        role_id=uuid.UUID(event.role_id),
        unit_id=None if event.all_units else uuid.UUID(event.unit_id),
        valid_from=date_from_proto(event.valid_from, "valid_from"),
        valid_to=date_from_proto(event.valid_to, "valid_to"),
    )


async def assignment_revoked(session: AsyncSession, event: identity_events.AssignmentRevoked) -> None:
    await session.execute(
        delete(KnownAssignment).where(
            KnownAssignment.assignment_id == uuid.UUID(event.assignment_id),
            KnownAssignment.org_id == org_of(event),
        )
    )


async def folder_created(session: AsyncSession, event: records_events.FolderCreated) -> None:
    await upsert(
        session,
        KnownFolder,
        ["org_id", "folder_id"],
        org_id=org_of(event),
        folder_id=uuid.UUID(event.folder_id),
    )


IDENTITY_HANDLERS = {
    identity_events.UnitCreated: unit_created,
    identity_events.UserRoleCreated: role_created,
    identity_events.UserChanged: user_changed,
    identity_events.AssignmentGranted: assignment_granted,
    identity_events.AssignmentRevoked: assignment_revoked,
}
RECORDS_HANDLERS = {records_events.FolderCreated: folder_created}
