"""Who can see a student's folder, and why a user may or may not, over fakes: authz answers on the student's
unit with no unit of work open, every answer and every refusal is a row of the access log, and a student or
folder of another organisation is not found before authz is asked."""

import uuid

import pytest

from services.common.auth import PermissionLevel
from services.common.errors import NotFound, PermissionDenied
from services.records.adapters.orm import Folder, Student
from services.records.service_layer import access_questions
from tests.unit.records.fakes import ORG, FakeAuthz, FakeUnitsOfWork, Journal, caller

UNIT = uuid.UUID("00000000-0000-0000-0000-0000000000b1")
OTHER_ORG = uuid.UUID("00000000-0000-0000-0000-00000000000b")


def school() -> tuple[FakeUnitsOfWork, Student, Folder]:
    student = Student(id=uuid.uuid4(), org_id=ORG, unit_id=UNIT, first_name="Alva", last_name="Nilsson")
    folder = Folder(id=uuid.uuid4(), org_id=ORG, name="Medicinsk journal", group_notes_allowed=False)
    return FakeUnitsOfWork(Journal(students=[student], folders=[folder])), student, folder


def logged(units: FakeUnitsOfWork) -> list[tuple[str, str, uuid.UUID | None]]:
    return [(e.action, e.outcome, e.folder_id) for e in units.journal.access_log]


async def test_who_can_see_a_folder_is_asked_on_the_students_unit_and_logged():
    units, student, folder = school()
    who, authz = caller(), FakeAuthz(units)
    authz.asker = who.user_id
    answer = await access_questions.who_can_see_folder(units, who, authz, student.id, folder.id, "")
    assert [seer.user_id for seer in answer.seers] == [who.user_id]
    assert logged(units) == [("who_can_see", "allowed", folder.id)]
    assert units.journal.access_log[0].unit_id == UNIT
    assert authz.open_while_asked == [0]


async def test_a_refused_who_can_see_is_logged_as_denied_with_authzs_reason():
    units, student, folder = school()
    with pytest.raises(PermissionDenied) as refused:
        await access_questions.who_can_see_folder(
            units, caller(), FakeAuthz(units, readable=False), student.id, folder.id, ""
        )
    assert "administrators and readers" in refused.value.message
    assert logged(units) == [("who_can_see", "denied", folder.id)]


async def test_another_organisations_student_or_an_unknown_folder_is_not_found_and_authz_is_not_asked():
    units, student, folder = school()
    theirs = Student(id=uuid.uuid4(), org_id=OTHER_ORG, unit_id=UNIT, first_name="E", last_name="F")
    units.journal.students.append(theirs)
    authz = FakeAuthz(units)
    with pytest.raises(NotFound):
        await access_questions.who_can_see_folder(units, caller(), authz, theirs.id, folder.id, "")
    with pytest.raises(NotFound):
        await access_questions.who_can_see_folder(units, caller(), authz, student.id, uuid.uuid4(), "")
    assert authz.open_while_asked == [] and logged(units) == []


async def test_an_explanation_is_logged_with_whose_access_and_the_decision():
    units, student, folder = school()
    who, authz = caller(), FakeAuthz(units, readable=True, writable=False)
    authz.asker = who.user_id
    answer = await access_questions.explain_access(
        units, who, authz, student.id, None, folder.id, "write", ""
    )
    assert (answer.allowed, answer.user_id) == (False, who.user_id)
    [entry] = units.journal.access_log
    assert (entry.action, entry.outcome) == ("explain_access", "allowed")
    assert entry.reason == "explained own write access: denied, no grant to write"


async def test_explaining_someone_elses_access_without_the_right_is_refused_and_logged():
    units, student, _ = school()
    who, authz = caller(PermissionLevel.ADMIN), FakeAuthz(units, readable=False)
    authz.asker = who.user_id
    with pytest.raises(PermissionDenied):
        await access_questions.explain_access(units, who, authz, student.id, uuid.uuid4(), None, "read", "")
    assert logged(units) == [("explain_access", "denied", None)]
