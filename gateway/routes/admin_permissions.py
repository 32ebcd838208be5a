"""Administrative permissions (authz): each module's minimum permission level, and the roles a subadmin's
roles may manage. Administrators read and change them; docs/permissions.md describes the defaults."""

from elevhalsa.authz.v1 import authz_pb2 as pb
from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from gateway.routes.common import (
    BackendsDep,
    CallerDep,
    ConsistencyDep,
    Strict,
    Uuid,
    Written,
    names_of,
    with_token,
)
from services.common.enums import ProtoEnum

router = APIRouter(prefix="/api/v1", tags=["authz"])

MODULES = ProtoEnum(pb.AdminModule)
LEVELS = ProtoEnum(pb.PermissionLevel)
ModuleName = names_of(MODULES)
LevelName = names_of(LEVELS)


def levels_of(levels) -> dict:
    return {MODULES.name(item.module): LEVELS.name(item.level) for item in levels}


class ModuleLevels(BaseModel):
    levels: dict[ModuleName, LevelName] = Field(
        description="Every module's minimum permission level (admin > subadmin > member)."
    )


class ModuleLevelsWritten(ModuleLevels, Written):
    pass


class ModuleLevelsIn(Strict):
    levels: dict[ModuleName, LevelName] = Field(
        description="The modules to change and their new level; others keep theirs. module_levels stays admin."
    )


@router.get("/module-levels", response_model=ModuleLevels)
async def list_module_levels(caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep):
    """Every module's minimum permission level in the organisation (administrators)."""
    request = pb.ListModuleLevelsRequest(consistency_token=consistency)
    reply = await services.read_authz(services.authz.ListModuleLevels, request, caller)
    return ModuleLevels(levels=levels_of(reply.levels))


@router.patch("/module-levels", response_model=ModuleLevelsWritten)
async def set_module_levels(
    body: ModuleLevelsIn,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
    response: Response,
):
    """Change modules' levels (administrators). Lowering module_levels itself is refused (422): an
    organisation must never lock its administrators out. Pass the returned token so that later calls
    are decided under the new levels."""
    changes = [
        pb.ModuleLevel(module=MODULES.number(module), level=LEVELS.number(level))
        for module, level in body.levels.items()
    ]
    request = pb.SetModuleLevelsRequest(levels=changes, consistency_token=consistency)
    reply = await services.call(services.authz.SetModuleLevels, request, caller)
    return ModuleLevelsWritten(
        levels=levels_of(reply.levels), consistency_token=with_token(response, reply.consistency_token)
    )


class ManageableRoles(BaseModel):
    role_id: str
    manageable_role_ids: list[str] = Field(
        description="The roles whose assignments holders of this role (as subadministrators) may give and end."
    )


class ManageableRolesWritten(ManageableRoles, Written):
    pass


class ManageableRolesIn(Strict):
    manageable_role_ids: list[Uuid] = Field(description="The whole set; empty: none.", max_length=1000)


@router.get("/user-roles/{role_id}/manageable-roles", response_model=ManageableRoles)
async def list_manageable_roles(
    role_id: str, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep
):
    """The roles a subadministrator holding this role may manage (administrators)."""
    request = pb.ListManageableRolesRequest(role_id=role_id, consistency_token=consistency)
    reply = await services.read_authz(services.authz.ListManageableRoles, request, caller)
    return ManageableRoles(role_id=reply.role_id, manageable_role_ids=list(reply.manageable_role_ids))


@router.put("/user-roles/{role_id}/manageable-roles", response_model=ManageableRolesWritten)
async def set_manageable_roles(
    role_id: str,
    body: ManageableRolesIn,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
    response: Response,
):
    """Set the roles whose assignments holders of this role may give and end, on units where they hold an
    assignment (administrators). Pass the tokens of just-created roles."""
    request = pb.SetManageableRolesRequest(
        role_id=role_id,
        manageable_role_ids=[str(r) for r in body.manageable_role_ids],
        consistency_token=consistency,
    )
    reply = await services.call(services.authz.SetManageableRoles, request, caller)
    return ManageableRolesWritten(
        role_id=reply.role_id,
        manageable_role_ids=list(reply.manageable_role_ids),
        consistency_token=with_token(response, reply.consistency_token),
    )
