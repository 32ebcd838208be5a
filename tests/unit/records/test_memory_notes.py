"""Memory notes over fakes: only the author ever reaches one, only where the organisation and the author's own flag
allow them, only about a student the author may see; a delete leaves no row, and the access log says that the
author accessed the student, never what they wrote."""

import uuid

import pytest

from services.common.auth import PermissionLevel
from services.common.errors import InvalidFields, NotFound, PermissionDenied
from services.records.adapters.orm import Student
from services.records.domain.memory_notes import check_enabled
from services.records.service_layer import memory_notes
from tests.unit.records.fakes import ORG, FakeAuthz, FakeIdentity, FakeUnitsOfWork, Journal, caller

UNIT = uuid.UUID("00000000-0000-0000-0000-0000000000b1")
OTHER_ORG = uuid.UUID("00000000-0000-0000-0000-00000000000b")


def test_memory_notes_need_the_organisations_setting_and_the_users_flag_and_say_which_is_off():
    check_enabled(True, True)
    with pytest.raises(PermissionDenied) as organisation_off:
        check_enabled(False, True)
    assert "memory_notes_allowed" in organisation_off.value.message
    with pytest.raises(PermissionDenied) as user_off:
        check_enabled(True, False)
    assert "use_memory_notes" in user_off.value.message


class School:
    """One student; memory notes allowed and on for the users given; authz lets everyone read unless told."""

    def __init__(self, *users, allowed: bool = True, readable: bool = True):
        self.student = Student(
            id=uuid.uuid4(), org_id=ORG, unit_id=UNIT, first_name="Alva", last_name="Nilsson"
        )
        self.units = FakeUnitsOfWork(Journal(students=[self.student]))
        self.authz = FakeAuthz(self.units, readable=readable)
        self.identity = FakeIdentity(
            self.units, memory_notes_allowed=allowed, memory_note_users=[u.user_id for u in users]
        )

    def create(self, who, text: str, student_id: uuid.UUID | None = None):
        return memory_notes.create_memory_note(
            self.units, who, self.authz, self.identity, student_id or self.student.id, text, ""
        )

    def list_of(self, who):
        return memory_notes.list_memory_notes(self.units, who, self.authz, self.identity, self.student.id, "")

    def update(self, who, note_id, text: str):
        return memory_notes.update_memory_note(
            self.units, who, self.authz, self.identity, self.student.id, note_id, text, ""
        )

    def delete(self, who, note_id):
        return memory_notes.delete_memory_note(
            self.units, who, self.authz, self.identity, self.student.id, note_id, ""
        )

    def logged(self) -> list[tuple[str, str]]:
        return [(e.action, e.outcome) for e in self.units.journal.access_log]


async def test_the_author_writes_lists_edits_and_deletes_a_memory_note_leaving_no_row():
    me = caller()
    school = School(me)
    first = await school.create(me, "Verkade orolig")
    second = await school.create(me, "Ring mamma\ttisdag")
    assert [n.text for n in await school.list_of(me)] == ["Ring mamma\ttisdag", "Verkade orolig"]
    edited = await school.update(me, first.id, "Verkade glad")
    assert edited.text == "Verkade glad" and edited.updated_at >= edited.created_at
    await school.delete(me, second.id)
    await school.delete(me, first.id)
    assert school.units.journal.memory_notes == []
    assert await school.list_of(me) == []


async def test_nobody_else_reaches_a_memory_note_not_even_an_administrator():
    me, colleague, admin = caller(), caller(), caller(PermissionLevel.ADMIN)
    school = School(me, colleague, admin)
    mine = await school.create(me, "Mitt")
    for other in (colleague, admin):
        assert await school.list_of(other) == []
        for change in (school.update(other, mine.id, "Ändrat"), school.delete(other, mine.id)):
            with pytest.raises(NotFound) as missing:
                await change
            assert missing.value.field == "memory_note_id"
    assert [n.text for n in school.units.journal.memory_notes] == ["Mitt"]


async def test_memory_notes_are_refused_while_the_organisation_or_the_user_has_them_off():
    me, flag_off = caller(), caller()
    for school, who, named in (
        (School(me, allowed=False), me, "memory_notes_allowed"),
        (School(me), flag_off, "use_memory_notes"),
    ):
        with pytest.raises(PermissionDenied) as refused:
            await school.create(who, "Något")
        assert named in refused.value.message
        with pytest.raises(PermissionDenied):
            await school.list_of(who)
        assert school.units.journal.memory_notes == []


async def test_a_user_who_may_not_see_the_student_is_refused_and_the_attempt_logged():
    me = caller()
    school = School(me, readable=False)
    with pytest.raises(PermissionDenied):
        await school.create(me, "Något")
    assert school.units.journal.memory_notes == []
    assert school.logged() == [("memory_notes", "denied")]


async def test_another_organisations_student_is_not_found_before_anyone_is_asked():
    me = caller()
    school = School(me)
    theirs = Student(id=uuid.uuid4(), org_id=OTHER_ORG, unit_id=UNIT, first_name="E", last_name="F")
    school.units.journal.students.append(theirs)
    with pytest.raises(NotFound) as missing:
        await school.create(me, "Något", theirs.id)
    assert missing.value.field == "student_id"
    assert school.authz.open_while_asked == [] and school.identity.open_while_asked == []


async def test_each_use_logs_the_student_access_never_the_text_and_asks_with_no_unit_of_work_open():
    me = caller()
    school = School(me)
    note = await school.create(me, "Hemligt innehåll")
    await school.list_of(me)
    await school.update(me, note.id, "Annat")
    await school.delete(me, note.id)
    assert school.logged() == [("memory_notes", "allowed")] * 4
    assert all(e.student_id == school.student.id for e in school.units.journal.access_log)
    assert not any("Hemligt" in str(vars(e)) for e in school.units.journal.access_log)
    assert set(school.authz.open_while_asked) == {0} and set(school.identity.open_while_asked) == {0}


@pytest.mark.parametrize("text", ["", "   ", "x" * 10_001, "nul\x00"])
async def test_a_bad_text_is_refused_naming_the_text(text):
    me = caller()
    school = School(me)
    with pytest.raises(InvalidFields) as refused:
        await school.create(me, text)
    assert refused.value.field == "text"
    assert school.units.journal.memory_notes == []
