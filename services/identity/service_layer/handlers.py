"""Identity's use cases: units, user roles, users, assignments and settings, each in one unit of work."""

import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher
from elevhalsa.identity.v1 import events_pb2

from services.common.admin_rights import Rights
from services.common.auth import AdminModule, Caller, PermissionLevel
from services.common.clock import utcnow
from services.common.email import normalise_email
from services.common.errors import AlreadyExists, Conflict, InvalidArgument, PermissionDenied
from services.common.repository import open_to_every_member
from services.common.uow import UnitOfWork
from services.identity.adapters.orm import Assignment, Unit, User, UserRole
from services.identity.adapters.repository import IdentityRepository
from services.identity.domain.model import (
    AssignmentSource,
    AssignmentTerms,
    SchoolLevel,
    Settings,
    SettingsChange,
    UnitKind,
    UserChange,
    check_password,
)
from services.identity.service_layer import events

ADMIN = PermissionLevel.ADMIN


def repository(uow: UnitOfWork, caller: Caller) -> IdentityRepository:
    """The caller's organisation's repository: the only way a handler reaches identity's data."""
    return uow.repository(caller.org_id)


@open_to_every_member("unit names label every list a member works with: students, classes, cases")
async def get_unit(uow: UnitOfWork, caller: Caller, unit_id: uuid.UUID) -> Unit:
    return await repository(uow, caller).unit(unit_id)


@open_to_every_member("unit names label every list a member works with: students, classes, cases")
async def list_units(uow: UnitOfWork, caller: Caller) -> list[Unit]:
    return await repository(uow, caller).units()


@open_to_every_member("role names explain a member's own assignments and who else works on a case")
async def list_user_roles(uow: UnitOfWork, caller: Caller) -> list[UserRole]:
    return await repository(uow, caller).roles()


@dataclass(frozen=True)
class NewUnit:
    name: str
    kind: UnitKind
    school_level: SchoolLevel
    external_id: uuid.UUID | None


async def create_unit(
    uow: UnitOfWork, caller: Caller, rights: Rights, new: NewUnit, *, token: str = ""
) -> tuple[Unit, str]:
    await rights.require(caller, AdminModule.UNITS, token)
    repo = repository(uow, caller)
    if await repo.unit_named(new.name):
        raise AlreadyExists(f"a unit named {new.name!r} already exists", field="name")
    if new.external_id and await repo.unit_by_external_id(new.external_id):
        raise AlreadyExists("a unit with this external_id already exists", field="external_id")
    unit = Unit(
        id=uuid.uuid4(),
        org_id=repo.org_id,
        name=new.name,
        kind=new.kind,
        school_level=new.school_level,
        external_id=new.external_id,
        active=True,
    )
    repo.add(unit)
    uow.publish(caller.org_id, events_pb2.UnitCreated(unit_id=str(unit.id), active=True))
    return unit, await uow.commit()


async def create_user_role(
    uow: UnitOfWork,
    caller: Caller,
    rights: Rights,
    name: str,
    external_id: uuid.UUID | None,
    *,
    token: str = "",
) -> tuple[UserRole, str]:
    await rights.require(caller, AdminModule.ROLES, token)
    repo = repository(uow, caller)
    if await repo.role_named(name):
        raise AlreadyExists(f"a user role named {name!r} already exists", field="name")
    if external_id and await repo.role_by_external_id(external_id):
        raise AlreadyExists("a user role with this external_id already exists", field="external_id")
    role = UserRole(id=uuid.uuid4(), org_id=repo.org_id, name=name, external_id=external_id)
    repo.add(role)
    uow.publish(caller.org_id, events_pb2.UserRoleCreated(role_id=str(role.id)))
    return role, await uow.commit()


@dataclass(frozen=True)
class NewUser:
    external_id: str | None
    first_name: str
    last_name: str
    email: str | None
    active: bool
    permission_level: PermissionLevel
    manually_managed: bool
    password: str | None
    may_sign_notes: bool = True


async def create_user(
    uow: UnitOfWork, caller: Caller, rights: Rights, new: NewUser, hasher: PasswordHasher, *, token: str = ""
) -> tuple[User, str]:
    concerns_admin = new.permission_level is ADMIN
    await rights.require(caller, AdminModule.USERS, token, concerns_admin=concerns_admin)
    if new.external_id:
        await require_import_rights(caller, rights, token)
    repo = repository(uow, caller)
    if new.external_id and await repo.user_by_external_id(new.external_id):
        raise AlreadyExists("a user with this external_id already exists", field="external_id")
    user = User(
        id=uuid.uuid4(),
        org_id=repo.org_id,
        external_id=new.external_id,
        first_name=new.first_name,
        last_name=new.last_name,
        email=new.email,
        active=new.active,
        permission_level=new.permission_level,
        manually_managed=new.manually_managed,
        may_sign_notes=new.may_sign_notes,
    )
    repo.add(user)
    if new.password:
        await add_credential(repo, user, new.password, hasher)
    uow.publish(caller.org_id, events.user_changed(user))
    return user, await uow.commit()


async def add_credential(repo: IdentityRepository, user: User, password: str, hasher: PasswordHasher) -> None:
    """Give a user a password login under their e-mail address."""
    if not user.email:
        raise InvalidArgument("a user needs an e-mail address to log in with a password", field="email")
    check_password(password)
    if not await repo.add_credential(user, normalise_email(user.email), hasher.hash(password)):
        raise AlreadyExists("another user already logs in with this e-mail address", field="email")


async def require_import_rights(caller: Caller, rights: Rights, token: str) -> None:
    """An external id hands the user to the user import, which gives assignments: the imports module decides."""
    try:
        await rights.require(caller, AdminModule.IMPORTS, token)
    except PermissionDenied as refused:
        raise PermissionDenied(
            f"an external_id hands the user to the user import: {refused.message}", field="external_id"
        ) from None


async def get_user(uow: UnitOfWork, caller: Caller, rights: Rights, user_id: uuid.UUID) -> User:
    if str(user_id) != caller.user_id:
        await rights.require(caller, AdminModule.USERS)
    return await repository(uow, caller).user(user_id)


MAX_NAMES = 1_000  # a page of a list that names colleagues


@open_to_every_member("colleagues' names label who wrote a note and who can read a folder")
async def user_names(uow: UnitOfWork, caller: Caller, user_ids: list[uuid.UUID]) -> list[User]:
    """The users of the caller's organisation among the ids, in the order asked, each once."""
    if len(user_ids) > MAX_NAMES:
        raise InvalidArgument(f"at most {MAX_NAMES:,} user ids per call", field="user_ids")
    wanted = list(dict.fromkeys(user_ids))
    found = {user.id: user for user in await repository(uow, caller).users_by_ids(wanted)}
    return [found[user_id] for user_id in wanted if user_id in found]


async def update_user(
    uow: UnitOfWork,
    caller: Caller,
    rights: Rights,
    user_id: uuid.UUID,
    change: UserChange,
    *,
    token: str = "",
) -> tuple[User, str]:
    """Change what an administrator sets by hand; returns the user and a consistency token."""
    repo = repository(uow, caller)
    user = await repo.user(user_id)
    concerns_admin = ADMIN in (user.permission_level, change.permission_level)
    await uow.release()
    await rights.require(caller, AdminModule.USERS, token, concerns_admin=concerns_admin)
    user = await repo.user(user_id)
    if user.permission_level == ADMIN and not concerns_admin:
        raise Conflict("the user became an administrator meanwhile; try again", field="user_id")
    if user.permission_level == ADMIN and change.permission_level not in (None, ADMIN):
        await require_another_admin(repo, user)
    if change.changes(user):
        change.apply(user)
        uow.publish(caller.org_id, events.user_changed(user))
    return user, await uow.commit()


async def require_another_admin(repo: IdentityRepository, user: User) -> None:
    """The organisation keeps an active administrator: the last one is not demoted."""
    if not await repo.other_active_admins(user.id):
        raise Conflict(
            "the organisation's last active administrator keeps the level; make another user administrator first",
            field="permission_level",
        )


async def create_assignment(
    uow: UnitOfWork,
    caller: Caller,
    rights: Rights,
    user_id: uuid.UUID,
    terms: AssignmentTerms,
    *,
    token: str = "",
):
    """Give a user a role on a unit (or all units); returns the assignment and a consistency token. A
    subadmin's scope applies: authz is told the role and unit."""
    repo = repository(uow, caller)
    await repo.user(user_id)
    role = await repo.role(uuid.UUID(terms.role_id))
    unit = await repo.unit(uuid.UUID(terms.unit_id)) if terms.unit_id else None
    await uow.release()
    await rights.require(
        caller,
        AdminModule.ASSIGNMENTS,
        token,
        role_id=terms.role_id,
        unit_id=terms.unit_id,
        all_units=terms.all_units,
        role_name=role.name,
        unit_name=unit.name if unit else "",
    )
    assignment = new_assignment(repo.org_id, user_id, terms, AssignmentSource.MANUAL)
    repo.add(assignment)
    uow.publish(caller.org_id, events.assignment_granted(assignment))
    return assignment, await uow.commit()


def new_assignment(org_id: uuid.UUID, user_id: uuid.UUID, terms: AssignmentTerms, source: str) -> Assignment:
    return Assignment(
        id=uuid.uuid4(),
        org_id=org_id,
        user_id=user_id,
        role_id=uuid.UUID(terms.role_id),
        unit_id=uuid.UUID(terms.unit_id) if terms.unit_id else None,
        all_units=terms.all_units,
        valid_from=terms.valid_from,
        valid_to=terms.valid_to,
        source=source,
    )


async def revoke_assignment(
    uow: UnitOfWork, caller: Caller, rights: Rights, assignment_id: uuid.UUID, *, token: str = ""
) -> str:
    """End an assignment now; the token lets a later read see the revoke. A subadmin's scope applies."""
    repo = repository(uow, caller)
    assignment = await repo.assignment(assignment_id)
    role = await repo.role(assignment.role_id)
    unit = await repo.unit(assignment.unit_id) if assignment.unit_id else None
    await uow.release()
    await rights.require(
        caller,
        AdminModule.ASSIGNMENTS,
        token,
        role_id=str(assignment.role_id),
        unit_id=str(assignment.unit_id) if assignment.unit_id else None,
        all_units=assignment.all_units,
        role_name=role.name,
        unit_name=unit.name if unit else "",
    )
    assignment = await repo.assignment(assignment_id)
    assignment.revoked_at = utcnow()
    uow.publish(caller.org_id, events.assignment_revoked(assignment))
    return await uow.commit()


async def list_assignments(
    uow: UnitOfWork, caller: Caller, rights: Rights, user_id: uuid.UUID
) -> list[Assignment]:
    if str(user_id) != caller.user_id:
        await rights.require(caller, AdminModule.ASSIGNMENTS)
    repo = repository(uow, caller)
    await repo.user(user_id)
    return await repo.active_assignments([user_id])


@open_to_every_member(
    "services ask as the user which of the organisation's journal rules apply to what they do"
)
async def get_settings(uow: UnitOfWork, caller: Caller) -> Settings:
    return await repository(uow, caller).settings()


async def update_settings(
    uow: UnitOfWork, caller: Caller, rights: Rights, change: SettingsChange, *, token: str = ""
) -> Settings:
    """Change the settings named; returns the settings after the change."""
    await rights.require(caller, AdminModule.SETTINGS, token)
    repo = repository(uow, caller)
    settings = change.applied_to(await repo.locked_settings())
    await repo.save_settings(settings)
    await uow.commit()
    return settings
