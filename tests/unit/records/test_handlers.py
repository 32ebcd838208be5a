"""Records' use cases: every read and refusal is logged, authz decides what is shown, and no unit of work is open
while another service is asked."""

import uuid

import pytest

from services.common.auth import PermissionLevel
from services.common.errors import AlreadyExists
from services.records.adapters.orm import Folder, Student
from services.records.service_layer import handlers
from tests.unit.records.fakes import ORG, FakeAuthz, FakeIdentity, FakeUnitsOfWork, Journal, caller

UNIT = uuid.UUID("00000000-0000-0000-0000-0000000000b1")


def a_journal() -> tuple[Journal, Student, Folder]:
    """A student at UNIT and a medical journal."""
    student = Student(
        id=uuid.uuid4(), org_id=ORG, unit_id=UNIT, personnummer="201503122382", first_name="Alva"
    )
    folder = Folder(id=uuid.uuid4(), org_id=ORG, name="Medicinsk journal", group_notes_allowed=False)
    return Journal(students=[student], folders=[folder]), student, folder


def logged(journal: Journal) -> list[tuple]:
    return [(e.action, e.outcome, e.note_count) for e in journal.access_log]


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
    journal, student, _ = a_journal()
    units = FakeUnitsOfWork(journal)
    authz = FakeAuthz(units)
    await handlers.get_student(units, caller(), authz, student.id, "")
    assert authz.open_while_asked == [0]
    assert logged(journal) == [("view_student", "allowed", 0)]


async def test_no_unit_of_work_is_open_while_identity_is_asked():
    units = FakeUnitsOfWork()
    identity = FakeIdentity(units, {UNIT})
    new = handlers.NewStudent(UNIT, "201503122382", "Alva", "Andersson", protected_identity=False)
    student, _ = await handlers.create_student(units, caller(PermissionLevel.ADMIN), identity, new)
    assert identity.open_while_asked == [0]
    assert units.journal.students == [student]


def test_folder_names_are_open_to_every_member():
    assert handlers.list_folders.open_to_every_member
