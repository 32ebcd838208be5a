"""Reads waiting for a frozen authz hold no database connection: calls that never ask authz stay fast, and the
access log has a row for every read that returned and none for a read that returned nothing. With authz's own
deadline, a read that authz does not answer fails closed: unavailable, within the deadline, never data."""

import asyncio
import contextlib
import itertools
import statistics
import time
from collections.abc import Awaitable, Callable
from types import SimpleNamespace

import grpc
import pytest
from elevhalsa.authz.v1 import authz_pb2, authz_pb2_grpc
from elevhalsa.records.v1 import records_pb2 as pb
from elevhalsa.records.v1 import records_pb2_grpc
from sqlalchemy import select

from services.common.errors import Unavailable
from services.common.grpc_client import call, open_channel
from services.common.settings import DEFAULT_AUTHZ_CALL_TIMEOUT_SECONDS
from services.records.adapters.orm import AccessLogEntry
from services.records.entrypoints.app import build_runtime
from services.records.settings import RecordsSettings
from tests.support.orgs import free_text_note, valid_personnummer
from tests.support.waiting import eventually

READS = 40
ALLOWED = READS // 2
# Long enough that no read gives up on the frozen authz before it is released.
AUTHZ_DEADLINE_SECONDS = 60.0
# The budget of a call that never asks authz while the frozen reads wait (it is milliseconds when all is well).
BUDGET_SECONDS = 1.0
# A read that authz does not answer fails within this (the requirement), under authz's own deadline.
FAILS_CLOSED_WITHIN_SECONDS = 2.0


class FrozenAuthz(authz_pb2_grpc.AuthzServiceServicer):
    """Takes FilterNotes calls and answers none until released: then it allows every note, or fails. Who the
    caller is (ResolveCaller, asked on every records call) and whether they may make an administrative change
    (AuthorizeAdmin) it answers at once, as for an active administrator."""

    def __init__(self):
        self.received = 0
        self._answers: asyncio.Queue[bool] = asyncio.Queue()

    async def ResolveCaller(self, request, context):
        return authz_pb2.ResolveCallerResponse(active=True, permission_level="admin")

    async def AuthorizeAdmin(self, request, context):
        return authz_pb2.AuthorizeAdminResponse(allowed=True, reason="administrator")

    def release(self, *, allowed: int, failed: int) -> None:
        for answer in [True] * allowed + [False] * failed:
            self._answers.put_nowait(answer)

    async def FilterNotes(self, request, context):
        self.received += 1
        if not await self._answers.get():
            await context.abort(grpc.StatusCode.UNAVAILABLE, "authz failed while records waited")
        return authz_pb2.FilterNotesResponse(
            folder_readable=True,
            allowed_note_ids=[note.note_id for note in request.notes],
            reason="released",
        )


@pytest.fixture
async def frozen_authz():
    servicer = FrozenAuthz()
    server = grpc.aio.server()
    authz_pb2_grpc.add_AuthzServiceServicer_to_server(servicer, server)
    servicer.port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield servicer
    await server.stop(grace=None)


@contextlib.asynccontextmanager
async def records_asking(services, frozen_authz, **deadlines):
    """A records process that asks the frozen authz, with the test database pool (a handful of connections)."""
    settings = RecordsSettings(
        **services.common("records"),
        identity_addr=services.address("identity"),
        authz_addr=f"127.0.0.1:{frozen_authz.port}",
        **deadlines,
    )
    runtime = await build_runtime(settings)
    await runtime.start()
    channel = open_channel(f"127.0.0.1:{runtime.port}")
    yield records_pb2_grpc.RecordsServiceStub(channel)
    await channel.close()
    await runtime.stop()


@pytest.fixture
async def records(services, frozen_authz):
    """Records that waits for authz as long as it takes."""
    async with records_asking(
        services, frozen_authz, authz_call_timeout_seconds=AUTHZ_DEADLINE_SECONDS
    ) as stub:
        yield stub


@pytest.fixture
async def records_failing_closed(services, frozen_authz):
    """Records with authz's own deadline as configured by default."""
    async with records_asking(services, frozen_authz) as stub:
        yield stub


async def timings(action: Callable[[], Awaitable], times: int) -> tuple[float, float]:
    """Median and slowest duration of the action, in seconds."""
    durations = []
    for _ in range(times):
        start = time.perf_counter()
        await action()
        durations.append(time.perf_counter() - start)
    return statistics.median(durations), max(durations)


async def read_log(engine, student_id: str) -> list[tuple]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(AccessLogEntry.action, AccessLogEntry.outcome, AccessLogEntry.note_count)
            .where(AccessLogEntry.student_id == student_id)
            .order_by(AccessLogEntry.id)
        )
        return [tuple(row) for row in rows]


@pytest.fixture
async def folder_with_a_note(org):
    """A nurse who may read a folder, a student at her school with one note there, and a unit for new students."""
    unit, role, folder = await org.unit(), await org.role(), await org.folder()
    await org.grant(role.id, folder.id)
    _, token = await org.member_with_role(role.id, unit.id)
    student = await org.student(unit.id)
    template = await org.free_text_template("Hälsobesök")
    write = free_text_note(student.id, folder.id, template, "Utan anmärkning", token=org.token)
    note = (await call(org.records.WriteNote, write, token=token)).note
    return SimpleNamespace(
        token=token, student=student, folder=folder, note=note, new_students_unit=await org.unit()
    )


async def test_reads_waiting_for_a_frozen_authz_leave_the_other_calls_fast_and_the_log_whole(
    org, records, frozen_authz, folder_with_a_note, engine
):
    j = folder_with_a_note
    serials = itertools.count(1)

    async def list_folders():
        assert (await call(records.ListFolders, pb.ListFoldersRequest(), token=j.token)).folders

    async def create_student():
        request = pb.CreateStudentRequest(
            unit_id=j.new_students_unit.id,
            personnummer=valid_personnummer(next(serials)),
            first_name="A",
            last_name="B",
        )
        await call(records.CreateStudent, request, token=org.admin)

    async def list_notes():
        request = pb.ListNotesRequest(student_id=j.student.id, folder_id=j.folder.id)
        return (
            await call(records.ListNotes, request, token=j.token, timeout=2 * AUTHZ_DEADLINE_SECONDS)
        ).notes

    async def durations() -> dict[str, tuple[float, float]]:
        return {
            "ListFolders": await timings(list_folders, 5),
            "CreateStudent": await timings(create_student, 5),
        }

    before = await durations()
    reads = [asyncio.create_task(list_notes()) for _ in range(READS)]
    try:
        await eventually(lambda: frozen_authz.received == READS, timeout=30)
        during = await durations()
    finally:
        frozen_authz.release(allowed=ALLOWED, failed=READS - ALLOWED)
        outcomes = await asyncio.gather(*reads, return_exceptions=True)

    for name in before:
        print(f"{name}: median, slowest {before[name]} s before the freeze; {during[name]} s during it")
        assert during[name][1] <= BUDGET_SECONDS, f"{name} waited for the frozen reads"
    returned = [notes for notes in outcomes if not isinstance(notes, BaseException)]
    failed = [error for error in outcomes if isinstance(error, BaseException)]
    assert len(returned) == ALLOWED and all([n.id for n in notes] == [j.note.id] for notes in returned)
    assert all(isinstance(error, Unavailable) for error in failed), failed
    assert await read_log(engine, j.student.id) == [("write_note", "allowed", 1)] + [
        ("read_notes", "allowed", 1)
    ] * len(returned)


async def test_a_read_that_authz_does_not_answer_fails_closed_within_authz_s_deadline(
    records_failing_closed, frozen_authz, folder_with_a_note, engine
):
    j = folder_with_a_note
    request = pb.ListNotesRequest(student_id=j.student.id, folder_id=j.folder.id)
    start = time.perf_counter()
    with pytest.raises(Unavailable) as failed:
        await call(records_failing_closed.ListNotes, request, token=j.token, timeout=AUTHZ_DEADLINE_SECONDS)
    seconds = time.perf_counter() - start

    assert frozen_authz.received == 1
    assert DEFAULT_AUTHZ_CALL_TIMEOUT_SECONDS <= seconds < FAILS_CLOSED_WITHIN_SECONDS
    assert failed.value.message.startswith("authorization is unavailable")
    assert await read_log(engine, j.student.id) == [("write_note", "allowed", 1)]
