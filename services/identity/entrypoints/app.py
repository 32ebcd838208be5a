"""Assembles the identity process: gRPC API and outbox relay."""

from argon2 import PasswordHasher
from elevhalsa.identity.v1 import identity_pb2_grpc

from services.common.auth import TokenSigner
from services.common.db import autocommit
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
    servicer = IdentityServicer(ctx, hasher, Login(hasher, signer))
    server, health = create_server(
        verifier=ctx.verifier,
        live_callers=UsersTableCallers(autocommit(ctx.engine)),
        register=[lambda s: identity_pb2_grpc.add_IdentityServiceServicer_to_server(servicer, s)],
        public_methods=PUBLIC_METHODS,
    )
    runtime = ServiceRuntime(server, health, settings.grpc_listen)
    ctx.attach(runtime)
    return runtime
