"""authz `Check` over loopback gRPC as a nurse with an assignment, against a bare echo with the same
interceptors (bench/echo.py) in the same run: latency one at a time, at 1,000/s, and top throughput.

The echo and `Check` are measured in alternating blocks, one at a time and flat out, so that what the
machine does meanwhile weighs on both alike; the fixed offered rate is measured for `Check` alone."""

import asyncio
from dataclasses import dataclass

import grpc
from elevhalsa.authz.v1 import authz_pb2, authz_pb2_grpc

from bench.echo import echo_stub, running_echo
from bench.load import Call, Run, closed_loop, one_at_a_time, open_loop, with_server_cpu
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
    echo_paced: Run  # the echo at the same rate, in blocks alternating with `paced`
    flat_out: Run  # IN_FLIGHT calls outstanding
    echo_single: Run  # the echo, one at a time, in blocks alternating with `single`
    echo_flat_out: Run  # the echo flat out, in blocks alternating with `flat_out`
    blocks: int


@dataclass(frozen=True)
class Plan:
    """How much to measure: calls one at a time and seconds flat out, each split into alternating blocks."""

    blocks: int
    singles: int
    flat_out_seconds: float
    paced_blocks: float  # seconds of each block at the fixed rate; blocks // 2 of them for each
    warm_up_seconds: float


QUICK = Plan(blocks=2, singles=120, flat_out_seconds=3, paced_blocks=2, warm_up_seconds=1)
FULL = Plan(blocks=8, singles=480, flat_out_seconds=8, paced_blocks=5, warm_up_seconds=2)


def run(options: Options) -> list[Figure]:
    """Start a stack and the echo, seed a nurse, measure, stop."""
    with running_stack(NAME) as stack, running_echo(stack) as echo:
        clinic = open_clinic(stack)
        pids = {"authz": stack.processes["authz"].pid, "echo": echo.pid}
        runs = asyncio.run(measure(stack, clinic, pids, QUICK if options.quick else FULL))
    return figures(runs)


async def measure(stack, clinic: Clinic, pids: dict[str, int], plan: Plan) -> Runs:
    """Warm both up; one at a time in alternating blocks; `Check` at the fixed rate; flat out in blocks."""
    async with aio_channel(stack, "authz") as authz, aio_channel(stack, "echo") as echo_channel:
        check = caller(authz_pb2_grpc.AuthzServiceStub(authz).Check, clinic)
        echo = caller(echo_stub(echo_channel), clinic)
        for name, call in (("Check", check), ("echo", echo)):
            warm_up = await closed_loop(call, 4, plan.warm_up_seconds)
            if warm_up.errors:
                raise RuntimeError(f"warm-up of {name}: {warm_up.failure_note()}")
        single, echo_single = await alternating(
            check, echo, plan.blocks, lambda call: one_at_a_time(call, plan.singles // plan.blocks)
        )
        paced, echo_paced = await alternating(
            check, echo, plan.blocks // 2, lambda call: settled(open_loop(call, RATE, plan.paced_blocks))
        )
        server = {check: pids["authz"], echo: pids["echo"]}
        flat_out, echo_flat_out = await alternating(
            check,
            echo,
            plan.blocks,
            lambda call: with_server_cpu(
                closed_loop(call, IN_FLIGHT, plan.flat_out_seconds / plan.blocks), server[call]
            ),
        )
    return Runs(single, paced, echo_paced, flat_out, echo_single, echo_flat_out, plan.blocks)


async def settled(measuring) -> Run:
    """Measure, then let a server that fell behind drain before the next measurement."""
    run = await measuring
    await asyncio.sleep(SETTLE_SECONDS)
    return run


async def alternating(check: Call, echo: Call, blocks: int, measure_block) -> tuple[Run, Run]:
    """`blocks` blocks of each, in turn, the one that goes first swapping every block."""
    checks, echoes = Run(), Run()
    for index in range(blocks):
        pairs = [(check, checks), (echo, echoes)]
        for call, total in pairs if index % 2 == 0 else reversed(pairs):
            add(total, await measure_block(call))
    return checks, echoes


def add(total: Run, block: Run) -> None:
    """Append one block's calls to the total."""
    total.latencies += block.latencies
    total.lags += block.lags
    total.server_cpu += block.server_cpu
    total.failures.update(block.failures)
    total.elapsed += block.elapsed


def caller(method: grpc.aio.UnaryUnaryMultiCallable, clinic: Clinic) -> Call:
    """One Check of read access to the nurse's folder at her school; anything but "allowed" fails."""
    request = authz_pb2.CheckRequest(
        unit_id=clinic.unit_id,
        folder_id=clinic.folder_id,
        action=authz_pb2.ACTION_READ,
        consistency_token=clinic.consistency,
    )
    metadata = bearer(clinic.nurse_token)

    async def check() -> None:
        reply = await method(request, metadata=metadata, timeout=5)
        if not reply.allowed:
            raise AssertionError(f"Check denied the nurse: {reply.reason}")

    return check


def described(*parts: str) -> str:
    """The non-empty parts joined into one note."""
    return "; ".join(part for part in parts if part)


ECHO = (
    "the bare echo of bench/echo.py in its own process: create_server's OpenTelemetry interceptor and "
    "CallContextInterceptor (token verified with the stack's key, issuer and audience, caller bound; no "
    "live-caller lookup, as for Check, which resolves the caller itself), tracing set up as in the services; "
    "answers the same CheckRequest with CheckResponse(allowed=True), no I/O"
)


def figures(runs: Runs) -> list[Figure]:
    """The runs as figures against the budgets."""
    single, paced, flat_out = runs.single, runs.paced, runs.flat_out
    echo_single, echo_paced, echo_flat_out = runs.echo_single, runs.echo_paced, runs.echo_flat_out
    offered = described(
        f"{paced.calls:,} checks offered at {RATE:,}/s in blocks of {paced.calls / (runs.blocks // 2):,.0f} "
        f"alternating with the echo's, {paced.calls - paced.errors:,} succeeded; latency from each scheduled "
        f"start, 5 s deadline; the client started its calls late by p50 {paced.lag(50):.2f} ms, "
        f"p99 {paced.lag(99):.1f} ms",
        paced.failure_note(),
    )
    echo_offered = described(
        f"{echo_paced.calls:,} calls to the echo offered at {RATE:,}/s, in blocks alternating with Check's; "
        f"p50 {echo_paced.p(50):.2f} ms; the client started its calls late by p99 {echo_paced.lag(99):.1f} ms",
        echo_paced.failure_note(),
    )
    alone = described(
        f"{single.calls:,} checks one after another, p99 {single.p(99):.1f} ms", single.failure_note()
    )
    echo_alone = described(
        f"{echo_single.calls:,} calls one after another to {ECHO}; p99 {echo_single.p(99):.1f} ms",
        echo_single.failure_note(),
    )
    ratio = f"both one at a time in the same run, {runs.blocks} blocks of each in turn"
    flat = described(
        f"{flat_out.calls:,} checks in {flat_out.elapsed:.1f} s against one authz process; "
        f"p50 {flat_out.p(50):.1f} ms, p99 {flat_out.p(99):.1f} ms; authz used {flat_out.cpu_per_call():.0f} µs "
        f"of CPU per call, the echo {echo_flat_out.cpu_per_call():.0f} µs",
        flat_out.failure_note(),
    )
    echo_flat = described(
        f"{echo_flat_out.calls:,} calls in {echo_flat_out.elapsed:.1f} s against the echo process, "
        f"in blocks alternating with Check's; p50 {echo_flat_out.p(50):.1f} ms, p99 {echo_flat_out.p(99):.1f} ms; "
        f"{echo_flat_out.cpu_per_call():.0f} µs of the echo's CPU per call",
        echo_flat_out.failure_note(),
    )
    return [
        Figure(NAME, "Check p50, one at a time", single.p(50), "ms", None, alone, single.errors),
        Figure(
            NAME, "echo p50, one at a time", echo_single.p(50), "ms", None, echo_alone, echo_single.errors
        ),
        Figure(
            NAME,
            "Check p50 / echo p50",
            single.p(50) / echo_single.p(50),
            "x",
            at_most(1.3),
            ratio,
            single.errors + echo_single.errors,
        ),
        Figure(NAME, "Check p50 at 1,000/s", paced.p(50), "ms", None, offered, paced.errors),
        Figure(NAME, "Check p99 at 1,000/s", paced.p(99), "ms", at_most(5), offered, paced.errors),
        Figure(NAME, "echo p99 at 1,000/s", echo_paced.p(99), "ms", None, echo_offered, echo_paced.errors),
        Figure(
            NAME,
            f"Check throughput, {IN_FLIGHT} in flight",
            flat_out.throughput,
            "checks/s",
            at_least(2000),
            flat,
            flat_out.errors,
        ),
        Figure(
            NAME,
            "server CPU per Check / per echo call",
            flat_out.cpu_per_call() / echo_flat_out.cpu_per_call() if echo_flat_out.server_cpu else 0.0,
            "x",
            None,
            f"flat out, from /proc: authz {flat_out.cpu_per_call():.0f} µs per Check, "
            f"the echo {echo_flat_out.cpu_per_call():.0f} µs per call",
        ),
        Figure(
            NAME,
            f"echo throughput, {IN_FLIGHT} in flight",
            echo_flat_out.throughput,
            "calls/s",
            None,
            echo_flat,
            echo_flat_out.errors,
        ),
    ]
