"""Assembles the imports process: gRPC API, background runs, outbox relay."""

import asyncio
import logging

from elevhalsa.imports.v1 import imports_pb2_grpc

from services.common.admin_rights import AdminRights
from services.common.authz_callers import AuthzCallers
from services.common.clock import utcnow
from services.common.grpc_client import open_channel
from services.common.grpc_server import ServiceRuntime, create_server
from services.common.service import open_service
from services.common.waiting import wait_or_stop
from services.imports.adapters.files import UploadStore
from services.imports.adapters.identity_client import IdentityClient
from services.imports.adapters.orm import KIT
from services.imports.adapters.repository import ImportsRepository
from services.imports.domain.user_import import ReviewLimits
from services.imports.entrypoints.grpc_servicer import ImportsServicer
from services.imports.service_layer.runs import fail_stale_runs
from services.imports.settings import ImportsSettings

NAME = "imports"
log = logging.getLogger(__name__)


async def build_runtime(settings: ImportsSettings) -> ServiceRuntime:
    ctx = await open_service(NAME, settings, KIT, repositories=ImportsRepository)
    max_bytes = settings.max_import_file_bytes
    identity_channel = open_channel(settings.identity_addr, max_message_bytes=max_bytes + 1024 * 1024)
    authz_channel = open_channel(settings.authz_addr)
    timeout = settings.grpc_call_timeout_seconds
    limits = ReviewLimits(settings.import_max_deactivated_share, settings.import_max_faulty_share)
    servicer = ImportsServicer(
        ctx,
        IdentityClient(identity_channel, timeout),
        UploadStore(settings.import_upload_dir),
        limits,
        max_bytes,
        AdminRights(authz_channel, settings.authz_call_timeout_seconds),
    )
    server, health = create_server(
        verifier=ctx.verifier,
        live_callers=AuthzCallers(authz_channel, settings.authz_call_timeout_seconds),
        register=[lambda s: imports_pb2_grpc.add_ImportsServiceServicer_to_server(servicer, s)],
        max_message_bytes=max_bytes + 1024 * 1024,
    )
    runtime = ServiceRuntime(server, health, settings.grpc_listen)
    ctx.attach(runtime)

    async def finish_running_imports() -> None:
        if servicer.running:
            await asyncio.wait(servicer.running, timeout=30)

    runtime.add_worker(lambda stop: fail_stale_runs_every(ctx, stop))
    runtime.add_closer(identity_channel.close)
    runtime.add_closer(authz_channel.close)
    runtime.add_closer(finish_running_imports)
    return runtime


async def fail_stale_runs_every(ctx, stop: asyncio.Event, seconds: float = 60) -> None:
    """Worker: runs left behind by a stopped process end as failed (safe with several replicas)."""
    while not stop.is_set():
        try:
            async with ctx.unit_of_work() as uow:
                if stale := await fail_stale_runs(uow, utcnow()):
                    log.warning(
                        "%d user import run(s) had stopped without finishing and are marked failed", stale
                    )
        except Exception:  # noqa: BLE001 - try again next round
            log.exception("could not check for stale user import runs")
        await wait_or_stop(stop, seconds)
