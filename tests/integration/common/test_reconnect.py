"""A restarted service is called again as soon as it serves: clients' channels do not sit out a long
reconnect backoff, answering 503 for seconds after the service is back."""

import asyncio
import time

import grpc
from elevhalsa.identity.v1 import identity_pb2 as pb
from elevhalsa.identity.v1 import identity_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common.errors import Unavailable
from services.common.grpc_client import call, open_channel
from services.identity.entrypoints.app import build_runtime
from tests.support.waiting import eventually

# How long the service stays down while callers keep trying, as during a rolling restart.
OUTAGE_SECONDS = 6.0
BACK_WITHIN_SECONDS = 1.0


async def identity_on(services, listen: str):
    runtime = await build_runtime(services.identity_settings(grpc_listen=listen))
    await runtime.start()
    return runtime


async def is_serving(address: str) -> bool:
    """Ask the health service as the platform's probe does: from outside, sharing no connection with
    the caller (a channel of its own subchannel pool, or gRPC would reconnect the caller's too)."""
    channel = grpc.aio.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)])
    try:
        reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=0.5)
        return reply.status == health_pb2.HealthCheckResponse.SERVING
    except grpc.aio.AioRpcError:
        return False
    finally:
        await channel.close()


async def list_units(stub, token: str, timeout: float = 0.5) -> bool:
    try:
        await call(stub.ListUnits, pb.ListUnitsRequest(), token=token, timeout=timeout)
        return True
    except Unavailable:
        return False


async def test_calls_through_an_existing_channel_succeed_within_a_second_of_the_restarted_service_serving(
    services, org
):
    first = await identity_on(services, "127.0.0.1:0")
    address = f"127.0.0.1:{first.port}"
    channel = open_channel(address)
    stub = identity_pb2_grpc.IdentityServiceStub(channel)
    try:
        assert await list_units(stub, org.admin)
        await first.stop()

        outage_ends = time.monotonic() + OUTAGE_SECONDS
        failures = 0
        while time.monotonic() < outage_ends:
            failures += not await list_units(stub, org.admin)
            await asyncio.sleep(0.1)
        assert failures > 0
        print(f"{failures} calls failed during the outage")

        second = await identity_on(services, address)
        try:
            await eventually(lambda: is_serving(address), timeout=10, interval=0.02)
            serving = time.monotonic()
            # How long a call takes on a loaded machine is not the channel's doing: what counts is when the
            # first call that succeeds was made.
            while True:
                started = time.monotonic() - serving
                if await list_units(stub, org.admin, timeout=5):
                    break
                assert started < BACK_WITHIN_SECONDS, "calls still fail a second after the service serves"
                await asyncio.sleep(0.02)
            print(f"first successful call made {started:.3f}s after the health check said SERVING")
        finally:
            await second.stop()
    finally:
        await channel.close()
