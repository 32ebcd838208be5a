"""Load generators on asyncio: a fixed offered rate (open loop), a fixed number in flight, and one at a time."""

import asyncio
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

import grpc

from bench.results import ms, one_line, percentile

Call = Callable[[], Awaitable[object]]


def failure_kind(error: Exception) -> str:
    """A gRPC status name (with its details when they say more), or the exception's type."""
    if isinstance(error, grpc.aio.AioRpcError):
        plain = error.code() in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED)
        return error.code().name if plain else one_line(f"{error.code().name} ({error.details()})", 120)
    return one_line(f"{type(error).__name__}: {error}", 120)


@dataclass
class Run:
    """What a load run saw: the latency of every call (to its reply or its failure), failures by kind."""

    latencies: list[float] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)
    elapsed: float = 0.0
    # Open loop: how late each call started after its scheduled time (the client's own lag).
    lags: list[float] = field(default_factory=list)
    # CPU seconds the server process used meanwhile, when measured (`with_server_cpu`).
    server_cpu: float = 0.0

    @property
    def calls(self) -> int:
        return len(self.latencies)

    @property
    def errors(self) -> int:
        return sum(self.failures.values())

    @property
    def throughput(self) -> float:
        """Successful calls per second."""
        return (self.calls - self.errors) / self.elapsed if self.elapsed else 0.0

    def p(self, q: float) -> float:
        """The q-th percentile latency in milliseconds, failed calls included at the time they failed."""
        return ms(percentile(self.latencies, q))

    def lag(self, q: float) -> float:
        """The q-th percentile of how late calls started after their scheduled time, in milliseconds."""
        return ms(percentile(self.lags, q)) if self.lags else 0.0

    def cpu_per_call(self) -> float:
        """The server's CPU time per call in microseconds (0 if not measured)."""
        return self.server_cpu / self.calls * 1e6 if self.calls else 0.0

    def failure_note(self) -> str:
        """E.g. "412 of 1,000 calls failed (400 DEADLINE_EXCEEDED, 12 CANCELLED)", or ""."""
        if not self.errors:
            return ""
        kinds = ", ".join(f"{count:,} {kind}" for kind, count in self.failures.most_common())
        return f"{self.errors:,} of {self.calls:,} calls failed ({kinds})"

    async def timed(self, call: Call, since: float) -> None:
        """Await one call; record its latency from `since` and, if it failed, why."""
        try:
            await call()
        except Exception as error:  # noqa: BLE001 - counted and reported, the run goes on
            self.failures[failure_kind(error)] += 1
        self.latencies.append(time.perf_counter() - since)


async def open_loop(call: Call, rate: float, seconds: float) -> Run:
    """Start calls on a fixed schedule whatever the replies; latency counts from each call's scheduled time, and
    how late each call actually started is kept apart (a stalled client delays calls as a slow server would)."""
    run, tasks = Run(), []

    async def started(scheduled: float) -> None:
        run.lags.append(time.perf_counter() - scheduled)
        await call()

    start = time.perf_counter()
    for index in range(int(rate * seconds)):
        scheduled = start + index / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(run.timed(partial(started, scheduled), scheduled)))
    await asyncio.gather(*tasks)
    run.elapsed = time.perf_counter() - start
    return run


async def closed_loop(call: Call, in_flight: int, seconds: float) -> Run:
    """Keep `in_flight` calls outstanding for `seconds`; throughput is what succeeded per second."""
    run = Run()
    start = time.perf_counter()
    deadline = start + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            await run.timed(call, time.perf_counter())

    await asyncio.gather(*(worker() for _ in range(in_flight)))
    run.elapsed = time.perf_counter() - start
    return run


async def one_at_a_time(call: Call, count: int) -> Run:
    """`count` calls in sequence, each timed on its own."""
    run = Run()
    start = time.perf_counter()
    for _ in range(count):
        await run.timed(call, time.perf_counter())
    run.elapsed = time.perf_counter() - start
    return run


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def with_server_cpu(measuring: Awaitable[Run], pid: int) -> Run:
    """A measurement, with the CPU time the server process `pid` used during it."""
    before = cpu_seconds(pid)
    run = await measuring
    run.server_cpu = cpu_seconds(pid) - before
    return run
