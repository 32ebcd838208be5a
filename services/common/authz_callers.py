"""The caller's live state for services that keep no users of their own: asked of authz's read model."""

import grpc
from elevhalsa.authz.v1 import authz_pb2, authz_pb2_grpc

from services.common.auth import Caller
from services.common.authz_client import ask_authz
from services.common.callers import with_live_state


class AuthzCallers:
    """`LiveCallers` answered by authz's `ResolveCaller`, at least as fresh as the request's consistency token."""

    def __init__(self, channel: grpc.aio.Channel, timeout: float):
        """`timeout`: authz's own deadline (AUTHZ_CALL_TIMEOUT_SECONDS), not the general one."""
        self._stub = authz_pb2_grpc.AuthzServiceStub(channel)
        self._timeout = timeout

    async def live(self, caller: Caller, consistency_token: str = "") -> Caller:
        """The caller at their current level; Unauthenticated if unknown or inactive."""
        request = authz_pb2.ResolveCallerRequest(consistency_token=consistency_token)
        response = await ask_authz(
            self._stub.ResolveCaller, request, timeout=self._timeout, token=caller.token
        )
        return with_live_state(caller, response.active, response.permission_level)
