"""Reads waiting for a frozen authz hold no database connection: calls that never ask authz stay fast, and the
access log has a row for every read that returned and none for a read that returned nothing."""

import asyncio
import itertools
import statistics
import time
from collections.abc import Awaitable, Callable

import grpc
import pytest
from elevhalsa.authz.v1 import authz_pb2, authz_pb2_grpc
from elevhalsa.records.v1 import records_pb2 as pb
from elevhalsa.records.v1 import records_pb2_grpc
from sqlalchemy import select

from services.common.errors import Unavailable
from services.common.grpc_client import call, open_channel
from services.records.adapters.orm import AccessLogEntry
from services.records.entrypoints.app import build_runtime
from services.records.settings import RecordsSettings
from tests.support.orgs import valid_personnummer

READS = 40
ANSWERED = READS // 2
# Records gives up on authz after this; the reads left frozen then fail closed.
AUTHZ_DEADLINE_SECONDS = 4.0
# The budget of a call that never asks authz while the frozen reads wait (it is milliseconds when all is well).
BUDGET_SECONDS = 1.0


class FrozenAuthz(authz_pb2_grpc.AuthzServiceServicer):
    """Takes FilterNotes calls and answers none until released; a released call allows every note."""

    def __init__(self):
        self.received = 0
        self._releases = asyncio.Semaphore(0)

    def release(self, count: int) -> None:
        for _ in range(count):
            self._releases.release()

    async def FilterNotes(self, request, context):
        self.received += 1
        await self._releases.acquire()
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


@pytest.fixture
async def records(services, frozen_authz):
    """A records process that asks the frozen authz, with the test database pool (a handful of connections)."""
    settings = RecordsSettings(
        **services.common(),
        identity_addr=services.address("identity"),
        authz_addr=f"127.0.0.1:{frozen_authz.port}",
        grpc_call_timeout_seconds=AUTHZ_DEADLINE_SECONDS,
    )
    runtime = await build_runtime(settings)
    await runtime.start()
    channel = open_channel(f"127.0.0.1:{runtime.port}")
    yield records_pb2_grpc.RecordsServiceStub(channel)
    await channel.close()
    await runtime.stop()


async def until(condition: Callable[[], bool], seconds: float) -> None:
    """Poll for the condition until the deadline."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        await asyncio.sleep(0.01)


async def slowest(action: Callable[[], Awaitable], times: int) -> tuple[float, float]:
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


async def test_reads_waiting_for_a_frozen_authz_leave_the_other_calls_fast_and_the_log_whole(
    org, records, frozen_authz, engine
):
    unit, role, folder = await org.unit(), await org.role(), await org.folder()
    await org.grant(role.id, folder.id)
    nurse, token = await org.member_with_role(role.id, unit.id)
    student, new_students_unit = await org.student(unit.id), await org.unit()
    row = pb.NoteRow(heading="Hälsobesök", row_type=pb.ROW_TYPE_FREE_TEXT, text="Utan anmärkning")
    write = pb.WriteNoteRequest(
        student_id=student.id, folder_id=folder.id, rows=[row], consistency_token=org.token
    )
    note = (await call(org.records.WriteNote, write, token=token)).note
    serials = itertools.count(1)

    async def list_folders():
        assert (await call(records.ListFolders, pb.ListFoldersRequest(), token=token)).folders

    async def create_student():
        request = pb.CreateStudentRequest(
            unit_id=new_students_unit.id,
            personnummer=valid_personnummer(next(serials)),
            first_name="A",
            last_name="B",
        )
        await call(records.CreateStudent, request, token=org.admin)

    async def list_notes():
        request = pb.ListNotesRequest(student_id=student.id, folder_id=folder.id)
        return (await call(records.ListNotes, request, token=token, timeout=30)).notes

    baseline = {"ListFolders": await slowest(list_folders, 5), "CreateStudent": await slowest(create_student, 5)}
    reads = [asyncio.create_task(list_notes()) for _ in range(READS)]
    try:
        await until(lambda: frozen_authz.received == READS, seconds=AUTHZ_DEADLINE_SECONDS / 2)
        frozen = {
            "ListFolders": await slowest(list_folders, 5),
            "CreateStudent": await slowest(create_student, 5),
        }
    finally:
        frozen_authz.release(ANSWERED)
        outcomes = await asyncio.gather(*reads, return_exceptions=True)

    for name in baseline:
        print(f"{name}: median/slowest {baseline[name]} s before the freeze, {frozen[name]} s during it")
        assert frozen[name][1] <= BUDGET_SECONDS, f"{name} waited for the frozen reads"
    returned = [notes for notes in outcomes if not isinstance(notes, BaseException)]
    failed = [error for error in outcomes if isinstance(error, BaseException)]
    assert len(returned) == ANSWERED and all([n.id for n in notes] == [note.id] for notes in returned)
    assert all(isinstance(error, Unavailable) for error in failed), failed
    assert await read_log(engine, student.id) == [("write_note", "allowed", 1)] + [
        ("read_notes", "allowed", 1)
    ] * len(returned)
