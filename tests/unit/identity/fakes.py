"""In-memory stand-ins for identity's repository and unit of work: handlers run against them without a database."""

import uuid
from collections.abc import AsyncIterator

from argon2.exceptions import VerifyMismatchError

from services.common.errors import NotFound
from services.identity.adapters.orm import (
    Assignment,
    Credential,
    Organisation,
    OrganisationSettings,
    Unit,
    User,
    UserRole,
)
from services.identity.adapters.repository import settings_of
from services.identity.domain.model import Settings


class FakeStore:
    """What the database holds once committed: rows of every organisation."""

    def __init__(self):
        self.rows: list = []

    def of(self, model: type) -> list:
        return [row for row in self.rows if isinstance(row, model)]


class FakeIdentityRepository:
    """IdentityRepository's methods over the store and the unit of work's uncommitted rows."""

    def __init__(self, uow: "FakeUnitOfWork", org_id: uuid.UUID):
        self._uow = uow
        self.org_id = org_id

    def _everyone(self, model: type) -> list:
        return [row for row in self._uow.visible() if isinstance(row, model)]

    def _ours(self, model: type) -> list:
        return [row for row in self._everyone(model) if row.org_id == self.org_id]

    def _check_tenant(self, row) -> None:
        if row.org_id != self.org_id:
            raise ValueError(f"a {type(row).__name__} of another organisation added through this repository")

    def add(self, row) -> None:
        self._check_tenant(row)
        self._uow.staged.append(row)

    def add_all(self, rows) -> None:
        for row in rows:
            self.add(row)

    async def flush(self) -> None:
        pass

    async def _one(self, model: type, row_id: uuid.UUID, what: str, field: str):
        for row in self._ours(model):
            if row.id == row_id:
                return row
        raise NotFound(f"{what} not found", field=field)

    async def unit(self, unit_id: uuid.UUID, field: str = "unit_id") -> Unit:
        return await self._one(Unit, unit_id, "unit", field)

    async def role(self, role_id: uuid.UUID, field: str = "role_id") -> UserRole:
        return await self._one(UserRole, role_id, "user role", field)

    async def user(self, user_id: uuid.UUID, field: str = "user_id") -> User:
        return await self._one(User, user_id, "user", field)

    async def assignment(self, assignment_id: uuid.UUID) -> Assignment:
        row = await self._one(Assignment, assignment_id, "assignment", "assignment_id")
        if row.revoked_at is not None:
            raise NotFound("assignment not found", field="assignment_id")
        return row

    async def units(self) -> list[Unit]:
        return sorted(self._ours(Unit), key=lambda unit: unit.name)

    async def roles(self) -> list[UserRole]:
        return sorted(self._ours(UserRole), key=lambda role: role.name)

    def _first(self, model: type, **equal):
        rows = [row for row in self._ours(model) if all(getattr(row, k) == v for k, v in equal.items())]
        return rows[0] if rows else None

    async def unit_named(self, name: str) -> Unit | None:
        return self._first(Unit, name=name)

    async def role_named(self, name: str) -> UserRole | None:
        return self._first(UserRole, name=name)

    async def unit_by_external_id(self, external_id: uuid.UUID) -> Unit | None:
        return self._first(Unit, external_id=external_id)

    async def role_by_external_id(self, external_id: uuid.UUID) -> UserRole | None:
        return self._first(UserRole, external_id=external_id)

    async def user_by_external_id(self, external_id: str) -> User | None:
        return self._first(User, external_id=external_id)

    async def users_by_external_ids(self, external_ids: list[str]) -> dict[str, User]:
        return {user.external_id: user for user in self._ours(User) if user.external_id in external_ids}

    async def users_by_ids(self, user_ids: list[uuid.UUID]) -> list[User]:
        return [user for user in self._ours(User) if user.id in user_ids]

    async def imported_users(self) -> AsyncIterator[User]:
        for user in sorted(self._ours(User), key=lambda user: user.id):
            if user.external_id is not None:
                yield user

    async def active_assignments(self, user_ids=None, source=None) -> list[Assignment]:
        return [
            assignment
            for assignment in self._ours(Assignment)
            if assignment.revoked_at is None
            and (user_ids is None or assignment.user_id in user_ids)
            and (source is None or assignment.source == source)
        ]

    async def role_ids(self) -> set[uuid.UUID]:
        return {role.id for role in self._ours(UserRole)}

    async def unit_ids(self) -> set[uuid.UUID]:
        return {unit.id for unit in self._ours(Unit)}

    async def credentials_of(self, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, Credential]:
        return {c.user_id: c for c in self._ours(Credential) if c.user_id in user_ids}

    async def add_credential(self, user: User, login_email: str, password_hash: str) -> bool:
        self._check_tenant(user)
        if await self._login(login_email):
            return False
        self.add(
            Credential(
                user_id=user.id, org_id=self.org_id, login_email=login_email, password_hash=password_hash
            )
        )
        return True

    async def remove_credential(self, credential: Credential) -> None:
        self._check_tenant(credential)
        self._uow.removed.append(credential)

    async def login_email_taken(self, login_email: str, *, by_other_than: uuid.UUID) -> bool:
        credential = await self._login(login_email)
        return credential is not None and credential.user_id != by_other_than

    async def _login(self, login_email: str) -> Credential | None:
        found = [c for c in self._everyone(Credential) if c.login_email == login_email]
        return found[0] if found else None

    async def login_of(self, login_email: str) -> tuple[Credential, User] | None:
        credential = await self._login(login_email)
        if credential is None:
            return None
        [user] = [
            u for u in self._everyone(User) if (u.org_id, u.id) == (credential.org_id, credential.user_id)
        ]
        return credential, user

    async def other_active_admins(self, user_id: uuid.UUID) -> list[uuid.UUID]:
        return [
            u.id for u in self._ours(User) if u.permission_level == "admin" and u.active and u.id != user_id
        ]

    async def settings(self) -> Settings:
        return settings_of(self._first(OrganisationSettings))

    async def locked_settings(self) -> Settings:
        return await self.settings()

    async def save_settings(self, settings: Settings) -> None:
        row = self._first(OrganisationSettings)
        if row is None:
            row = OrganisationSettings(org_id=self.org_id)
            self.add(row)
        row.prevent_editing_own_signed_notes = settings.prevent_editing_own_signed_notes
        row.subadmins_manage_templates = settings.subadmins_manage_templates
        row.memory_notes_allowed = settings.memory_notes_allowed

    async def organisation_named(self, name: str) -> Organisation | None:
        found = [org for org in self._everyone(Organisation) if org.name == name]
        return found[0] if found else None

    def add_organisation(self, name: str) -> Organisation:
        organisation = Organisation(id=self.org_id, name=name)
        self._uow.staged.append(organisation)
        return organisation


class FakeUnitOfWork:
    """Records what a handler staged, published and committed; what is not committed never reaches the store."""

    source = "identity"

    def __init__(self, store: FakeStore | None = None):
        self.store = store or FakeStore()
        self.staged: list = []
        self.removed: list = []
        self.pending: list[tuple[str, object]] = []
        self.published: list[tuple[str, object]] = []
        self.commits = 0
        self.releases = 0  # reads ended before asking another service

    async def __aenter__(self) -> "FakeUnitOfWork":
        return self

    async def __aexit__(self, *exc_info) -> None:
        self.staged, self.removed, self.pending = [], [], []

    async def release(self) -> None:
        if self.staged or self.removed or self.pending:
            raise RuntimeError("release() discards staged changes; release before changing anything")
        self.releases += 1

    def visible(self) -> list:
        """The rows this unit of work sees: the store's and its own, less those it removed."""
        return [row for row in self.store.rows + self.staged if not any(row is gone for gone in self.removed)]

    def repository(self, org_id) -> FakeIdentityRepository:
        return FakeIdentityRepository(self, uuid.UUID(str(org_id)))

    def publish(self, org_id: str, event) -> None:
        self.pending.append((str(org_id), event))

    async def commit(self) -> str:
        self.store.rows = self.visible()
        self.published += self.pending
        self.staged, self.removed, self.pending = [], [], []
        self.commits += 1
        return f"token-{self.commits}"

    def event_names(self) -> list[str]:
        """The names of the events committed so far, in order."""
        return [type(event).__name__ for _, event in self.published]


class SpyHasher:
    """A password hasher that records every verification and hashes by prefix (argon2 costs real time)."""

    def __init__(self):
        self.verified: list[str] = []
        self.hashed: list[str] = []

    def hash(self, password: str) -> str:
        self.hashed.append(password)
        return f"hashed:{password}"

    def verify(self, stored_hash: str, password: str) -> bool:
        self.verified.append(password)
        if stored_hash != f"hashed:{password}":
            raise VerifyMismatchError("the password does not match")
        return True
