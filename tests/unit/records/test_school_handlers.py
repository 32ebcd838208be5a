"""The unit's student list: one authz question per page, asked with no unit of work open, and a refusal that
names no student leaves nothing in the access log."""

import uuid

import pytest

from services.common.auth import PermissionLevel
from services.common.errors import PermissionDenied
from services.records.adapters.orm import Student
from services.records.domain.school import decode_cursor
from services.records.service_layer import school
from tests.unit.records.fakes import (
    ORG,
    FakeAuthz,
    FakeIdentity,
    FakeRepository,
    FakeUnitOfWork,
    FakeUnitsOfWork,
    Journal,
    caller,
)

UNIT = uuid.UUID("00000000-0000-0000-0000-0000000000c1")


class ListingRepository(FakeRepository):
    """What the list reads: no school year is stored, so no student has a class or grade."""

    async def school_year_on(self, day):
        return None

    async def unit_students(self, unit_id, *, school_year_id, class_id, name, archived, after, limit):
        students = sorted(
            (s for s in self._visible(Student) if s.unit_id == unit_id and s.archived == archived),
            key=lambda s: (s.last_name, s.first_name, s.id),
        )
        if after:
            students = [
                s
                for s in students
                if (s.last_name, s.first_name, s.id) > (after.last_name, after.first_name, after.id)
            ]
        return [(s, None, None) for s in students[:limit]]


class ListingUnitOfWork(FakeUnitOfWork):
    def repository(self, org_id) -> ListingRepository:
        assert self.units.open, "the repository is used outside its unit of work"
        return ListingRepository(self, uuid.UUID(str(org_id)))


class ListingUnits(FakeUnitsOfWork):
    def __call__(self) -> ListingUnitOfWork:
        return ListingUnitOfWork(self)


def a_unit_with(count: int) -> ListingUnits:
    students = [
        Student(
            id=uuid.uuid4(),
            org_id=ORG,
            unit_id=UNIT,
            first_name=f"Elev {i:03d}",
            last_name="Berg",
            archived=False,
        )
        for i in range(count)
    ]
    return ListingUnits(Journal(students=students))


async def pages(units, who, authz, limit: int) -> list[list[str]]:
    identity = FakeIdentity(units, {UNIT})
    found, cursor = [], ""
    while True:
        query = school.StudentListQuery(unit_id=UNIT, limit=limit, cursor=cursor)
        page = await school.list_unit_students(units, who, authz, identity, query, "")
        found.append([item.student.first_name for item in page.items])
        if not page.next_cursor:
            return found
        cursor = page.next_cursor


async def test_a_member_with_access_is_asked_about_once_per_page_with_no_unit_of_work_open():
    units = a_unit_with(120)
    authz = FakeAuthz(units, readable=True)
    found = await pages(units, caller(), authz, limit=50)
    assert [len(page) for page in found] == [50, 50, 20]
    assert sum(found, []) == [f"Elev {i:03d}" for i in range(120)]
    assert authz.open_while_asked == [0, 0, 0]


async def test_admins_and_subadmins_list_without_asking_authz():
    for level in (PermissionLevel.ADMIN, PermissionLevel.SUBADMIN):
        units = a_unit_with(3)
        authz = FakeAuthz(units, readable=False)
        assert await pages(units, caller(level), authz, limit=2) == [["Elev 000", "Elev 001"], ["Elev 002"]]
        assert authz.open_while_asked == []


async def test_a_refused_list_names_no_student_and_leaves_nothing_in_the_access_log():
    units = a_unit_with(3)
    with pytest.raises(PermissionDenied):
        await pages(units, caller(), FakeAuthz(units, readable=False), limit=50)
    assert units.journal.access_log == [] and units.commits == 0


async def test_the_cursor_of_a_page_is_the_key_of_its_last_student():
    units = a_unit_with(3)
    query = school.StudentListQuery(unit_id=UNIT, limit=2)
    page = await school.list_unit_students(
        units, caller(PermissionLevel.ADMIN), FakeAuthz(units), FakeIdentity(units, {UNIT}), query, ""
    )
    last = page.items[-1].student
    assert decode_cursor(page.next_cursor).id == last.id
    query = school.StudentListQuery(unit_id=UNIT, limit=3)
    whole = await school.list_unit_students(
        units, caller(PermissionLevel.ADMIN), FakeAuthz(units), FakeIdentity(units, {UNIT}), query, ""
    )
    assert whole.next_cursor is None and len(whole.items) == 3
