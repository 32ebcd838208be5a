"""Authz queries: the facts about a user that decisions need, and grants."""

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.authz.adapters.orm import Grant, KnownAssignment, KnownFolder, KnownRole, KnownUnit, KnownUser
from services.authz.domain.model import Access, AssignmentFact, GrantRule, Restriction, Subject


async def load_subject(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> Subject:
    """The user's active flag, assignments, and the grants of their roles."""
    user = await session.scalar(
        select(KnownUser).where(KnownUser.org_id == org_id, KnownUser.user_id == user_id)
    )
    if user is None or not user.active:
        return Subject(active=False, assignments=(), grants={})
    rows = await session.scalars(
        select(KnownAssignment).where(KnownAssignment.org_id == org_id, KnownAssignment.user_id == user_id)
    )
    assignments = tuple(
        AssignmentFact(
            role_id=str(a.role_id),
            unit_id=str(a.unit_id) if a.unit_id else None,
            valid_from=a.valid_from,
            valid_to=a.valid_to,
        )
        for a in rows
    )
    role_ids = {uuid.UUID(a.role_id) for a in assignments}
    grants = {}
    if role_ids:
        query = select(Grant).where(Grant.org_id == org_id, Grant.role_id.in_(role_ids))
        for grant in await session.scalars(query):
            rule = GrantRule(
                str(grant.role_id), str(grant.folder_id), Access(grant.access), Restriction(grant.restriction)
            )
            grants[(rule.role_id, rule.folder_id)] = rule
    return Subject(active=True, assignments=assignments, grants=grants)


async def unit_in_org(session: AsyncSession, org_id: uuid.UUID, unit_id: uuid.UUID) -> bool:
    query = select(KnownUnit.unit_id).where(KnownUnit.org_id == org_id, KnownUnit.unit_id == unit_id)
    return await session.scalar(query) is not None


async def role_known(session: AsyncSession, org_id: uuid.UUID, role_id: uuid.UUID) -> bool:
    query = select(KnownRole.role_id).where(KnownRole.org_id == org_id, KnownRole.role_id == role_id)
    return await session.scalar(query) is not None


async def folder_known(session: AsyncSession, org_id: uuid.UUID, folder_id: uuid.UUID) -> bool:
    query = select(KnownFolder.folder_id).where(
        KnownFolder.org_id == org_id, KnownFolder.folder_id == folder_id
    )
    return await session.scalar(query) is not None


async def upsert_grant(session: AsyncSession, org_id: uuid.UUID, rule: GrantRule) -> None:
    values = {
        "org_id": org_id,
        "role_id": uuid.UUID(rule.role_id),
        "folder_id": uuid.UUID(rule.folder_id),
        "access": rule.access.value,
        "restriction": rule.restriction.value,
    }
    statement = pg_insert(Grant).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["org_id", "role_id", "folder_id"],
            set_={"access": statement.excluded.access, "restriction": statement.excluded.restriction},
        )
    )


async def grants_of(session: AsyncSession, org_id: uuid.UUID) -> list[Grant]:
    query = select(Grant).where(Grant.org_id == org_id).order_by(Grant.role_id, Grant.folder_id)
    return list(await session.scalars(query))
