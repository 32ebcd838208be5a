"""Identity queries; every one is scoped by organisation, so another organisation's ids are simply not found."""

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import NotFound
from services.identity.adapters.orm import Assignment, Credential, Organisation, Unit, User, UserRole


class IdentityRepository:
    def __init__(self, session: AsyncSession, org_id: uuid.UUID):
        self.session = session
        self.org_id = org_id

    def add(self, row) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    async def _get(self, model, row_id: uuid.UUID, what: str, field: str):
        row = await self.session.scalar(select(model).where(model.id == row_id, model.org_id == self.org_id))
        if row is None:
            raise NotFound(f"{what} not found", field=field)
        return row

    async def unit(self, unit_id: uuid.UUID, field: str = "unit_id") -> Unit:
        return await self._get(Unit, unit_id, "unit", field)

    async def role(self, role_id: uuid.UUID, field: str = "role_id") -> UserRole:
        return await self._get(UserRole, role_id, "user role", field)

    async def user(self, user_id: uuid.UUID, field: str = "user_id") -> User:
        return await self._get(User, user_id, "user", field)

    async def assignment(self, assignment_id: uuid.UUID) -> Assignment:
        row = await self._get(Assignment, assignment_id, "assignment", "assignment_id")
        if row.revoked_at is not None:
            raise NotFound("assignment not found", field="assignment_id")
        return row

    async def units(self) -> list[Unit]:
        return list(
            await self.session.scalars(select(Unit).where(Unit.org_id == self.org_id).order_by(Unit.name))
        )

    async def roles(self) -> list[UserRole]:
        query = select(UserRole).where(UserRole.org_id == self.org_id).order_by(UserRole.name)
        return list(await self.session.scalars(query))

    async def unit_named(self, name: str) -> Unit | None:
        return await self.session.scalar(select(Unit).where(Unit.org_id == self.org_id, Unit.name == name))

    async def role_named(self, name: str) -> UserRole | None:
        query = select(UserRole).where(UserRole.org_id == self.org_id, UserRole.name == name)
        return await self.session.scalar(query)

    async def unit_by_external_id(self, external_id: uuid.UUID) -> Unit | None:
        query = select(Unit).where(Unit.org_id == self.org_id, Unit.external_id == external_id)
        return await self.session.scalar(query)

    async def role_by_external_id(self, external_id: uuid.UUID) -> UserRole | None:
        query = select(UserRole).where(UserRole.org_id == self.org_id, UserRole.external_id == external_id)
        return await self.session.scalar(query)

    async def user_by_external_id(self, external_id: str) -> User | None:
        query = select(User).where(User.org_id == self.org_id, User.external_id == external_id)
        return await self.session.scalar(query)

    async def users_by_external_ids(self, external_ids: list[str]) -> dict[str, User]:
        query = select(User).where(User.org_id == self.org_id, User.external_id.in_(external_ids))
        return {user.external_id: user for user in await self.session.scalars(query)}

    async def users_by_ids(self, user_ids: list[uuid.UUID]) -> list[User]:
        query = select(User).where(User.org_id == self.org_id, User.id.in_(user_ids))
        return list(await self.session.scalars(query))

    def imported_users(self):
        """Users with an external id, streamed."""
        query = (
            select(User).where(User.org_id == self.org_id, User.external_id.is_not(None)).order_by(User.id)
        )
        return self.session.stream_scalars(query.execution_options(yield_per=2000))

    async def active_assignments(self, user_ids: list[uuid.UUID] | None = None, source: str | None = None):
        """Unrevoked assignments, for some users or all, optionally of one source."""
        query = select(Assignment).where(Assignment.org_id == self.org_id, Assignment.revoked_at.is_(None))
        if user_ids is not None:
            query = query.where(Assignment.user_id.in_(user_ids))
        if source is not None:
            query = query.where(Assignment.source == source)
        return list(await self.session.scalars(query.order_by(Assignment.created_at, Assignment.id)))

    async def credentials_of(self, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, Credential]:
        if not user_ids:
            return {}
        query = select(Credential).where(Credential.user_id.in_(user_ids))
        return {credential.user_id: credential for credential in await self.session.scalars(query)}

    async def role_ids(self) -> set[uuid.UUID]:
        return set(await self.session.scalars(select(UserRole.id).where(UserRole.org_id == self.org_id)))

    async def unit_ids(self) -> set[uuid.UUID]:
        return set(await self.session.scalars(select(Unit.id).where(Unit.org_id == self.org_id)))


async def login_of(session: AsyncSession, login_email: str) -> tuple[Credential, User] | None:
    """The credential and user for a login e-mail, across organisations (logins are globally unique)."""
    query = (
        select(Credential, User)
        .join(User, User.id == Credential.user_id)
        .where(Credential.login_email == login_email)
    )
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


async def organisation_named(session: AsyncSession, name: str) -> Organisation | None:
    return await session.scalar(select(Organisation).where(Organisation.name == name))
