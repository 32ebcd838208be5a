"""Role × folder grants, with the template menu the role writes with there: set by administrators, checked
against the read model for unknown ids."""

import uuid

from elevhalsa.authz.v1 import authz_pb2, events_pb2

from services.authz.adapters.repository import AuthzRepository
from services.authz.domain.model import Access, GrantRule, Restriction
from services.authz.service_layer.freshness import FreshnessGate
from services.common.auth import Caller, PermissionLevel
from services.common.consistency import required_token
from services.common.enums import ProtoEnum
from services.common.errors import NotFound
from services.common.uow import UnitOfWork

ACCESS = ProtoEnum(authz_pb2.Access, Access)
RESTRICTION = ProtoEnum(authz_pb2.Restriction, Restriction)


async def set_grant(
    uow: UnitOfWork, caller: Caller, rule: GrantRule, freshness: FreshnessGate, token: str
) -> str:
    """Store the grant; returns a consistency token. Ids of other organisations are not found."""
    caller.require_level(PermissionLevel.ADMIN)
    await freshness.wait_for(required_token(token, caller.org_id))
    repo: AuthzRepository = uow.repository(caller.org_id)
    if not await repo.role_known(uuid.UUID(rule.role_id)):
        raise NotFound("user role not found", field="role_id")
    if not await repo.folder_known(uuid.UUID(rule.folder_id)):
        raise NotFound("folder not found", field="folder_id")
    if rule.template_menu_id and not await repo.template_menu_known(uuid.UUID(rule.template_menu_id)):
        raise NotFound("template menu not found", field="template_menu_id")
    await repo.upsert_grant(rule)
    uow.publish(caller.org_id, events_pb2.GrantChanged(grant=grant_to_proto(rule)))
    return await uow.commit()


async def list_grants(uow: UnitOfWork, caller: Caller) -> list[GrantRule]:
    caller.require_level(PermissionLevel.ADMIN, PermissionLevel.SUBADMIN)
    return await uow.repository(caller.org_id).grants()


def grant_to_proto(rule: GrantRule) -> authz_pb2.Grant:
    return authz_pb2.Grant(
        role_id=rule.role_id,
        folder_id=rule.folder_id,
        access=ACCESS.number(rule.access),
        restriction=RESTRICTION.number(rule.restriction),
        template_menu_id=rule.template_menu_id or "",
    )
