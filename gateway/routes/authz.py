"""Role × folder grants (authz)."""

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

ACCESS = ProtoEnum(pb.Access)
RESTRICTIONS = ProtoEnum(pb.Restriction)
AccessLevel = names_of(ACCESS)
RestrictionKind = names_of(RESTRICTIONS)


MENU = "The template menu the role writes with in the folder; null: none."


class GrantIn(Strict):
    access: AccessLevel
    restriction: RestrictionKind = "none"
    template_menu_id: Uuid | None = Field(None, description=MENU)


class Grant(BaseModel):
    role_id: str
    folder_id: str
    access: AccessLevel
    restriction: RestrictionKind
    template_menu_id: str | None = Field(description=MENU)

    @classmethod
    def of(cls, grant: pb.Grant) -> "Grant":
        return cls(
            role_id=grant.role_id,
            folder_id=grant.folder_id,
            access=ACCESS.name(grant.access),
            restriction=RESTRICTIONS.name(grant.restriction),
            template_menu_id=grant.template_menu_id or None,
        )


class GrantWritten(Grant, Written):
    pass


class Grants(BaseModel):
    grants: list[Grant]


@router.put("/user-roles/{role_id}/grants/{folder_id}", response_model=GrantWritten)
async def set_grant(
    role_id: str,
    folder_id: str,
    body: GrantIn,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
    response: Response,
):
    """Set what a user role may do in a folder, and the template menu it writes with there. Pass the tokens of
    a just-created role, folder or template menu."""
    grant = pb.Grant(
        role_id=role_id,
        folder_id=folder_id,
        access=ACCESS.number(body.access),
        restriction=RESTRICTIONS.number(body.restriction),
        template_menu_id=str(body.template_menu_id or ""),
    )
    reply = await services.call(
        services.authz.SetGrant, pb.SetGrantRequest(grant=grant, consistency_token=consistency), caller
    )
    return GrantWritten(
        **Grant.of(reply.grant).model_dump(), consistency_token=with_token(response, reply.consistency_token)
    )


@router.get("/grants", response_model=Grants)
async def list_grants(caller: CallerDep, services: BackendsDep):
    reply = await services.read_authz(services.authz.ListGrants, pb.ListGrantsRequest(), caller)
    return Grants(grants=[Grant.of(g) for g in reply.grants])
