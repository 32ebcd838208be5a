"""Identity's gRPC API: turns requests into use cases and results into messages."""

from argon2 import PasswordHasher
from elevhalsa.identity.v1 import identity_pb2 as pb
from elevhalsa.identity.v1 import identity_pb2_grpc

from services.common.admin_rights import Rights
from services.common.auth import current_caller
from services.common.convert import parse_id, parse_uuid, required_text
from services.common.service import ServiceContext
from services.identity.domain.model import SettingsChange, UserChange, unit_kind
from services.identity.domain.user_import import ImportedUserData
from services.identity.entrypoints import mapping as m
from services.identity.service_layer import handlers, user_import
from services.identity.service_layer.login import Login

PUBLIC_METHODS = ("/elevhalsa.identity.v1.IdentityService/IssueToken",)


class IdentityServicer(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self, ctx: ServiceContext, hasher: PasswordHasher, login: Login, rights: Rights):
        self._ctx = ctx
        self._hasher = hasher
        self._login = login
        self._rights = rights

    async def IssueToken(self, request, context):
        async with self._ctx.unit_of_work() as uow:
            token, expires_in = await self._login.issue_token(uow, request.email, request.password)
        return pb.IssueTokenResponse(access_token=token, expires_in=expires_in)

    async def CreateUnit(self, request, context):
        new = handlers.NewUnit(
            name=required_text(request.name, "name"),
            kind=unit_kind(request.kind),
            school_level=m.school_level(request.school_level),
            external_id=m.external_uuid(request.external_id),
        )
        async with self._ctx.unit_of_work() as uow:
            unit, token = await handlers.create_unit(
                uow, current_caller(), self._rights, new, token=request.consistency_token
            )
        return pb.CreateUnitResponse(unit=m.unit_to_proto(unit), consistency_token=token)

    async def GetUnit(self, request, context):
        unit_id = parse_id(request.unit_id, "unit_id", "unit")
        async with self._ctx.unit_of_work() as uow:
            unit = await handlers.get_unit(uow, current_caller(), unit_id)
        return m.unit_to_proto(unit)

    async def ListUnits(self, request, context):
        async with self._ctx.unit_of_work() as uow:
            units = await handlers.list_units(uow, current_caller())
        return pb.ListUnitsResponse(units=[m.unit_to_proto(u) for u in units])

    async def CreateUserRole(self, request, context):
        name = required_text(request.name, "name")
        async with self._ctx.unit_of_work() as uow:
            role, token = await handlers.create_user_role(
                uow,
                current_caller(),
                self._rights,
                name,
                m.external_uuid(request.external_id),
                token=request.consistency_token,
            )
        return pb.CreateUserRoleResponse(role=m.role_to_proto(role), consistency_token=token)

    async def ListUserRoles(self, request, context):
        async with self._ctx.unit_of_work() as uow:
            roles = await handlers.list_user_roles(uow, current_caller())
        return pb.ListUserRolesResponse(roles=[m.role_to_proto(r) for r in roles])

    async def CreateUser(self, request, context):
        new = handlers.NewUser(
            external_id=m.optional_text(request.external_id, "external_id"),
            first_name=required_text(request.first_name, "first_name"),
            last_name=required_text(request.last_name, "last_name"),
            email=m.optional_email(request.email),
            active=request.active,
            permission_level=m.permission_level(request.permission_level),
            manually_managed=request.manually_managed,
            password=request.password or None,
            may_sign_notes=request.may_sign_notes if request.HasField("may_sign_notes") else True,
        )
        async with self._ctx.unit_of_work() as uow:
            user, token = await handlers.create_user(
                uow, current_caller(), self._rights, new, self._hasher, token=request.consistency_token
            )
        return pb.CreateUserResponse(user=m.user_to_proto(user), consistency_token=token)

    async def GetUser(self, request, context):
        async with self._ctx.unit_of_work() as uow:
            user = await handlers.get_user(
                uow, current_caller(), self._rights, parse_id(request.user_id, "user_id", "user")
            )
        return m.user_to_proto(user)

    async def GetUserNames(self, request, context):
        user_ids = [parse_uuid(value, f"user_ids[{index}]") for index, value in enumerate(request.user_ids)]
        async with self._ctx.unit_of_work() as uow:
            users = await handlers.user_names(uow, current_caller(), user_ids)
        return pb.GetUserNamesResponse(users=[m.user_name_to_proto(user) for user in users])

    async def UpdateUser(self, request, context):
        user_id = parse_id(request.user_id, "user_id", "user")
        change = UserChange(
            may_sign_notes=m.optional_bool(request, "may_sign_notes"),
            use_memory_notes=m.optional_bool(request, "use_memory_notes"),
            permission_level=m.changed_level(request.permission_level),
        )
        async with self._ctx.unit_of_work() as uow:
            user, token = await handlers.update_user(
                uow, current_caller(), self._rights, user_id, change, token=request.consistency_token
            )
        return pb.UpdateUserResponse(user=m.user_to_proto(user), consistency_token=token)

    async def CreateAssignment(self, request, context):
        user_id = parse_id(request.user_id, "user_id", "user")
        terms = m.assignment_terms(
            request.role_id, request.unit_id, request.all_units, request.valid_from, request.valid_to
        )
        async with self._ctx.unit_of_work() as uow:
            assignment, token = await handlers.create_assignment(
                uow, current_caller(), self._rights, user_id, terms, token=request.consistency_token
            )
        return pb.CreateAssignmentResponse(
            assignment=m.assignment_to_proto(assignment), consistency_token=token
        )

    async def RevokeAssignment(self, request, context):
        assignment_id = parse_id(request.assignment_id, "assignment_id", "assignment")
        async with self._ctx.unit_of_work() as uow:
            token = await handlers.revoke_assignment(
                uow, current_caller(), self._rights, assignment_id, token=request.consistency_token
            )
        return pb.RevokeAssignmentResponse(consistency_token=token)

    async def ListAssignments(self, request, context):
        user_id = parse_id(request.user_id, "user_id", "user")
        async with self._ctx.unit_of_work() as uow:
            assignments = await handlers.list_assignments(uow, current_caller(), self._rights, user_id)
        return pb.ListAssignmentsResponse(assignments=[m.assignment_to_proto(a) for a in assignments])

    async def ListImportUsers(self, request, context):
        async with self._ctx.unit_of_work() as uow:
            async for user, assignments in user_import.imported_users(uow, current_caller(), self._rights):
                yield pb.ImportUser(
                    user=m.user_to_proto(user), assignments=[m.assignment_to_proto(a) for a in assignments]
                )

    async def ApplyImportedUsers(self, request, context):
        upserts = [imported_user(u) for u in request.upserts]
        deactivate = [parse_uuid(i, "deactivate_user_ids") for i in request.deactivate_user_ids]
        async with self._ctx.unit_of_work() as uow:
            results, token = await user_import.apply_imported_users(
                uow, current_caller(), self._rights, upserts, deactivate
            )
        return pb.ApplyImportedUsersResponse(
            results=[
                pb.ImportedUserResult(external_id=ext, user_id=uid, outcome=m.OUTCOMES.number(outcome))
                for ext, uid, outcome in results
            ],
            consistency_token=token,
        )

    async def GetSettings(self, request, context):
        async with self._ctx.unit_of_work() as uow:
            settings = await handlers.get_settings(uow, current_caller())
        return m.settings_to_proto(settings)

    async def UpdateSettings(self, request, context):
        change = SettingsChange(
            prevent_editing_own_signed_notes=m.optional_bool(request, "prevent_editing_own_signed_notes"),
            subadmins_manage_templates=m.optional_bool(request, "subadmins_manage_templates"),
            memory_notes_allowed=m.optional_bool(request, "memory_notes_allowed"),
        )
        async with self._ctx.unit_of_work() as uow:
            settings = await handlers.update_settings(
                uow, current_caller(), self._rights, change, token=request.consistency_token
            )
        return m.settings_to_proto(settings)


def imported_user(message: pb.ImportedUser) -> ImportedUserData:
    return ImportedUserData(
        external_id=required_text(message.external_id, "external_id"),
        first_name=required_text(message.first_name, "first_name"),
        last_name=required_text(message.last_name, "last_name"),
        email=m.optional_email(message.email),
        active=message.active,
        assignments=frozenset(
            m.assignment_terms(a.role_id, a.unit_id, a.all_units, a.valid_from, a.valid_to)
            for a in message.assignments
        ),
    )
