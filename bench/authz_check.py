"""authz `Check` over loopback gRPC as a nurse with an assignment: latency at 1,000/s and top throughput."""

import asyncio
from dataclasses import dataclass

from elevhalsa.authz.v1 import authz_pb2, authz_pb2_grpc

from bench.load import Run, closed_loop, one_at_a_time, open_loop
from bench.options import Options
from bench.results import Figure, at_least, at_most
from bench.system import Clinic, aio_channel, bearer, open_clinic, running_stack

NAME = "authz_check"
RATE = 1000  # offered checks per second
IN_FLIGHT = 32
SETTLE_SECONDS = 2  # lets an overloaded server drain between measurements


@dataclass
class Runs:
    single: Run  # one call at a time: the latency without queueing
    paced: Run  # the fixed offered rate
    flat_out: Run  # IN_FLIGHT calls outstanding


def run(options: Options) -> list[Figure]:
    """Start a stack, seed a nurse, measure, stop."""
    with running_stack(NAME) as stack:
        clinic = open_clinic(stack)
        runs = asyncio.run(measure(stack, clinic, options.quick))
    return figures(runs)


async def measure(stack, clinic: Clinic, quick: bool) -> Runs:
    """Warm up, then one at a time, at the fixed rate, and flat out."""
    async with aio_channel(stack, "authz") as channel:
        check = checker(authz_pb2_grpc.AuthzServiceStub(channel), clinic)
        warm_up = await closed_loop(check, 4, 1 if quick else 2)
        if warm_up.errors:
            raise RuntimeError(f"warm-up: {warm_up.failure_note()}")
        single = await one_at_a_time(check, 100 if quick else 300)
        paced = await open_loop(check, RATE, 3 if quick else 10)
        await asyncio.sleep(SETTLE_SECONDS)
        flat_out = await closed_loop(check, IN_FLIGHT, 3 if quick else 5)
    return Runs(single, paced, flat_out)


def checker(stub: authz_pb2_grpc.AuthzServiceStub, clinic: Clinic):
    """One Check of read access to the nurse's folder at her school; anything but "allowed" fails."""
    request = authz_pb2.CheckRequest(
        unit_id=clinic.unit_id,
        folder_id=clinic.folder_id,
        action=authz_pb2.ACTION_READ,
        consistency_token=clinic.consistency,
    )
    metadata = bearer(clinic.nurse_token)

    async def check() -> None:
        reply = await stub.Check(request, metadata=metadata, timeout=5)
        if not reply.allowed:
            raise AssertionError(f"Check denied the nurse: {reply.reason}")

    return check


def described(*parts: str) -> str:
    """The non-empty parts joined into one note."""
    return "; ".join(part for part in parts if part)


def figures(runs: Runs) -> list[Figure]:
    """The runs as figures against the budgets."""
    single, paced, flat_out = runs.single, runs.paced, runs.flat_out
    offered = described(
        f"{paced.calls:,} checks offered at {RATE:,}/s for {paced.calls / RATE:.0f} s, "
        f"{paced.calls - paced.errors:,} succeeded, last answer after {paced.elapsed:.1f} s; "
        f"latency from each scheduled start, 5 s deadline",
        paced.failure_note(),
    )
    alone = described(
        f"{single.calls:,} checks one after another, p99 {single.p(99):.1f} ms", single.failure_note()
    )
    flat = described(
        f"{flat_out.calls:,} checks in {flat_out.elapsed:.1f} s against one authz process; "
        f"p50 {flat_out.p(50):.1f} ms, p99 {flat_out.p(99):.1f} ms",
        flat_out.failure_note(),
    )
    return [
        Figure(NAME, "Check p50, one at a time", single.p(50), "ms", None, alone, single.errors),
        # The p50 budget is a ratio to a bare echo RPC, which this bench does not measure yet: no verdict.
        Figure(NAME, "Check p50 at 1,000/s", paced.p(50), "ms", None, offered, paced.errors),
        Figure(NAME, "Check p99 at 1,000/s", paced.p(99), "ms", at_most(5), offered, paced.errors),
        Figure(
            NAME,
            f"Check throughput, {IN_FLIGHT} in flight",
            flat_out.throughput,
            "checks/s",
            at_least(2000),
            flat,
            flat_out.errors,
        ),
    ]
