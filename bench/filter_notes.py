"""authz `FilterNotes` with 1,000 notes in one RPC, and the same decisions in process versus casbin."""

import asyncio
import time
import uuid
from functools import partial
from importlib import metadata

from elevhalsa.authz.v1 import authz_pb2, authz_pb2_grpc

from bench import decision_engines as engines
from bench.load import Run, one_at_a_time
from bench.options import Options
from bench.results import Figure, at_least, at_most, failed, ms, percentile
from bench.system import Clinic, aio_channel, bearer, open_clinic, running_stack

NAME = "filter_notes"
NOTES = 1000


def run(options: Options) -> list[Figure]:
    """The RPC against a fresh stack, then the pure decisions without one."""
    with running_stack(NAME) as stack:
        clinic = open_clinic(stack)
        rpc = asyncio.run(measure_rpc(stack, clinic, 60 if options.quick else 400))
    return rpc_figures(rpc) + engine_figures(options.quick)


async def measure_rpc(stack, clinic: Clinic, count: int) -> Run:
    """Warm up, then `count` FilterNotes calls one after another."""
    async with aio_channel(stack, "authz") as channel:
        filter_notes = filterer(authz_pb2_grpc.AuthzServiceStub(channel), clinic)
        warm_up = await one_at_a_time(filter_notes, 20)
        if warm_up.errors:
            raise RuntimeError(f"warm-up: {warm_up.failure_note()}")
        return await one_at_a_time(filter_notes, count)


def filterer(stub: authz_pb2_grpc.AuthzServiceStub, clinic: Clinic):
    """One FilterNotes call for 1,000 notes of the nurse's folder; she must be allowed every one."""
    refs = [
        authz_pb2.NoteRef(
            note_id=str(uuid.uuid4()),
            case_id="" if k % 3 == 0 else str(uuid.uuid4()),
            visible_to_case_members=k % 2 == 0,
        )
        for k in range(NOTES)
    ]
    request = authz_pb2.FilterNotesRequest(
        unit_id=clinic.unit_id, folder_id=clinic.folder_id, notes=refs, consistency_token=clinic.consistency
    )
    metadata = bearer(clinic.nurse_token)

    async def filter_notes() -> None:
        reply = await stub.FilterNotes(request, metadata=metadata, timeout=5)
        if len(reply.allowed_note_ids) != NOTES:
            raise AssertionError(f"{len(reply.allowed_note_ids)} notes allowed: {reply.reason}")

    return filter_notes


def rpc_figures(rpc: Run) -> list[Figure]:
    """The RPC's latency figures."""
    note = "; ".join(
        filter(None, [f"{rpc.calls:,} calls one after another, {NOTES:,} NoteRefs each", rpc.failure_note()])
    )
    return [
        Figure(NAME, "FilterNotes(1,000) p50", rpc.p(50), "ms", None, note, rpc.errors),
        Figure(NAME, "FilterNotes(1,000) p99", rpc.p(99), "ms", at_most(5), note, rpc.errors),
    ]


def timed(decide, repeats: int) -> tuple[float, list[str]]:
    """The median time of `decide()` in milliseconds, and its last answer."""
    samples, answer = [], []
    for _ in range(repeats):
        began = time.perf_counter()
        answer = decide()
        samples.append(time.perf_counter() - began)
    return ms(percentile(samples, 50)), answer


def engine_figures(quick: bool) -> list[Figure]:
    """The median decision time for 1,000 notes in process and in casbin, and the speed-up."""
    scenario = engines.scenario(NOTES)
    decide = partial(engines.decide_in_process, scenario)
    timed(decide, 20)  # warm-up
    repeats = 50 if quick else 300
    own_ms, own = timed(decide, repeats)
    how = f"median of {repeats} decisions of {NOTES:,} notes (counsellor, case-member-notes grant)"
    figures = [Figure(NAME, "in-process decision, 1,000 notes", own_ms, "ms", None, how)]
    casbin = engines.import_casbin()
    if casbin is None:
        print("  casbin not available: the comparison is skipped")
        return figures
    return figures + casbin_figures(casbin, scenario, own_ms, own, 3 if quick else 10)


def casbin_figures(casbin, scenario, own_ms: float, own: list[str], repeats: int) -> list[Figure]:
    """The same decisions in casbin, which must agree, and how many times slower it is."""
    enforcer = engines.casbin_enforcer(casbin, scenario)
    decide = partial(engines.decide_in_casbin, enforcer, scenario, engines.casbin_requests(scenario))
    timed(decide, 1)  # warm-up
    casbin_ms, theirs = timed(decide, repeats)
    if theirs != own:
        problem = f"casbin allowed {len(theirs)} notes, the service's model {len(own)}: the models differ"
        return [failed(NAME, AssertionError(problem))]
    how = f"median of {repeats}; casbin {metadata.version('casbin')}, pinned in the bench extra"
    same = f"same decisions ({len(own)} of {NOTES:,} notes allowed by both)"
    return [
        Figure(NAME, "casbin decision, 1,000 notes", casbin_ms, "ms", None, how),
        Figure(NAME, "in-process speed-up over casbin", casbin_ms / own_ms, "x", at_least(10), same),
    ]
