"""Records over gRPC: students, notes, authz per list, and the access log written with every read."""

import asyncio
import json
import time

import pytest
from elevhalsa.records.v1 import records_pb2 as pb
from elevhalsa.records.v1 import records_pb2_grpc
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from deploy.local.infra import free_port
from services.common.consistency import ConsistencyToken
from services.common.errors import (
    AlreadyExists,
    InvalidArgument,
    InvalidFields,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from services.common.grpc_client import call, open_channel
from services.records.adapters.orm import AccessLogEntry
from tests.support.orgs import free_text_note, new_org

# A read that authz cannot decide in time answers within this, never with data.
FAILS_CLOSED_WITHIN_SECONDS = 2.0


@pytest.fixture
async def journal(org):
    """A nurse at school A, a student at A and one at B, a medical journal she may write in."""
    a, b = await org.unit(), await org.unit()
    role, medical = await org.role(), await org.folder("Medicinsk journal")
    await org.grant(role.id, medical.id)
    nurse, token = await org.member_with_role(role.id, a.id)
    return {
        "nurse": nurse,
        "token": token,
        "medical": medical,
        "template": await org.free_text_template("Hälsobesök"),
        "alva": await org.student(a.id),
        "saga": await org.student(b.id),
    }


async def write(org, j, student, text_value="Hälsobesök utan anmärkning"):
    request = free_text_note(student.id, j["medical"].id, j["template"], text_value, token=org.token)
    return (await call(org.records.WriteNote, request, token=j["token"])).note


async def read(org, j, student, records_stub=None):
    request = pb.ListNotesRequest(
        student_id=student.id, folder_id=j["medical"].id, consistency_token=org.token
    )
    return (await call((records_stub or org.records).ListNotes, request, token=j["token"])).notes


async def access_log(engine, student_id: str) -> list[tuple]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(AccessLogEntry.action, AccessLogEntry.outcome, AccessLogEntry.note_count)
            .where(AccessLogEntry.student_id == student_id)
            .order_by(AccessLogEntry.id)
        )
        return [tuple(row) for row in rows]


async def test_a_nurse_writes_and_reads_notes_of_a_student_at_her_school(org, journal):
    first = await write(org, journal, journal["alva"], "Längd 132 cm")
    second = await write(org, journal, journal["alva"], "Vikt 29 kg")
    notes = await read(org, journal, journal["alva"])
    assert {n.id for n in notes} == {first.id, second.id}
    assert {json.loads(n.rows_json)[0]["value"] for n in notes} == {"Längd 132 cm", "Vikt 29 kg"}
    assert all(n.author_id == journal["nurse"].id and n.state == pb.NOTE_STATE_DRAFT for n in notes)


async def test_every_read_and_every_denied_attempt_is_in_the_access_log(org, journal, engine):
    await write(org, journal, journal["alva"])
    await read(org, journal, journal["alva"])
    with pytest.raises(PermissionDenied):
        await read(org, journal, journal["saga"])
    with pytest.raises(PermissionDenied):
        await write(org, journal, journal["saga"])
    assert await access_log(engine, journal["alva"].id) == [
        ("write_note", "allowed", 1),
        ("read_notes", "allowed", 1),
    ]
    assert await access_log(engine, journal["saga"].id) == [
        ("read_notes", "denied", 0),
        ("write_note", "denied", 0),
    ]


async def test_when_authz_cannot_answer_nothing_is_returned_and_nothing_is_logged(
    services, org, journal, engine
):
    await write(org, journal, journal["alva"])
    records = await services.records_with(f"127.0.0.1:{free_port()}")
    await records.start()
    channel = open_channel(f"127.0.0.1:{records.port}")
    try:
        with pytest.raises(Unavailable) as failed:
            await read(org, journal, journal["alva"], records_pb2_grpc.RecordsServiceStub(channel))
    finally:
        await channel.close()
        await records.stop()
    # Said plainly, without the transport's text (addresses, sockets).
    assert failed.value.message == "authorization is unavailable; retry"
    assert await access_log(engine, journal["alva"].id) == [("write_note", "allowed", 1)]


async def test_a_read_passing_a_token_authz_has_not_reached_fails_with_authz_s_reason_within_its_deadline(
    org, journal, engine
):
    await write(org, journal, journal["alva"])
    ahead = ConsistencyToken(org.org_id, {"identity": 10**9}).encode()
    request = pb.ListNotesRequest(
        student_id=journal["alva"].id, folder_id=journal["medical"].id, consistency_token=ahead
    )
    start = time.monotonic()
    with pytest.raises(Unavailable) as failed:
        await call(org.records.ListNotes, request, token=journal["token"])
    assert time.monotonic() - start < FAILS_CLOSED_WITHIN_SECONDS
    # authz's own reason, passed on by records (the test authz gives up after 1 s, before records would).
    assert (
        failed.value.message == "authorization data is not yet up to date with the consistency token; retry"
    )
    assert await access_log(engine, journal["alva"].id) == [("write_note", "allowed", 1)]


async def test_the_access_log_cannot_be_changed_or_deleted(journal, org, db_session):
    await read(org, journal, journal["alva"])
    for statement in ("UPDATE records.access_log SET outcome = 'denied'", "DELETE FROM records.access_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with db_session.begin_nested():
                await db_session.execute(text(statement))


async def test_a_student_needs_a_valid_personnummer_and_a_unit_of_the_organisation(services, org):
    unit = await org.unit()
    bad = pb.CreateStudentRequest(
        unit_id=unit.id, personnummer="20150312-2381", first_name="A", last_name="B"
    )
    with pytest.raises(InvalidArgument) as refused:
        await call(org.records.CreateStudent, bad, token=org.admin)
    assert refused.value.field == "personnummer" and "2381" not in refused.value.message
    their_unit = await (await new_org(services)).unit()
    elsewhere = pb.CreateStudentRequest(
        unit_id=their_unit.id, personnummer="201503122382", first_name="A", last_name="B"
    )
    with pytest.raises(NotFound):
        await call(org.records.CreateStudent, elsewhere, token=org.admin)


async def test_another_organisations_students_are_not_found(services, org, journal):
    other = await new_org(services)
    their_student = await other.student((await other.unit()).id)
    with pytest.raises(NotFound):
        await read(org, journal, their_student)


async def test_a_note_names_a_template_of_the_organisation(services, org, journal):
    theirs = await (await new_org(services)).free_text_template()
    request = free_text_note(journal["alva"].id, journal["medical"].id, theirs, "Text", token=org.token)
    with pytest.raises(NotFound) as refused:
        await call(org.records.WriteNote, request, token=journal["token"])
    assert refused.value.field == "template_id"


async def test_a_required_row_left_empty_is_named_in_the_refusal(org, journal):
    row = pb.TemplateRow(heading="Bedömning", row_type=pb.ROW_TYPE_FREE_TEXT, required=True)
    request = pb.CreateNoteTemplateRequest(name="Bedömning", rows=[row])
    template = (await org.as_admin(org.records.CreateNoteTemplate, request)).template
    empty = free_text_note(journal["alva"].id, journal["medical"].id, template, token=org.token)
    with pytest.raises(InvalidFields) as refused:
        await call(org.records.WriteNote, empty, token=journal["token"])
    assert [(p.field, p.rule) for p in refused.value.problems] == [("rows", "required")]


async def test_writing_signing_and_reading_a_note_and_its_history_are_each_logged(org, journal, engine):
    note = await write(org, journal, journal["alva"])
    sign = pb.SignNoteRequest(note_id=note.id, consistency_token=org.token)
    signed = (await call(org.records.SignNote, sign, token=journal["token"])).note
    assert signed.state == pb.NOTE_STATE_SIGNED and signed.signed_by == journal["nurse"].id
    await call(org.records.GetNote, pb.GetNoteRequest(note_id=note.id), token=journal["token"])
    await call(org.records.GetNoteHistory, pb.GetNoteHistoryRequest(note_id=note.id), token=journal["token"])
    assert await access_log(engine, journal["alva"].id) == [
        ("write_note", "allowed", 1),
        ("sign_note", "allowed", 1),
        ("read_note", "allowed", 1),
        ("read_history", "allowed", 1),
    ]


async def test_notes_signed_at_once_in_one_folder_take_one_place_each_in_its_chain(org, journal):
    notes = [await write(org, journal, journal["alva"], f"Besök {i}") for i in range(6)]
    requests = [pb.SignNoteRequest(note_id=n.id, consistency_token=org.token) for n in notes]
    await asyncio.gather(*(call(org.records.SignNote, r, token=journal["token"]) for r in requests))
    verify = pb.VerifyFolderRequest(
        student_id=journal["alva"].id, folder_id=journal["medical"].id, consistency_token=org.token
    )
    verification = await call(org.records.VerifyFolder, verify, token=journal["token"])
    assert (verification.intact, verification.signed_versions, list(verification.breaks)) == (True, 6, [])


async def test_creating_a_student_that_exists_is_refused_and_the_attempt_is_logged(org, journal, engine):
    again = pb.CreateStudentRequest(
        unit_id=journal["alva"].unit_id,
        personnummer=journal["alva"].personnummer,
        first_name="X",
        last_name="Y",
    )
    with pytest.raises(AlreadyExists):
        await call(org.records.CreateStudent, again, token=org.admin)
    assert await access_log(engine, journal["alva"].id) == [("create_student", "denied", 0)]


async def test_a_personnummer_in_other_digits_than_ascii_is_refused(org):
    unit = await org.unit()
    arabic = pb.CreateStudentRequest(
        unit_id=unit.id, personnummer="٢٠١٥٠٣١٢-٢٣٨٢", first_name="A", last_name="B"
    )
    with pytest.raises(InvalidArgument):
        await call(org.records.CreateStudent, arabic, token=org.admin)
