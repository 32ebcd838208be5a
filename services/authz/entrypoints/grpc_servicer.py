"""Authz's gRPC API."""

from elevhalsa.authz.v1 import authz_pb2 as pb
from elevhalsa.authz.v1 import authz_pb2_grpc

from services.authz.domain.model import Action, GrantRule, NoteFact, Restriction
from services.authz.entrypoints.questions_servicer import QUESTION_METHODS, QuestionsServicer
from services.authz.service_layer import grants
from services.authz.service_layer.decisions import Decisions, Resource
from services.authz.service_layer.live_model import LiveModel
from services.common.auth import current_caller
from services.common.convert import optional_uuid, parse_uuid
from services.common.enums import ProtoEnum
from services.common.service import ServiceContext

ACTIONS = ProtoEnum(pb.Action, Action)
# Methods that decide from the caller's live state themselves, after honouring the consistency token.
SELF_RESOLVING_METHODS = (
    tuple(f"/elevhalsa.authz.v1.AuthzService/{name}" for name in ("Check", "FilterNotes", "ResolveCaller"))
    + QUESTION_METHODS
)


def optional_id(value: str, field: str) -> str | None:
    """A canonical UUID string, or None when empty."""
    parsed = optional_uuid(value, field)
    return str(parsed) if parsed else None


class AuthzServicer(QuestionsServicer, authz_pb2_grpc.AuthzServiceServicer):
    def __init__(self, ctx: ServiceContext, live: LiveModel, decisions: Decisions):
        self._ctx = ctx
        self._live = live
        self._decisions = decisions

    async def SetGrant(self, request, context):
        rule = GrantRule(
            role_id=str(parse_uuid(request.grant.role_id, "role_id")),
            folder_id=str(parse_uuid(request.grant.folder_id, "folder_id")),
            access=grants.ACCESS.to_domain(request.grant.access, "access"),
            restriction=grants.RESTRICTION.to_domain(
                request.grant.restriction, "restriction", default=Restriction.NONE
            ),
            template_menu_id=optional_id(request.grant.template_menu_id, "template_menu_id"),
        )
        caller = current_caller()
        org = await self._live.fresh(caller.org_id, request.consistency_token, context.time_remaining())
        async with self._ctx.unit_of_work() as uow:
            token = await grants.set_grant(uow, caller, rule, org)
        return pb.SetGrantResponse(grant=grants.grant_to_proto(rule), consistency_token=token)

    async def ListGrants(self, request, context):
        async with self._ctx.unit_of_work() as uow:
            rules = await grants.list_grants(uow, current_caller())
        return pb.ListGrantsResponse(grants=[grants.grant_to_proto(r) for r in rules])

    async def Check(self, request, context):
        resource = Resource(
            unit_id=parse_uuid(request.unit_id, "unit_id"),
            folder_id=optional_uuid(request.folder_id, "folder_id"),
            case_id=request.case_id or None,
        )
        action = ACTIONS.to_domain(request.action, "action")
        allowed, reason, menus = await self._decisions.check(
            current_caller(), resource, action, request.consistency_token, context.time_remaining()
        )
        return pb.CheckResponse(allowed=allowed, reason=reason, template_menu_ids=menus)

    async def FilterNotes(self, request, context):
        resource = Resource(
            unit_id=parse_uuid(request.unit_id, "unit_id"),
            folder_id=parse_uuid(request.folder_id, "folder_id"),
        )
        notes = [NoteFact(n.note_id, n.case_id or None, n.visible_to_case_members) for n in request.notes]
        access, allowed = await self._decisions.filter_notes(
            current_caller(), resource, notes, request.consistency_token, context.time_remaining()
        )
        return pb.FilterNotesResponse(
            folder_readable=access.allowed, allowed_note_ids=allowed, reason=access.reason
        )

    async def ResolveCaller(self, request, context):
        active, level = await self._decisions.state(
            current_caller(), request.consistency_token, context.time_remaining()
        )
        return pb.ResolveCallerResponse(permission_level=level, active=active)
