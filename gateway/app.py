"""The HTTP gateway: JSON over HTTP in, gRPC to the services out. Stateless."""

from contextlib import asynccontextmanager

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from gateway.clients import open_backends
from gateway.errors import install_error_handlers
from gateway.middleware import BodySizeLimit, DropInboundTraceContext, HeaderLimits, TraceIdHeader
from gateway.openapi import describe_problems
from gateway.routes import (
    access,
    admin_permissions,
    auth,
    authz,
    case_types,
    identity,
    imports,
    memory_notes,
    notes,
    post_its,
    records,
    school,
    templates,
)
from gateway.routes.common import CALLER_ERRORS, LOGIN_ERRORS
from gateway.settings import GatewaySettings
from services.common.auth import TokenVerifier


def create_app(settings: GatewaySettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.backends = open_backends(settings)
        yield
        await app.state.backends.close()

    app = FastAPI(
        title="Elevhälsa API",
        version="1",
        description="Student-health journal: identity, records, authorization and imports.",
        lifespan=lifespan,
    )
    app.state.verifier = TokenVerifier(
        settings.auth_public_key, issuer=settings.auth_issuer, audience=settings.auth_audience
    )
    # The errors each route may answer are documented here, once, not in every route module.
    app.include_router(auth.router, responses=LOGIN_ERRORS)
    for module in (
        identity,
        authz,
        admin_permissions,
        access,
        records,
        school,
        templates,
        notes,
        post_its,
        case_types,
        memory_notes,
        imports,
    ):
        app.include_router(module.router, responses=CALLER_ERRORS)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict:
        """Liveness of the gateway process itself."""
        return {"status": "ok"}

    install_error_handlers(app)
    describe_problems(app)
    app.add_middleware(HeaderLimits, max_count=settings.max_header_count, max_bytes=settings.max_header_bytes)
    app.add_middleware(
        BodySizeLimit,
        default_limit=settings.max_json_body_bytes,
        upload_limit=settings.max_upload_bytes,
        upload_prefix="/api/v1/imports/",
    )
    app.add_middleware(TraceIdHeader)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz")
    return app


def asgi_app(settings: GatewaySettings):
    """What the server runs: the app behind a filter that drops trace context sent by clients."""
    return DropInboundTraceContext(create_app(settings))
