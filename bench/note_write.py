"""Writing a note from a 10-row template and signing it through the gateway, as the nurse, one at a time.

A bare `GET /healthz` and an authenticated `GET /api/v1/folders` through the same gateway are measured in the
same run, in alternating blocks: they show what any request costs on the machine at the time."""

import asyncio
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import httpx

from bench.folder_read import add, described
from bench.load import Run, failure_kind, one_at_a_time
from bench.options import Options
from bench.results import Figure, at_most
from bench.system import Clinic, Template, open_clinic, running_stack

NAME = "note_write"
FIRST_DAY = date(2025, 8, 18)
WARM_UP = 20


@dataclass
class Writes:
    """What the writes saw: each request alone, both together, and the baselines."""

    write: Run = field(default_factory=Run)
    sign: Run = field(default_factory=Run)
    both: Run = field(default_factory=Run)
    healthz: Run = field(default_factory=Run)
    folders: Run = field(default_factory=Run)
    blocks: int = 0


def run(options: Options) -> list[Figure]:
    """Start a stack, make the template and a student, write and sign note after note, stop."""
    count = 40 if options.quick else 300
    blocks = 2 if options.quick else 6
    with running_stack(NAME) as stack:
        clinic = open_clinic(stack)
        template = clinic.template()
        student_id = clinic.student()
        writes = asyncio.run(measure(stack.gateway_url, clinic, template, student_id, count, blocks))
    return figures(writes)


class Writer:
    """Writes notes of the template for one student and signs them, timing each request."""

    def __init__(self, client: httpx.AsyncClient, clinic: Clinic, template: Template, student_id: str):
        self.client, self.template = client, template
        self.path = f"/api/v1/students/{student_id}/folders/{clinic.folder_id}/notes"
        self.written = 0

    async def write_and_sign(self, writes: Writes) -> None:
        """One note written and signed; a failure counts against both requests together."""
        body = self.template.body(self.written, FIRST_DAY + timedelta(days=self.written % 365))
        self.written += 1
        began = time.perf_counter()
        try:
            note = await self.post(self.path, 201, json=body)
            wrote = time.perf_counter()
            await self.post(f"/api/v1/notes/{note['id']}/sign", 200)
        except Exception as error:  # noqa: BLE001 - counted and reported, the run goes on
            writes.both.failures[failure_kind(error)] += 1
            writes.both.latencies.append(time.perf_counter() - began)
            return
        signed = time.perf_counter()
        writes.write.latencies.append(wrote - began)
        writes.sign.latencies.append(signed - wrote)
        writes.both.latencies.append(signed - began)

    async def post(self, path: str, expected: int, **kwargs) -> dict:
        response = await self.client.post(path, **kwargs)
        if response.status_code != expected:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
        return response.json()


def getter(client: httpx.AsyncClient, path: str):
    """A GET of the path that must answer 200."""

    async def get() -> None:
        response = await client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")

    return get


async def measure(
    base_url: str, clinic: Clinic, template: Template, student_id: str, count: int, blocks: int
) -> Writes:
    """Warm up, then `count` notes written and signed one after another and as many bare requests, in turn."""
    headers = {"Authorization": f"Bearer {clinic.nurse_token}", "Consistency-Token": clinic.consistency}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10) as client:
        writer = Writer(client, clinic, template, student_id)
        healthz, folders = getter(client, "/healthz"), getter(client, "/api/v1/folders")
        warm_up = Writes()
        for _ in range(WARM_UP):
            await writer.write_and_sign(warm_up)
        for checked in [warm_up.both] + [await one_at_a_time(call, WARM_UP) for call in (healthz, folders)]:
            if checked.errors:
                raise RuntimeError(f"warm-up: {checked.failure_note()}")
        writes = Writes(blocks=blocks)
        for _ in range(blocks):
            for _ in range(count // blocks):
                await writer.write_and_sign(writes)
            add(writes.healthz, await one_at_a_time(healthz, count // blocks))
            add(writes.folders, await one_at_a_time(folders, count // blocks))
    if not writes.write.latencies:
        raise RuntimeError(f"no note was written and signed: {writes.both.failure_note()}")
    return writes


def figures(writes: Writes) -> list[Figure]:
    """Write+sign against the budget; each request alone and the bare requests for information."""
    both, errors = writes.both, writes.both.errors
    how = described(
        f"{both.calls:,} notes of 10 rows written (POST) and signed (POST …/sign) one after another, "
        f"keep-alive; p99 {both.p(99):.1f} ms",
        both.failure_note(),
    )
    alone = f"the same {len(writes.write.latencies):,} notes; p99 {{p99:.1f}} ms"
    bare = f"{writes.healthz.calls:,} calls one after another, in {writes.blocks} blocks between the writes"
    return [
        Figure(NAME, "write + sign p50", both.p(50), "ms", at_most(25), how, errors),
        Figure(
            NAME, "write p50", writes.write.p(50), "ms", None, alone.format(p99=writes.write.p(99)), errors
        ),
        Figure(NAME, "sign p50", writes.sign.p(50), "ms", None, alone.format(p99=writes.sign.p(99)), errors),
        Figure(
            NAME,
            "baseline: GET /healthz p50",
            writes.healthz.p(50),
            "ms",
            None,
            described(f"{bare}; no auth, no backend", writes.healthz.failure_note()),
            writes.healthz.errors,
        ),
        Figure(
            NAME,
            "baseline: GET /api/v1/folders p50",
            writes.folders.p(50),
            "ms",
            None,
            described(f"{bare}; token checked, one records call", writes.folders.failure_note()),
            writes.folders.errors,
        ),
    ]
