"""Units, user roles, users, assignments and the organisation's settings (identity)."""

from datetime import date
from typing import Annotated, Literal

from elevhalsa.identity.v1 import identity_pb2 as pb
from fastapi import APIRouter, Response, status
from pydantic import BaseModel, EmailStr, Field

from gateway.routes.common import (
    BackendsDep,
    CallerDep,
    ConsistencyDep,
    Day,
    Name,
    Strict,
    Uuid,
    Written,
    names_of,
    with_token,
)
from services.common.convert import date_from_proto, date_to_proto
from services.common.email import MAX_EMAIL_LENGTH
from services.common.enums import ProtoEnum
from services.identity.domain.model import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from services.identity.domain.model import UnitKind as UnitKinds

router = APIRouter(prefix="/api/v1", tags=["identity"])

SCHOOL_LEVELS = ProtoEnum(pb.SchoolLevel)
LEVELS = ProtoEnum(pb.PermissionLevel)
SOURCES = ProtoEnum(pb.AssignmentSource)
UnitKind = Literal[tuple(kind.value for kind in UnitKinds)]
SchoolLevel = names_of(SCHOOL_LEVELS, unspecified=True)
PermissionLevel = names_of(LEVELS)
AssignmentSource = names_of(SOURCES)


class UnitIn(Strict):
    name: Name
    kind: UnitKind = "school"
    school_level: SchoolLevel = "unspecified"
    external_id: Uuid | None = None


class Unit(BaseModel):
    id: str
    name: str
    kind: str
    school_level: SchoolLevel
    external_id: str | None
    active: bool

    @classmethod
    def of(cls, unit: pb.Unit) -> "Unit":
        return cls(
            id=unit.id,
            name=unit.name,
            kind=unit.kind,
            school_level=SCHOOL_LEVELS.name(unit.school_level),
            external_id=unit.external_id or None,
            active=unit.active,
        )


class UnitWritten(Unit, Written):
    pass


class Units(BaseModel):
    units: list[Unit]


@router.post("/units", status_code=status.HTTP_201_CREATED, response_model=UnitWritten)
async def create_unit(
    body: UnitIn, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep, response: Response
):
    request = pb.CreateUnitRequest(
        name=body.name,
        kind=body.kind,
        school_level=SCHOOL_LEVELS.number(body.school_level),
        external_id=str(body.external_id or ""),
        consistency_token=consistency,
    )
    reply = await services.call(services.identity.CreateUnit, request, caller)
    return UnitWritten(
        **Unit.of(reply.unit).model_dump(), consistency_token=with_token(response, reply.consistency_token)
    )


@router.get("/units", response_model=Units)
async def list_units(caller: CallerDep, services: BackendsDep):
    reply = await services.call(services.identity.ListUnits, pb.ListUnitsRequest(), caller)
    return Units(units=[Unit.of(u) for u in reply.units])


@router.get("/units/{unit_id}", response_model=Unit)
async def get_unit(unit_id: str, caller: CallerDep, services: BackendsDep):
    return Unit.of(await services.call(services.identity.GetUnit, pb.GetUnitRequest(unit_id=unit_id), caller))


class UserRoleIn(Strict):
    name: Name
    external_id: Uuid | None = None


class UserRole(BaseModel):
    id: str
    name: str
    external_id: str | None

    @classmethod
    def of(cls, role: pb.UserRole) -> "UserRole":
        return cls(id=role.id, name=role.name, external_id=role.external_id or None)


class UserRoleWritten(UserRole, Written):
    pass


class UserRoles(BaseModel):
    user_roles: list[UserRole]


@router.post("/user-roles", status_code=status.HTTP_201_CREATED, response_model=UserRoleWritten)
async def create_user_role(
    body: UserRoleIn,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
    response: Response,
):
    request = pb.CreateUserRoleRequest(
        name=body.name, external_id=str(body.external_id or ""), consistency_token=consistency
    )
    reply = await services.call(services.identity.CreateUserRole, request, caller)
    return UserRoleWritten(
        **UserRole.of(reply.role).model_dump(),
        consistency_token=with_token(response, reply.consistency_token),
    )


@router.get("/user-roles", response_model=UserRoles)
async def list_user_roles(caller: CallerDep, services: BackendsDep):
    reply = await services.call(services.identity.ListUserRoles, pb.ListUserRolesRequest(), caller)
    return UserRoles(user_roles=[UserRole.of(r) for r in reply.roles])


class UserIn(Strict):
    first_name: Name
    last_name: Name
    email: Annotated[EmailStr, Field(max_length=MAX_EMAIL_LENGTH)] | None = None
    external_id: Name | None = None
    active: bool = True
    permission_level: PermissionLevel = "member"
    manually_managed: bool = False
    password: str | None = Field(
        None,
        min_length=MIN_PASSWORD_LENGTH,
        max_length=MAX_PASSWORD_LENGTH,
        description=f"Initial password for password login ({MIN_PASSWORD_LENGTH}-{MAX_PASSWORD_LENGTH} characters).",
    )
    may_sign_notes: bool = Field(
        True, description="Whether the user may sign notes (får signera anteckningar)."
    )


class User(BaseModel):
    id: str
    external_id: str | None
    first_name: str
    last_name: str
    email: str | None
    active: bool
    permission_level: PermissionLevel
    manually_managed: bool
    may_sign_notes: bool
    use_memory_notes: bool = Field(
        description="Whether the user keeps memory notes (minnesanteckningar), where the organisation allows them."
    )

    @classmethod
    def of(cls, user: pb.User) -> "User":
        return cls(
            id=user.id,
            external_id=user.external_id or None,
            first_name=user.first_name,
            last_name=user.last_name,
            email=user.email or None,
            active=user.active,
            permission_level=LEVELS.name(user.permission_level),
            manually_managed=user.manually_managed,
            may_sign_notes=user.may_sign_notes,
            use_memory_notes=user.use_memory_notes,
        )


class UserWritten(User, Written):
    pass


@router.post("/users", status_code=status.HTTP_201_CREATED, response_model=UserWritten)
async def create_user(
    body: UserIn, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep, response: Response
):
    request = pb.CreateUserRequest(
        consistency_token=consistency,
        external_id=body.external_id or "",
        first_name=body.first_name,
        last_name=body.last_name,
        email=str(body.email or ""),
        active=body.active,
        permission_level=LEVELS.number(body.permission_level),
        manually_managed=body.manually_managed,
        password=body.password or "",
        may_sign_notes=body.may_sign_notes,
    )
    reply = await services.call(services.identity.CreateUser, request, caller)
    return UserWritten(
        **User.of(reply.user).model_dump(), consistency_token=with_token(response, reply.consistency_token)
    )


@router.get("/users/{user_id}", response_model=User)
async def get_user(user_id: str, caller: CallerDep, services: BackendsDep):
    return User.of(await services.call(services.identity.GetUser, pb.GetUserRequest(user_id=user_id), caller))


class UserChangeIn(Strict):
    may_sign_notes: bool | None = Field(
        None, description="Whether the user may sign notes; leave out to keep."
    )
    use_memory_notes: bool | None = Field(
        None, description="Whether the user keeps memory notes (minnesanteckningar); leave out to keep."
    )
    permission_level: PermissionLevel | None = Field(
        None,
        description="The user's permission level; leave out to keep. Only administrators give, change or take "
        "away the admin level. A lowered level counts at the user's next call that carries the returned token.",
    )


@router.patch("/users/{user_id}", response_model=UserWritten)
async def update_user(
    user_id: str,
    body: UserChangeIn,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
    response: Response,
):
    """Change what an administrator sets by hand. Pass the returned token so that checks reflect the change."""
    request = pb.UpdateUserRequest(user_id=user_id, consistency_token=consistency)
    if body.may_sign_notes is not None:
        request.may_sign_notes = body.may_sign_notes
    if body.use_memory_notes is not None:
        request.use_memory_notes = body.use_memory_notes
    if body.permission_level is not None:
        request.permission_level = LEVELS.number(body.permission_level)
    reply = await services.call(services.identity.UpdateUser, request, caller)
    return UserWritten(
        **User.of(reply.user).model_dump(), consistency_token=with_token(response, reply.consistency_token)
    )


class AssignmentIn(Strict):
    role_id: Uuid
    unit_id: Uuid | None = Field(None, description="The unit; leave out and set all_units for every unit.")
    all_units: bool = False
    valid_from: Day | None = None
    valid_to: Day | None = None


class Assignment(BaseModel):
    id: str
    user_id: str
    role_id: str
    unit_id: str | None
    all_units: bool
    valid_from: date | None
    valid_to: date | None
    source: AssignmentSource

    @classmethod
    def of(cls, a: pb.Assignment) -> "Assignment":
        return cls(
            id=a.id,
            user_id=a.user_id,
            role_id=a.role_id,
            unit_id=a.unit_id or None,
            all_units=a.all_units,
            valid_from=date_from_proto(a.valid_from, "valid_from"),
            valid_to=date_from_proto(a.valid_to, "valid_to"),
            source=SOURCES.name(a.source),
        )


class AssignmentWritten(Assignment, Written):
    pass


class Assignments(BaseModel):
    assignments: list[Assignment]


@router.post(
    "/users/{user_id}/assignments", status_code=status.HTTP_201_CREATED, response_model=AssignmentWritten
)
async def create_assignment(
    user_id: str,
    body: AssignmentIn,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
    response: Response,
):
    """Give the user a role on a unit or on all units. A subadministrator may give only the roles their own
    roles may manage (see /user-roles/{id}/manageable-roles), only on units they hold an assignment on, and
    never on all units."""
    request = pb.CreateAssignmentRequest(
        consistency_token=consistency,
        user_id=user_id,
        role_id=str(body.role_id),
        unit_id=str(body.unit_id or ""),
        all_units=body.all_units,
        valid_from=date_to_proto(body.valid_from),
        valid_to=date_to_proto(body.valid_to),
    )
    reply = await services.call(services.identity.CreateAssignment, request, caller)
    return AssignmentWritten(
        **Assignment.of(reply.assignment).model_dump(),
        consistency_token=with_token(response, reply.consistency_token),
    )


@router.get("/users/{user_id}/assignments", response_model=Assignments)
async def list_assignments(user_id: str, caller: CallerDep, services: BackendsDep):
    reply = await services.call(
        services.identity.ListAssignments, pb.ListAssignmentsRequest(user_id=user_id), caller
    )
    return Assignments(assignments=[Assignment.of(a) for a in reply.assignments])


@router.delete("/assignments/{assignment_id}", response_model=Written)
async def revoke_assignment(
    assignment_id: str,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
    response: Response,
):
    """End the assignment now. Pass the returned token on reads so that they cannot see past the revoke.
    A subadministrator's scope applies as when giving one."""
    request = pb.RevokeAssignmentRequest(assignment_id=assignment_id, consistency_token=consistency)
    reply = await services.call(services.identity.RevokeAssignment, request, caller)
    return Written(consistency_token=with_token(response, reply.consistency_token))


class Settings(BaseModel):
    prevent_editing_own_signed_notes: bool = Field(
        description="Authors may not start a new version of a note they signed themselves."
    )
    subadmins_manage_templates: bool = Field(
        description="Subadministrators may manage note templates and template menus, whatever the level of "
        "the templates and template_menus modules."
    )
    memory_notes_allowed: bool = Field(
        description="Users whose use_memory_notes flag is on may keep memory notes (minnesanteckningar)."
    )

    @classmethod
    def of(cls, settings: pb.OrganisationSettings) -> "Settings":
        return cls(
            prevent_editing_own_signed_notes=settings.prevent_editing_own_signed_notes,
            subadmins_manage_templates=settings.subadmins_manage_templates,
            memory_notes_allowed=settings.memory_notes_allowed,
        )


class SettingsIn(Strict):
    prevent_editing_own_signed_notes: bool | None = Field(None, description="Leave out to keep.")
    subadmins_manage_templates: bool | None = Field(None, description="Leave out to keep.")
    memory_notes_allowed: bool | None = Field(None, description="Leave out to keep.")


@router.get("/settings", response_model=Settings)
async def get_settings(caller: CallerDep, services: BackendsDep):
    """The organisation's settings; every member may read them."""
    return Settings.of(await services.call(services.identity.GetSettings, pb.GetSettingsRequest(), caller))


@router.patch("/settings", response_model=Settings)
async def update_settings(
    body: SettingsIn, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep
):
    """Change the settings given (the settings module: administrators by default); returns the settings after
    the change."""
    request = pb.UpdateSettingsRequest(**body.model_dump(exclude_none=True), consistency_token=consistency)
    return Settings.of(await services.call(services.identity.UpdateSettings, request, caller))
