"""Records' use cases: every read and refusal is logged, authz decides what is shown, and no unit of work is open
while another service is asked."""

import uuid
from datetime import date

import pytest

from services.common.auth import PermissionLevel
from services.common.errors import AlreadyExists, PermissionDenied
from services.records.adapters.orm import Folder, Note, NoteRow, Student
from services.records.domain.model import NoteRowValue, NoteStatus, RowType
from services.records.service_layer import handlers
from tests.unit.records.fakes import ORG, FakeAuthz, FakeIdentity, FakeUnitsOfWork, Journal, caller

UNIT = uuid.UUID("00000000-0000-0000-0000-0000000000b1")


def a_journal(notes: int = 0) -> tuple[Journal, Student, Folder]:
    """A student at UNIT with `notes` notes of one row each in the medical journal."""
    student = Student(
        id=uuid.uuid4(), org_id=ORG, unit_id=UNIT, personnummer="201503122382", first_name="Alva"
    )
    folder = Folder(id=uuid.uuid4(), org_id=ORG, name="Medicinsk journal", group_notes_allowed=False)
    journal = Journal(students=[student], folders=[folder])
    for i in range(notes):
        note = Note(
            id=uuid.uuid4(),
            org_id=ORG,
            student_id=student.id,
            folder_id=folder.id,
            event_date=date(2026, 11, i + 1),
            status=NoteStatus.DRAFT,
        )
        journal.notes.append(note)
        row = NoteRow(org_id=ORG, note_id=note.id, position=0, heading="Besök", row_type="free_text")
        journal.note_rows.append(row)
    return journal, student, folder


def logged(journal: Journal) -> list[tuple]:
    return [(e.action, e.outcome, e.note_count) for e in journal.access_log]


async def test_a_denied_read_is_logged_and_refused():
    journal, student, folder = a_journal(notes=2)
    units = FakeUnitsOfWork(journal)
    with pytest.raises(PermissionDenied):
        await handlers.list_notes(
            units, caller(), FakeAuthz(units, readable=False), student.id, folder.id, ""
        )
    assert logged(journal) == [("read_notes", "denied", 0)]
    assert journal.access_log[0].folder_id == folder.id


async def test_an_allowed_read_logs_one_row_with_the_count_of_notes_shown():
    journal, student, folder = a_journal(notes=3)
    units = FakeUnitsOfWork(journal)
    notes = await handlers.list_notes(units, caller(), FakeAuthz(units), student.id, folder.id, "")
    assert len(notes) == 3 and all(len(rows) == 1 for _, rows in notes)
    assert logged(journal) == [("read_notes", "allowed", 3)]


async def test_notes_the_authz_answer_leaves_out_are_never_returned():
    journal, student, folder = a_journal(notes=3)
    units = FakeUnitsOfWork(journal)
    authz = FakeAuthz(units)
    authz.hidden = {journal.notes[0].id, journal.notes[2].id}
    notes = await handlers.list_notes(units, caller(), authz, student.id, folder.id, "")
    assert [note.id for note, _ in notes] == [journal.notes[1].id]
    assert logged(journal) == [("read_notes", "allowed", 1)]


async def test_a_write_without_access_writes_nothing_but_the_log_row():
    journal, student, folder = a_journal()
    units = FakeUnitsOfWork(journal)
    rows = [NoteRowValue("Hälsobesök", RowType.FREE_TEXT, "Längd 132 cm")]
    with pytest.raises(PermissionDenied):
        await handlers.write_note(
            units, caller(), FakeAuthz(units, writable=False), student.id, folder.id, None, rows, ""
        )
    assert journal.notes == [] and journal.note_rows == [] and journal.events == []
    assert logged(journal) == [("write_note", "denied", 0)]


async def test_a_write_stores_the_note_its_rows_its_log_row_and_its_event_together():
    journal, student, folder = a_journal()
    units = FakeUnitsOfWork(journal)
    rows = [
        NoteRowValue(" Längd ", RowType.FREE_TEXT, "132 cm"),
        NoteRowValue("Vikt", RowType.FREE_TEXT, "29 kg"),
    ]
    note, note_rows, token = await handlers.write_note(
        units, caller(), FakeAuthz(units, writable=True), student.id, folder.id, date(2026, 11, 2), rows, ""
    )
    assert journal.notes == [note] and [r.heading for r in journal.note_rows] == ["Längd", "Vikt"]
    assert logged(journal) == [("write_note", "allowed", 1)]
    assert [type(e).__name__ for e in journal.events] == ["NoteWritten"] and token


async def test_a_duplicate_student_is_logged_and_refused():
    journal, student, _ = a_journal()
    units = FakeUnitsOfWork(journal)
    again = handlers.NewStudent(UNIT, student.personnummer, "Alva", "Andersson", protected_identity=False)
    with pytest.raises(AlreadyExists) as refused:
        await handlers.create_student(
            units, caller(PermissionLevel.ADMIN), FakeIdentity(units, {UNIT}), again
        )
    assert refused.value.field == "personnummer"
    assert journal.students == [student] and journal.events == []
    assert logged(journal) == [("create_student", "denied", 0)]
    assert journal.access_log[0].student_id == student.id


async def test_no_unit_of_work_is_open_while_authz_is_asked():
    journal, student, folder = a_journal(notes=1)
    units = FakeUnitsOfWork(journal)
    authz = FakeAuthz(units, writable=True)
    rows = [NoteRowValue("Hälsobesök", RowType.FREE_TEXT, "Utan anmärkning")]
    await handlers.list_notes(units, caller(), authz, student.id, folder.id, "")
    await handlers.get_student(units, caller(), authz, student.id, "")
    await handlers.write_note(units, caller(), authz, student.id, folder.id, None, rows, "")
    assert authz.open_while_asked == [0, 0, 0]
    assert logged(journal) == [
        ("read_notes", "allowed", 1),
        ("view_student", "allowed", 0),
        ("write_note", "allowed", 1),
    ]


async def test_no_unit_of_work_is_open_while_identity_is_asked():
    units = FakeUnitsOfWork()
    identity = FakeIdentity(units, {UNIT})
    new = handlers.NewStudent(UNIT, "201503122382", "Alva", "Andersson", protected_identity=False)
    student, _ = await handlers.create_student(units, caller(PermissionLevel.ADMIN), identity, new)
    assert identity.open_while_asked == [0]
    assert units.journal.students == [student]


def test_folder_names_are_open_to_every_member():
    assert handlers.list_folders.open_to_every_member
