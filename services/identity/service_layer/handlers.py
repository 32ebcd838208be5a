"""Identity's use cases: units, user roles, users, assignments and settings, each in one unit of work."""

import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher
from elevhalsa.identity.v1 import events_pb2

from services.common.auth import Caller, PermissionLevel
from services.common.clock import utcnow
from services.common.email import normalise_email
from services.common.errors import AlreadyExists, InvalidArgument, PermissionDenied
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

ADMINS = (PermissionLevel.ADMIN,)
USER_MANAGERS = (PermissionLevel.ADMIN, PermissionLevel.SUBADMIN)


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


async def create_unit(uow: UnitOfWork, caller: Caller, new: NewUnit) -> tuple[Unit, str]:
    caller.require_level(*ADMINS)
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
    uow: UnitOfWork, caller: Caller, name: str, external_id: uuid.UUID | None
) -> tuple[UserRole, str]:
    caller.require_level(*ADMINS)
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
    uow: UnitOfWork, caller: Caller, new: NewUser, hasher: PasswordHasher
) -> tuple[User, str]:
    caller.require_level(*USER_MANAGERS)
    if new.permission_level == PermissionLevel.ADMIN and caller.permission_level != PermissionLevel.ADMIN:
        raise PermissionDenied("only an administrator may create administrators", field="permission_level")
    if new.external_id and caller.permission_level != PermissionLevel.ADMIN:
        # An external id hands the user to the import, which gives assignments: only administrators decide that.
        raise PermissionDenied("only an administrator may set external_id", field="external_id")
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


async def get_user(uow: UnitOfWork, caller: Caller, user_id: uuid.UUID) -> User:
    if str(user_id) != caller.user_id:
        caller.require_level(*USER_MANAGERS)
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
    uow: UnitOfWork, caller: Caller, user_id: uuid.UUID, change: UserChange
) -> tuple[User, str]:
    """Change what an administrator sets by hand; returns the user and a consistency token."""
    caller.require_level(*ADMINS)
    user = await repository(uow, caller).user(user_id)
    if change.may_sign_notes is not None and change.may_sign_notes != user.may_sign_notes:
        user.may_sign_notes = change.may_sign_notes
        uow.publish(caller.org_id, events.user_changed(user))
    return user, await uow.commit()


async def create_assignment(uow: UnitOfWork, caller: Caller, user_id: uuid.UUID, terms: AssignmentTerms):
    """Give a user a role on a unit (or all units); returns the assignment and a consistency token."""
    caller.require_level(*ADMINS)
    repo = repository(uow, caller)
    await repo.user(user_id)
    await repo.role(uuid.UUID(terms.role_id))
    if terms.unit_id:
        await repo.unit(uuid.UUID(terms.unit_id))
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


async def revoke_assignment(uow: UnitOfWork, caller: Caller, assignment_id: uuid.UUID) -> str:
    """End an assignment now; the token lets a later read see the revoke."""
    caller.require_level(*ADMINS)
    repo = repository(uow, caller)
    assignment = await repo.assignment(assignment_id)
    assignment.revoked_at = utcnow()
    uow.publish(caller.org_id, events.assignment_revoked(assignment))
    return await uow.commit()


async def list_assignments(uow: UnitOfWork, caller: Caller, user_id: uuid.UUID) -> list[Assignment]:
    if str(user_id) != caller.user_id:
        caller.require_level(*USER_MANAGERS)
    repo = repository(uow, caller)
    await repo.user(user_id)
    return await repo.active_assignments([user_id])


@open_to_every_member(
    "services ask as the user which of the organisation's journal rules apply to what they do"
)
async def get_settings(uow: UnitOfWork, caller: Caller) -> Settings:
    return await repository(uow, caller).settings()


async def update_settings(uow: UnitOfWork, caller: Caller, change: SettingsChange) -> Settings:
    """Change the settings named; returns the settings after the change."""
    caller.require_level(*ADMINS)
    repo = repository(uow, caller)
    settings = change.applied_to(await repo.locked_settings())
    await repo.save_settings(settings)
    await uow.commit()
    return settings
