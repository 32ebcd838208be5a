"""The gateway's channels to the services; every call forwards the caller's token and has a deadline."""

from dataclasses import dataclass

import grpc
from elevhalsa.authz.v1 import authz_pb2_grpc
from elevhalsa.identity.v1 import identity_pb2_grpc
from elevhalsa.imports.v1 import imports_pb2_grpc
from elevhalsa.records.v1 import records_pb2_grpc
from fastapi import Request

from gateway.settings import GatewaySettings
from services.common.auth import Caller
from services.common.authz_client import ask_authz
from services.common.grpc_client import LARGE_MESSAGE_BYTES, call, open_channel


@dataclass
class Backends:
    identity: identity_pb2_grpc.IdentityServiceStub
    records: records_pb2_grpc.RecordsServiceStub
    authz: authz_pb2_grpc.AuthzServiceStub
    imports: imports_pb2_grpc.ImportsServiceStub
    channels: list[grpc.aio.Channel]
    timeout: float
    authz_timeout: float

    async def call(self, method, request, caller: Caller | None = None):
        """Call a service method as the caller (or anonymously, for login)."""
        token = caller.token if caller else None
        return await call(method, request, timeout=self.timeout, token=token, anonymous=caller is None)

    async def read_authz(self, method, request, caller: Caller):
        """Ask authz a question as the caller, with authz's own short deadline: 503 at once if it cannot answer."""
        return await ask_authz(method, request, timeout=self.authz_timeout, token=caller.token)

    async def close(self) -> None:
        for channel in self.channels:
            await channel.close()


def open_backends(settings: GatewaySettings) -> Backends:
    upload_bytes = settings.max_upload_bytes + 1024 * 1024
    identity = open_channel(settings.identity_addr)
    records = open_channel(settings.records_addr, max_message_bytes=LARGE_MESSAGE_BYTES)
    authz = open_channel(settings.authz_addr)
    imports = open_channel(settings.imports_addr, max_message_bytes=upload_bytes)
    return Backends(
        identity=identity_pb2_grpc.IdentityServiceStub(identity),
        records=records_pb2_grpc.RecordsServiceStub(records),
        authz=authz_pb2_grpc.AuthzServiceStub(authz),
        imports=imports_pb2_grpc.ImportsServiceStub(imports),
        channels=[identity, records, authz, imports],
        timeout=settings.grpc_call_timeout_seconds,
        authz_timeout=settings.authz_call_timeout_seconds,
    )


def backends(request: Request) -> Backends:
    """FastAPI dependency."""
    return request.app.state.backends
