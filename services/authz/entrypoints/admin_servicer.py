"""Authz's gRPC API for administrative permissions: module levels, subadmin scopes and AuthorizeAdmin, each
decided from the organisation's facts in memory (`self._live`), at least as fresh as the request's token."""

from elevhalsa.authz.v1 import authz_pb2 as pb

from services.authz.domain.admin import AdminQuestion, Module, decide
from services.authz.domain.memory import OrgModel
from services.authz.service_layer import admin_permissions as admin
from services.authz.service_layer.admin_permissions import LEVELS, MODULES
from services.authz.service_layer.live_model import LiveModel
from services.common.auth import PermissionLevel, current_caller
from services.common.clock import today
from services.common.convert import optional_uuid, parse_id, parse_uuid
from services.common.service import ServiceContext

# Decide from the caller's live facts after honouring the consistency token (no interceptor lookup needed).
SELF_RESOLVING_ADMIN_METHODS = ("AuthorizeAdmin",)


def canonical_id(value: str, field: str) -> str:
    return str(parse_uuid(value, field))


def optional_id(value: str, field: str) -> str | None:
    parsed = optional_uuid(value, field)
    return str(parsed) if parsed else None


def levels_to_proto(levels: dict[Module, PermissionLevel]) -> list[pb.ModuleLevel]:
    return [pb.ModuleLevel(module=MODULES.number(m), level=LEVELS.number(lv)) for m, lv in levels.items()]


def question_of(request: pb.AuthorizeAdminRequest) -> AdminQuestion:
    lowered = request.lowered_to
    return AdminQuestion(
        module=MODULES.to_domain(request.module, "module"),
        role_id=optional_id(request.target_role_id, "target_role_id"),
        unit_id=optional_id(request.target_unit_id, "target_unit_id"),
        all_units=request.all_units,
        concerns_admin=request.concerns_admin,
        lowered_to=LEVELS.to_domain(lowered, "lowered_to") if lowered else None,
        role_name=request.target_role_name,
        unit_name=request.target_unit_name,
    )


class AdminServicer:
    """Mixed into AuthzServicer, which holds the live model and the service context."""

    _live: LiveModel
    _ctx: ServiceContext

    async def _admin_facts(self, request, context) -> OrgModel:
        wait = self._ctx.settings.freshness_timeout_seconds
        return await admin.caller_facts(
            self._live, current_caller(), request.consistency_token, context.time_remaining(), wait
        )

    async def AuthorizeAdmin(self, request, context):
        question = question_of(request)
        org = await self._admin_facts(request, context)
        verdict = decide(org, admin.user_key(current_caller()), question, today())
        return pb.AuthorizeAdminResponse(
            allowed=verdict.allowed, reason=verdict.reason, field=verdict.field or ""
        )

    async def ListModuleLevels(self, request, context):
        levels = admin.list_module_levels(await self._admin_facts(request, context), current_caller())
        return pb.ListModuleLevelsResponse(levels=levels_to_proto(levels))

    async def SetModuleLevels(self, request, context):
        changes = [
            (MODULES.to_domain(item.module, "levels.module"), LEVELS.to_domain(item.level, "levels.level"))
            for item in request.levels
        ]
        org = await self._admin_facts(request, context)
        async with self._ctx.unit_of_work() as uow:
            levels, token = await admin.set_module_levels(uow, current_caller(), org, changes)
        return pb.SetModuleLevelsResponse(levels=levels_to_proto(levels), consistency_token=token)

    async def ListManageableRoles(self, request, context):
        role_id = str(parse_id(request.role_id, "role_id", "user role"))
        org = await self._admin_facts(request, context)
        role_ids = admin.list_manageable_roles(org, current_caller(), role_id)
        return pb.ListManageableRolesResponse(role_id=role_id, manageable_role_ids=role_ids)

    async def SetManageableRoles(self, request, context):
        role_id = str(parse_id(request.role_id, "role_id", "user role"))
        role_ids = [canonical_id(r, "manageable_role_ids") for r in request.manageable_role_ids]
        org = await self._admin_facts(request, context)
        async with self._ctx.unit_of_work() as uow:
            role_ids, token = await admin.set_manageable_roles(uow, current_caller(), org, role_id, role_ids)
        return pb.SetManageableRolesResponse(
            role_id=role_id, manageable_role_ids=role_ids, consistency_token=token
        )
