"""Identity's one way in to its data: every query is scoped by organisation, so another organisation's ids are
simply not found. Two reads cross organisations on purpose, and say so: a login names no organisation (its
e-mail finds it), and a new organisation's name must be unique before it has rows to scope by."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.common.errors import NotFound
from services.common.repository import TenantRepository
from services.identity.adapters.orm import (
    Assignment,
    Credential,
    Organisation,
    OrganisationSettings,
    Unit,
    User,
    UserRole,
)
from services.identity.domain.model import Settings

# The organisation of an anonymous caller (a login in progress): its scoped queries find nothing.
NO_ORGANISATION = uuid.UUID(int=0)


class IdentityRepository(TenantRepository):
    """Units, user roles, users, assignments and credentials of one organisation."""

    async def unit(self, unit_id: uuid.UUID, field: str = "unit_id") -> Unit:
        return await self.one(Unit, unit_id, what="unit", field=field)

    async def role(self, role_id: uuid.UUID, field: str = "role_id") -> UserRole:
        return await self.one(UserRole, role_id, what="user role", field=field)

    async def user(self, user_id: uuid.UUID, field: str = "user_id") -> User:
        return await self.one(User, user_id, what="user", field=field)

    async def assignment(self, assignment_id: uuid.UUID) -> Assignment:
        """An unrevoked assignment; a revoked one is as gone as one that never was."""
        query = self.select_of(Assignment).where(
            Assignment.id == assignment_id, Assignment.revoked_at.is_(None)
        )
        row = await self.session.scalar(query)
        if row is None:
            raise NotFound("assignment not found", field="assignment_id")
        return row

    async def units(self) -> list[Unit]:
        return await self.all(self.select_of(Unit).order_by(Unit.name))

    async def roles(self) -> list[UserRole]:
        return await self.all(self.select_of(UserRole).order_by(UserRole.name))

    async def unit_named(self, name: str) -> Unit | None:
        return await self.session.scalar(self.select_of(Unit).where(Unit.name == name))

    async def role_named(self, name: str) -> UserRole | None:
        return await self.session.scalar(self.select_of(UserRole).where(UserRole.name == name))

    async def unit_by_external_id(self, external_id: uuid.UUID) -> Unit | None:
        return await self.session.scalar(self.select_of(Unit).where(Unit.external_id == external_id))

    async def role_by_external_id(self, external_id: uuid.UUID) -> UserRole | None:
        return await self.session.scalar(self.select_of(UserRole).where(UserRole.external_id == external_id))

    async def user_by_external_id(self, external_id: str) -> User | None:
        return await self.session.scalar(self.select_of(User).where(User.external_id == external_id))

    async def users_by_external_ids(self, external_ids: list[str]) -> dict[str, User]:
        query = self.select_of(User).where(User.external_id.in_(external_ids))
        return {user.external_id: user for user in await self.all(query)}

    async def users_by_ids(self, user_ids: list[uuid.UUID]) -> list[User]:
        return await self.all(self.select_of(User).where(User.id.in_(user_ids)))

    async def users(self) -> list[User]:
        """Every user of the organisation, in a stable order."""
        return await self.all(self.select_of(User).order_by(User.id))

    async def other_active_admins(self, user_id: uuid.UUID) -> list[uuid.UUID]:
        """The organisation's other active administrators, locked so that two demotions cannot both pass."""
        query = self.select_of(User, User.id).where(
            User.permission_level == "admin", User.active.is_(True), User.id != user_id
        )
        return list(await self.session.scalars(query.with_for_update()))

    async def imported_users(self) -> AsyncIterator[User]:
        """Users with an external id, streamed."""
        query = self.select_of(User).where(User.external_id.is_not(None)).order_by(User.id)
        async for user in await self.session.stream_scalars(query.execution_options(yield_per=2000)):
            yield user

    async def active_assignments(
        self, user_ids: list[uuid.UUID] | None = None, source: str | None = None
    ) -> list[Assignment]:
        """Unrevoked assignments, for some users or all, optionally of one source."""
        query = self.select_of(Assignment).where(Assignment.revoked_at.is_(None))
        if user_ids is not None:
            query = query.where(Assignment.user_id.in_(user_ids))
        if source is not None:
            query = query.where(Assignment.source == source)
        return await self.all(query.order_by(Assignment.created_at, Assignment.id))

    async def role_ids(self) -> set[uuid.UUID]:
        return set(await self.all(self.select_of(UserRole, UserRole.id)))

    async def unit_ids(self) -> set[uuid.UUID]:
        return set(await self.all(self.select_of(Unit, Unit.id)))

    async def credentials_of(self, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, Credential]:
        if not user_ids:
            return {}
        query = self.select_of(Credential).where(Credential.user_id.in_(user_ids))
        return {credential.user_id: credential for credential in await self.all(query)}

    async def add_credential(self, user: User, login_email: str, password_hash: str) -> bool:
        """Give the user a password login; False if the e-mail is already another login (in any organisation)."""
        self._check_tenant(user)
        await self.flush()  # the user row exists before its credential refers to it
        values = {
            "user_id": user.id,
            "org_id": self.org_id,
            "login_email": login_email,
            "password_hash": password_hash,
        }
        # Insert-or-nothing, so two requests for one address cannot both pass a check and then collide.
        statement = (
            pg_insert(Credential).values(values).on_conflict_do_nothing().returning(Credential.user_id)
        )
        return await self.session.scalar(statement) is not None

    async def remove_credential(self, credential: Credential) -> None:
        self._check_tenant(credential)
        await self.session.delete(credential)

    async def login_email_taken(self, login_email: str, *, by_other_than: uuid.UUID) -> bool:
        """Whether another user logs in with the e-mail, in ANY organisation: login e-mails are unique across
        organisations, so moving a login onto an address must look everywhere."""
        query = select(Credential.user_id).where(
            Credential.login_email == login_email, Credential.user_id != by_other_than
        )
        return await self.session.scalar(query) is not None

    async def login_of(self, login_email: str) -> tuple[Credential, User] | None:
        """The credential and user for a login e-mail, in ANY organisation, whatever this repository serves.

        The one read by an anonymous caller: login e-mails are unique across organisations (the credentials'
        unique key), a login names no organisation, and the user found says which one it is."""
        query = (
            select(Credential, User)
            .join(User, (User.org_id == Credential.org_id) & (User.id == Credential.user_id))
            .where(Credential.login_email == login_email)
        )
        row = (await self.session.execute(query)).first()
        return (row[0], row[1]) if row else None

    async def settings(self) -> Settings:
        """The organisation's settings; the defaults if it never chose."""
        return settings_of(await self.session.scalar(self.select_of(OrganisationSettings)))

    async def locked_settings(self) -> Settings:
        """The settings, their row locked until the unit of work ends, so that two administrators changing
        different settings at once both keep their change. The row is made first if there is none."""
        await self.session.execute(
            pg_insert(OrganisationSettings).values(org_id=self.org_id).on_conflict_do_nothing()
        )
        query = self.select_of(OrganisationSettings).with_for_update()
        return settings_of(await self.session.scalar(query.execution_options(populate_existing=True)))

    async def save_settings(self, settings: Settings) -> None:
        """Store the settings on the row `locked_settings` made."""
        statement = (
            update(OrganisationSettings)
            .where(OrganisationSettings.org_id == self.org_id)
            .values(**asdict(settings), updated_at=func.now())
        )
        await self.session.execute(statement)

    async def organisation_exists(self) -> bool:
        """Whether the organisation this repository serves exists."""
        return await self.session.get(Organisation, self.org_id) is not None

    async def organisation_named(self, name: str) -> Organisation | None:
        """The organisation with the name, among ALL organisations: names are unique across them, and bootstrap
        asks this before the organisation it would create has any rows to scope by."""
        return await self.session.scalar(select(Organisation).where(Organisation.name == name))

    def add_organisation(self, name: str) -> Organisation:
        """Stage the organisation this repository serves (its id is the repository's organisation)."""
        organisation = Organisation(id=self.org_id, name=name)
        self.session.add(organisation)
        return organisation


def settings_of(row: OrganisationSettings | None) -> Settings:
    if row is None:
        return Settings()
    return Settings(
        prevent_editing_own_signed_notes=row.prevent_editing_own_signed_notes,
        subadmins_manage_templates=row.subadmins_manage_templates,
        memory_notes_allowed=row.memory_notes_allowed,
    )
