"""Assembles the authz process: gRPC API answered from the live model, each replica's feed of that model,
the durable consumers that keep the snapshot in PostgreSQL, outbox relay."""

from elevhalsa.authz.v1 import authz_pb2_grpc
from elevhalsa.authz.v1 import events_pb2 as authz_events
from elevhalsa.identity.v1 import events_pb2 as identity_events
from elevhalsa.records.v1 import events_pb2 as records_events
from sqlalchemy import select

from services.authz.adapters.orm import KIT
from services.authz.adapters.repository import AuthzRepository
from services.authz.adapters.snapshot import read_snapshot
from services.authz.entrypoints.grpc_servicer import SELF_RESOLVING_METHODS, AuthzServicer
from services.authz.entrypoints.model_feed import ModelFeed
from services.authz.service_layer.decisions import Decisions
from services.authz.service_layer.live_model import LiveModel
from services.authz.service_layer.model_events import well_formed
from services.authz.service_layer.projections import project, reset
from services.authz.settings import AuthzSettings
from services.common.consumer import EventConsumer
from services.common.db import autocommit
from services.common.events import StreamSpec, event_types
from services.common.grpc_server import ServiceRuntime, create_server
from services.common.service import ServiceContext, open_service

NAME = "authz"
# The streams whose events build the read model, and the modules that define those events.
CONSUMED = {"identity": identity_events, "records": records_events}
# The streams the live model follows: the consumed ones and authz's own (grants).
FOLLOWED = {**CONSUMED, NAME: authz_events}


async def build_runtime(settings: AuthzSettings) -> ServiceRuntime:
    ctx = await open_service(NAME, settings, KIT, repositories=AuthzRepository)
    live = LiveModel(FOLLOWED, settings.freshness_timeout_seconds)
    decisions = Decisions(live, settings.freshness_timeout_seconds)
    servicer = AuthzServicer(ctx, live, decisions)
    server, health = create_server(
        verifier=ctx.verifier,
        live_callers=decisions,
        register=[lambda s: authz_pb2_grpc.add_AuthzServiceServicer_to_server(servicer, s)],
        self_resolving_methods=SELF_RESOLVING_METHODS,
    )
    runtime = ServiceRuntime(server, health, settings.grpc_listen)
    ctx.attach(runtime)
    runtime.add_worker(model_feed(ctx, live).run)
    runtime.serve_once(live.loaded)
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
            well_formed=well_formed,
            on_quarantined=live.quarantine,
            connected=ctx.messaging.connected,
        )
        runtime.add_worker(consumer.run)
    return runtime


def model_feed(ctx: ServiceContext, live: LiveModel) -> ModelFeed:
    reads = autocommit(ctx.engine)

    async def quarantined() -> set:
        async with reads.connect() as conn:
            rows = await conn.execute(select(KIT.quarantine.c.source, KIT.quarantine.c.org_id))
            return {(source, str(org_id)) for source, org_id in rows}

    return ModelFeed(
        js=ctx.js,
        live=live,
        read_snapshot=lambda: read_snapshot(ctx.engine),
        read_quarantine=quarantined,
        streams={source: event_types(module) for source, module in FOLLOWED.items()},
        durable=NAME,
        own_source=NAME,
        connected=ctx.messaging.connected,
    )
