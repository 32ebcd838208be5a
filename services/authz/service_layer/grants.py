"""Role × folder grants: set by administrators, checked against the read model for unknown ids."""

import uuid

from elevhalsa.authz.v1 import authz_pb2, events_pb2

from services.authz.adapters.orm import Grant
from services.authz.adapters.repository import folder_known, grants_of, role_known, upsert_grant
from services.authz.domain.model import GrantRule
from services.authz.service_layer.freshness import FreshnessGate
from services.common.auth import Caller, PermissionLevel
from services.common.consistency import required_token
from services.common.errors import NotFound
from services.common.uow import UnitOfWork


async def set_grant(
    uow: UnitOfWork, caller: Caller, rule: GrantRule, freshness: FreshnessGate, token: str
) -> str:
    """Store the grant; returns a consistency token. Ids of other organisations are not found."""
    caller.require_level(PermissionLevel.ADMIN)
    await freshness.wait_for(required_token(token, caller.org_id))
    org_id = uuid.UUID(caller.org_id)
    if not await role_known(uow.session, org_id, uuid.UUID(rule.role_id)):
        raise NotFound("user role not found", field="role_id")
    if not await folder_known(uow.session, org_id, uuid.UUID(rule.folder_id)):
        raise NotFound("folder not found", field="folder_id")
    await upsert_grant(uow.session, org_id, rule)
    uow.publish(caller.org_id, events_pb2.GrantChanged(grant=grant_to_proto(rule)))
    return await uow.commit()


async def list_grants(uow: UnitOfWork, caller: Caller) -> list[Grant]:
    caller.require_level(PermissionLevel.ADMIN, PermissionLevel.SUBADMIN)
    return await grants_of(uow.session, uuid.UUID(caller.org_id))


ACCESS = {
    "none": authz_pb2.ACCESS_NONE,
    "read": authz_pb2.ACCESS_READ,
    "read_write": authz_pb2.ACCESS_READ_WRITE,
}
RESTRICTION = {
    "none": authz_pb2.RESTRICTION_NONE,
    "case_member": authz_pb2.RESTRICTION_CASE_MEMBER,
    "case_member_notes": authz_pb2.RESTRICTION_CASE_MEMBER_NOTES,
}


def grant_to_proto(rule: GrantRule) -> authz_pb2.Grant:
    return authz_pb2.Grant(
        role_id=rule.role_id,
        folder_id=rule.folder_id,
        access=ACCESS[rule.access],
        restriction=RESTRICTION[rule.restriction],
    )
