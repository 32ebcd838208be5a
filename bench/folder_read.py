"""Reading one folder of a student with 100 notes through the gateway over HTTP, as the school nurse."""

import asyncio

import httpx

from bench.load import Run, one_at_a_time
from bench.options import Options
from bench.results import Figure, at_most
from bench.system import Clinic, open_clinic, running_stack

NAME = "folder_read"
NOTES = 100


def run(options: Options) -> list[Figure]:
    """Start a stack, write 100 notes as the nurse, read the folder again and again, stop."""
    with running_stack(NAME) as stack:
        clinic = open_clinic(stack)
        path = seed_folder(clinic)
        reads = asyncio.run(measure(stack.gateway_url, path, clinic, 60 if options.quick else 400))
    return figures(reads)


def seed_folder(clinic: Clinic) -> str:
    """A student whose medical journal holds 100 notes; returns the folder's notes path."""
    student_id = clinic.student()
    path = f"/api/v1/students/{student_id}/folders/{clinic.folder_id}/notes"
    for index in range(NOTES):
        body = {"rows": [{"heading": "Hälsobesök", "text": f"Besök {index}: längd och vikt följer kurvan."}]}
        response = clinic.api.call("POST", path, clinic.nurse_token, clinic.consistency, json=body)
        if response.status_code != 201:
            raise RuntimeError(f"writing note {index} failed: {response.status_code} {response.text[:300]}")
    return path


async def measure(base_url: str, path: str, clinic: Clinic, count: int) -> Run:
    """Warm up, then `count` reads of the folder one after another."""
    headers = {"Authorization": f"Bearer {clinic.nurse_token}", "Consistency-Token": clinic.consistency}
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10) as client:

        async def read_folder() -> None:
            response = await client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
            if len(response.json()["notes"]) != NOTES:
                raise AssertionError(f"{len(response.json()['notes'])} notes instead of {NOTES}")

        warm_up = await one_at_a_time(read_folder, 20)
        if warm_up.errors:
            raise RuntimeError(f"warm-up: {warm_up.failure_note()}")
        return await one_at_a_time(read_folder, count)


def figures(reads: Run) -> list[Figure]:
    """The reads' latency figures."""
    note = "; ".join(
        filter(
            None,
            [f"{reads.calls:,} GETs one after another, {NOTES} notes each, keep-alive", reads.failure_note()],
        )
    )
    return [
        Figure(NAME, "folder of 100 notes p50", reads.p(50), "ms", at_most(15), note, reads.errors),
        Figure(NAME, "folder of 100 notes p99", reads.p(99), "ms", None, note, reads.errors),
    ]
