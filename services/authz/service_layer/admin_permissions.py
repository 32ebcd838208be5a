"""Module levels and subadmin scopes: set by administrators, and every administrative action decided from the
organisation's facts in memory (services/authz/domain/admin.py has the rules)."""

import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from elevhalsa.authz.v1 import authz_pb2, events_pb2

from services.authz.adapters.repository import AuthzRepository
from services.authz.domain.admin import AdminQuestion, Module, decide, levels_after, module_levels
from services.authz.domain.memory import OrgModel
from services.common.auth import Caller, PermissionLevel
from services.common.callers import caller_key
from services.common.clock import today
from services.common.enums import ProtoEnum
from services.common.errors import NotFound, PermissionDenied
from services.common.uow import UnitOfWork

if TYPE_CHECKING:  # the live model applies these facts' events, so it imports this module
    from services.authz.service_layer.live_model import LiveModel

MODULES = ProtoEnum(authz_pb2.AdminModule, Module)
LEVELS = ProtoEnum(authz_pb2.PermissionLevel, PermissionLevel)
CONFIGURING = AdminQuestion(Module.MODULE_LEVELS)


async def caller_facts(
    live: "LiveModel", caller: Caller, token: str, deadline: float | None, wait_seconds: float
) -> OrgModel:
    """The caller's organisation at least as fresh as the token, once it knows the caller. A caller it does
    not know is waited for, then Unavailable: identity signed their token, so the model is behind, and "no"
    must not read as "not a user"."""
    org_id, user_id = (str(part) for part in caller_key(caller))
    started = time.monotonic()
    await live.fresh(org_id, token, deadline)
    remaining = None if deadline is None else deadline - (time.monotonic() - started)
    await live.until_known(org_id, user_id, wait_seconds, remaining)
    return await live.fresh(org_id, "")


def user_key(caller: Caller) -> str:
    """The caller's user id as the model keys it: a canonical UUID string."""
    return str(caller_key(caller)[1])


def require(org: OrgModel, caller: Caller, question: AdminQuestion) -> None:
    """PermissionDenied with the reason (and the field it concerns) unless the caller may."""
    verdict = decide(org, user_key(caller), question, today())
    if not verdict.allowed:
        raise PermissionDenied(verdict.reason, field=verdict.field)


def list_module_levels(org: OrgModel, caller: Caller) -> dict[Module, PermissionLevel]:
    require(org, caller, CONFIGURING)
    return module_levels(org)


async def set_module_levels(
    uow: UnitOfWork, caller: Caller, org: OrgModel, changes: list[tuple[Module, PermissionLevel]]
) -> tuple[dict[Module, PermissionLevel], str]:
    """Store the changed levels; returns every module's level after the change and a consistency token."""
    require(org, caller, CONFIGURING)
    levels = levels_after(org, changes)
    repo: AuthzRepository = uow.repository(caller.org_id)
    for module, level in dict(changes).items():
        await repo.set_module_level(module.value, level.value)
        event = events_pb2.ModuleLevelChanged(module=MODULES.number(module), level=LEVELS.number(level))
        uow.publish(caller.org_id, event)
    return levels, await uow.commit()


def list_manageable_roles(org: OrgModel, caller: Caller, role_id: str) -> list[str]:
    require(org, caller, CONFIGURING)
    require_roles(org, [role_id], "role_id")
    return sorted(org.manageable_roles.get(role_id, ()))


async def set_manageable_roles(
    uow: UnitOfWork, caller: Caller, org: OrgModel, role_id: str, role_ids: Iterable[str]
) -> tuple[list[str], str]:
    """Replace the role's scope; returns it and a consistency token. Roles of other organisations are not found."""
    require(org, caller, CONFIGURING)
    manageable = sorted(set(role_ids))
    require_roles(org, [role_id], "role_id")
    require_roles(org, manageable, "manageable_role_ids")
    repo: AuthzRepository = uow.repository(caller.org_id)
    await repo.replace_manageable_roles(uuid.UUID(role_id), {uuid.UUID(r) for r in manageable})
    uow.publish(
        caller.org_id, events_pb2.SubadminScopeChanged(role_id=role_id, manageable_role_ids=manageable)
    )
    return manageable, await uow.commit()


def require_roles(org: OrgModel, role_ids: Iterable[str], field: str) -> None:
    """NotFound unless every role is the organisation's (as far as the facts, fresh as the token, know)."""
    if any(role_id not in org.roles for role_id in role_ids):
        raise NotFound("user role not found", field=field)
