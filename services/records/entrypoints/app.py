"""Assembles the records process: gRPC API and outbox relay."""

from elevhalsa.records.v1 import records_pb2_grpc

from services.common.admin_rights import AdminRights
from services.common.authz_callers import AuthzCallers
from services.common.grpc_client import LARGE_MESSAGE_BYTES, open_channel
from services.common.grpc_server import ServiceRuntime, create_server
from services.common.service import open_service
from services.records.adapters.clients import AuthzClient, IdentityClient
from services.records.adapters.orm import KIT
from services.records.adapters.repository import RecordsRepository
from services.records.entrypoints.grpc_servicer import RecordsServicer
from services.records.settings import RecordsSettings

NAME = "records"


async def build_runtime(settings: RecordsSettings) -> ServiceRuntime:
    ctx = await open_service(NAME, settings, KIT, repositories=RecordsRepository)
    authz_channel = open_channel(settings.authz_addr)
    identity_channel = open_channel(settings.identity_addr)
    authz_timeout = settings.authz_call_timeout_seconds
    servicer = RecordsServicer(
        ctx,
        AuthzClient(authz_channel, authz_timeout),
        IdentityClient(identity_channel, settings.grpc_call_timeout_seconds),
        AdminRights(authz_channel, authz_timeout),
    )
    server, health = create_server(
        verifier=ctx.verifier,
        live_callers=AuthzCallers(authz_channel, authz_timeout),
        register=[lambda s: records_pb2_grpc.add_RecordsServiceServicer_to_server(servicer, s)],
        max_message_bytes=LARGE_MESSAGE_BYTES,
    )
    runtime = ServiceRuntime(server, health, settings.grpc_listen)
    ctx.attach(runtime)
    runtime.add_closer(authz_channel.close)
    runtime.add_closer(identity_channel.close)
    return runtime
