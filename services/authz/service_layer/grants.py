"""Role × folder grants, with the template menu the role writes with there: set by administrators, checked
against the live model for unknown ids."""

from elevhalsa.authz.v1 import authz_pb2, events_pb2

from services.authz.adapters.repository import AuthzRepository
from services.authz.domain.admin import AdminQuestion, Module, decide
from services.authz.domain.memory import OrgModel
from services.authz.domain.model import Access, GrantRule, Restriction
from services.authz.service_layer.admin_permissions import require, user_key
from services.common.auth import Caller
from services.common.clock import today
from services.common.enums import ProtoEnum
from services.common.errors import NotFound
from services.common.uow import UnitOfWork

ACCESS = ProtoEnum(authz_pb2.Access, Access)
RESTRICTION = ProtoEnum(authz_pb2.Restriction, Restriction)


async def set_grant(uow: UnitOfWork, caller: Caller, rule: GrantRule, org: OrgModel) -> str:
    """Store the grant; returns a consistency token. `org` is the live model of the caller's organisation, at
    least as fresh as the request's token, so that a just-created role or folder is known; ids of other
    organisations are not found. The roles module decides who may (administrators by default)."""
    require(org, caller, AdminQuestion(Module.ROLES))
    if rule.role_id not in org.roles:
        raise NotFound("user role not found", field="role_id")
    if rule.folder_id not in org.folders:
        raise NotFound("folder not found", field="folder_id")
    if rule.template_menu_id and rule.template_menu_id not in org.template_menus:
        raise NotFound("template menu not found", field="template_menu_id")
    repo: AuthzRepository = uow.repository(caller.org_id)
    await repo.upsert_grant(rule)
    uow.publish(caller.org_id, events_pb2.GrantChanged(grant=grant_to_proto(rule)))
    return await uow.commit()


async def list_grants(uow: UnitOfWork, caller: Caller, org: OrgModel) -> list[GrantRule]:
    """For those who configure roles, and those who manage assignments (they need to know what a role gives)."""
    if not decide(org, user_key(caller), AdminQuestion(Module.ASSIGNMENTS), today()).allowed:
        require(org, caller, AdminQuestion(Module.ROLES))
    return await uow.repository(caller.org_id).grants()


def grant_to_proto(rule: GrantRule) -> authz_pb2.Grant:
    return authz_pb2.Grant(
        role_id=rule.role_id,
        folder_id=rule.folder_id,
        access=ACCESS.number(rule.access),
        restriction=RESTRICTION.number(rule.restriction),
        template_menu_id=rule.template_menu_id or "",
    )
