"""Assembles the identity process: gRPC API and outbox relay."""

from argon2 import PasswordHasher
from elevhalsa.identity.v1 import identity_pb2_grpc

from services.common.admin_rights import AdminRights
from services.common.auth import TokenSigner
from services.common.db import autocommit
from services.common.grpc_client import open_channel
from services.common.grpc_server import ServiceRuntime, create_server
from services.common.service import open_service
from services.identity.adapters.callers import UsersTableCallers
from services.identity.adapters.orm import KIT
from services.identity.adapters.repository import IdentityRepository
from services.identity.entrypoints.grpc_servicer import PUBLIC_METHODS, IdentityServicer
from services.identity.service_layer.login import Login
from services.identity.settings import IdentitySettings

NAME = "identity"


async def build_runtime(settings: IdentitySettings) -> ServiceRuntime:
    """Open resources and build the server; the caller starts it."""
    ctx = await open_service(NAME, settings, KIT, repositories=IdentityRepository)
    hasher = PasswordHasher()
    signer = TokenSigner(
        settings.auth_signing_key,
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        ttl_seconds=settings.auth_token_ttl_seconds,
    )
    # Connects on the first administrative call: identity serves logins before authz is up.
    authz_channel = open_channel(settings.authz_addr)
    rights = AdminRights(authz_channel, settings.authz_call_timeout_seconds)
    servicer = IdentityServicer(ctx, hasher, Login(hasher, signer), rights)
    server, health = create_server(
        verifier=ctx.verifier,
        live_callers=UsersTableCallers(autocommit(ctx.engine)),
        register=[lambda s: identity_pb2_grpc.add_IdentityServiceServicer_to_server(servicer, s)],
        public_methods=PUBLIC_METHODS,
    )
    runtime = ServiceRuntime(server, health, settings.grpc_listen)
    ctx.attach(runtime)
    runtime.add_closer(authz_channel.close)
    return runtime
