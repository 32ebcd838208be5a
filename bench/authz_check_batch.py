"""authz `CheckBatch` of 100 checks over loopback gRPC as a nurse: decisions per second flat out from one
process, and the latency of one batch at a time.

Each batch asks about the nurse's folder at her school (allowed) and at another school where she has no
assignment (refused), reading and writing in turn, so every answer is checked against what it must be."""

import asyncio

from elevhalsa.authz.v1 import authz_pb2, authz_pb2_grpc

from bench.load import Call, closed_loop, one_at_a_time
from bench.options import Options
from bench.results import Figure, at_least
from bench.system import Clinic, aio_channel, bearer, open_clinic, running_stack

NAME = "authz_check_batch"
ITEMS = 100
IN_FLIGHT = 16
BUDGET = 50_000  # decisions per second


def available() -> bool:
    """Whether the generated protos have the CheckBatch RPC."""
    return hasattr(authz_pb2, "CheckBatchRequest")


def run(options: Options) -> list[Figure]:
    """Start a stack, seed a nurse and a second school, measure, stop."""
    if not available():
        note = "needs CheckBatch: the generated protos have no CheckBatchRequest (run `make protos` after it lands)"
        return [
            Figure(
                NAME, f"CheckBatch({ITEMS}) decisions flat out", None, "decisions/s", skipped=True, note=note
            )
        ]
    with running_stack(NAME) as stack:
        clinic = open_clinic(stack)
        other_unit = clinic.tenant.unit()["id"]
        seconds, singles = (3, 100) if options.quick else (10, 500)
        single, flat_out = asyncio.run(measure(stack, clinic, other_unit, seconds, singles))
    return figures(single, flat_out)


async def measure(stack, clinic: Clinic, other_unit: str, seconds: float, singles: int):
    """Warm up; batches one at a time; then flat out with IN_FLIGHT outstanding."""
    async with aio_channel(stack, "authz") as channel:
        batch = batcher(authz_pb2_grpc.AuthzServiceStub(channel), clinic, other_unit)
        warm_up = await closed_loop(batch, 4, 1)
        if warm_up.errors:
            raise RuntimeError(f"warm-up: {warm_up.failure_note()}")
        single = await one_at_a_time(batch, singles)
        flat_out = await closed_loop(batch, IN_FLIGHT, seconds)
    return single, flat_out


def batcher(stub: authz_pb2_grpc.AuthzServiceStub, clinic: Clinic, other_unit: str) -> Call:
    """One CheckBatch of ITEMS checks; every even one (her school) must be allowed, every odd one refused."""
    actions = (authz_pb2.ACTION_READ, authz_pb2.ACTION_WRITE)
    items = [
        authz_pb2.CheckItem(
            unit_id=clinic.unit_id if k % 2 == 0 else other_unit,
            folder_id=clinic.folder_id,
            action=actions[(k // 2) % 2],
        )
        for k in range(ITEMS)
    ]
    request = authz_pb2.CheckBatchRequest(items=items, consistency_token=clinic.consistency)
    metadata = bearer(clinic.nurse_token)
    expected = [k % 2 == 0 for k in range(ITEMS)]

    async def check_batch() -> None:
        reply = await stub.CheckBatch(request, metadata=metadata, timeout=5)
        answers = [result.allowed for result in reply.results]
        if answers != expected:
            raise AssertionError(f"CheckBatch answered {sum(answers)} of {len(answers)} allowed")

    return check_batch


def figures(single, flat_out) -> list[Figure]:
    """Decisions per second flat out (budgeted) and one batch's latency."""
    flat = "; ".join(
        part
        for part in (
            f"{flat_out.calls:,} batches of {ITEMS} in {flat_out.elapsed:.1f} s against one authz process, "
            f"{IN_FLIGHT} in flight ({flat_out.throughput:,.0f} batches/s); p50 {flat_out.p(50):.1f} ms, "
            f"p99 {flat_out.p(99):.1f} ms; half allowed, half refused, every answer checked",
            flat_out.failure_note(),
        )
        if part
    )
    alone = f"{single.calls:,} batches one after another; p99 {single.p(99):.1f} ms"
    return [
        Figure(
            NAME,
            f"CheckBatch({ITEMS}) decisions flat out",
            flat_out.throughput * ITEMS,
            "decisions/s",
            at_least(BUDGET),
            flat,
            flat_out.errors,
        ),
        Figure(
            NAME, f"CheckBatch({ITEMS}) p50, one at a time", single.p(50), "ms", None, alone, single.errors
        ),
    ]
