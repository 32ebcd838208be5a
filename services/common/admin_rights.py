"""Administrative actions asked of authz: whether the caller, as authz knows them now (level, assignments),
may do this action of this module, under the organisation's module levels and subadmin scopes."""

from typing import Protocol

import grpc
from elevhalsa.authz.v1 import authz_pb2, authz_pb2_grpc

from services.common.auth import AdminModule, Caller, PermissionLevel
from services.common.authz_client import ask_authz
from services.common.enums import ProtoEnum
from services.common.errors import PermissionDenied

MODULES = ProtoEnum(authz_pb2.AdminModule, AdminModule)
LEVELS = ProtoEnum(authz_pb2.PermissionLevel, PermissionLevel)


class Rights(Protocol):
    """What handlers depend on: AdminRights, or a stand-in in unit tests."""

    async def require(
        self,
        caller: Caller,
        module: AdminModule,
        token: str = "",
        *,
        role_id: str | None = None,
        unit_id: str | None = None,
        all_units: bool = False,
        role_name: str = "",
        unit_name: str = "",
        concerns_admin: bool = False,
        lowered_to: PermissionLevel | None = None,
    ) -> None: ...


class AdminRights:
    """Authz's AuthorizeAdmin, as the caller, at least as fresh as the given consistency token."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float):
        """`timeout`: authz's own deadline (AUTHZ_CALL_TIMEOUT_SECONDS), not the general one."""
        self._stub = authz_pb2_grpc.AuthzServiceStub(channel)
        self._timeout = timeout

    async def require(
        self,
        caller: Caller,
        module: AdminModule,
        token: str = "",
        *,
        role_id: str | None = None,
        unit_id: str | None = None,
        all_units: bool = False,
        role_name: str = "",
        unit_name: str = "",
        concerns_admin: bool = False,
        lowered_to: PermissionLevel | None = None,
    ) -> None:
        """PermissionDenied with authz's reason, naming the field it concerns, unless the caller may.

        Giving or ending an assignment names its role and unit (or all units), so that a subadmin's scope
        applies; the names serve the reason only. `concerns_admin`: the action gives, changes or takes away
        the admin level. `lowered_to`: an organisation setting lowers the module's level to this one."""
        request = authz_pb2.AuthorizeAdminRequest(
            module=MODULES.number(module),
            target_role_id=role_id or "",
            target_unit_id=unit_id or "",
            all_units=all_units,
            concerns_admin=concerns_admin,
            lowered_to=LEVELS.number(lowered_to) if lowered_to else 0,
            target_role_name=role_name,
            target_unit_name=unit_name,
            consistency_token=token,
        )
        reply = await ask_authz(self._stub.AuthorizeAdmin, request, timeout=self._timeout, token=caller.token)
        if not reply.allowed:
            raise PermissionDenied(reply.reason, field=reply.field or None)
