"""authz `FilterNotes` with 1,000 notes in one RPC, one call after another (the same decisions in process and
in casbin: bench/decision_engines.py)."""

import asyncio
import uuid

from elevhalsa.authz.v1 import authz_pb2, authz_pb2_grpc

from bench.load import Run, one_at_a_time
from bench.options import Options
from bench.results import Figure, at_most
from bench.system import Clinic, aio_channel, bearer, open_clinic, running_stack

NAME = "filter_notes"
NOTES = 1000


def run(options: Options) -> list[Figure]:
    """The RPC against a fresh stack."""
    with running_stack(NAME) as stack:
        clinic = open_clinic(stack)
        rpc = asyncio.run(measure_rpc(stack, clinic, 60 if options.quick else 1000))
    return rpc_figures(rpc)


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
