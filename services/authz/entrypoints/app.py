"""Assembles the authz process: gRPC API, consumers of identity and records events, outbox relay."""

from elevhalsa.authz.v1 import authz_pb2_grpc
from elevhalsa.identity.v1 import events_pb2 as identity_events
from elevhalsa.records.v1 import events_pb2 as records_events

from services.authz.adapters.callers import ReadModelCallers
from services.authz.adapters.orm import KIT
from services.authz.adapters.repository import AuthzRepository
from services.authz.entrypoints.grpc_servicer import SELF_RESOLVING_METHODS, AuthzServicer
from services.authz.service_layer.decisions import Decisions
from services.authz.service_layer.freshness import FreshnessGate
from services.authz.service_layer.projections import project, reset
from services.authz.settings import AuthzSettings
from services.common.consumer import EventConsumer
from services.common.db import autocommit
from services.common.events import StreamSpec, event_types
from services.common.grpc_server import ServiceRuntime, create_server
from services.common.service import open_service

NAME = "authz"
# The streams whose events build the read model, and the modules that define those events.
CONSUMED = {"identity": identity_events, "records": records_events}


async def build_runtime(settings: AuthzSettings) -> ServiceRuntime:
    ctx = await open_service(NAME, settings, KIT, repositories=AuthzRepository)
    freshness = FreshnessGate(ctx.sessions, KIT, NAME, set(CONSUMED), settings.freshness_timeout_seconds)
    reads = autocommit(ctx.engine)
    callers = ReadModelCallers(reads, freshness, settings.freshness_timeout_seconds)
    servicer = AuthzServicer(ctx, Decisions(reads, freshness), freshness, callers)
    server, health = create_server(
        verifier=ctx.verifier,
        live_callers=callers,
        register=[lambda s: authz_pb2_grpc.add_AuthzServiceServicer_to_server(servicer, s)],
        self_resolving_methods=SELF_RESOLVING_METHODS,
    )
    runtime = ServiceRuntime(server, health, settings.grpc_listen)
    ctx.attach(runtime)
    for source, module in CONSUMED.items():
        consumer = EventConsumer(
            js=ctx.js,
            stream=StreamSpec(source),
            durable=NAME,
            event_types=event_types(module),
            projection=project,
            reset=reset,
            sessions=ctx.sessions,
            kit=KIT,
            on_applied=freshness.advanced,
            connected=ctx.messaging.connected,
        )
        runtime.add_worker(consumer.run)
    return runtime
