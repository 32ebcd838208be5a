"""Records' school use cases: school years, classes, student groups, placements, student administration and
the unit's student list.

As everywhere in records, no transaction is open while identity or authz answers."""

import uuid
from dataclasses import dataclass, field
from datetime import date

from services.common import clock
from services.common.auth import Caller
from services.common.errors import AlreadyExists, Conflict, InvalidArgument, PermissionDenied
from services.common.repository import open_to_every_member
from services.records.adapters.clients import AuthzClient, IdentityClient
from services.records.adapters.orm import (
    Placement,
    SchoolClass,
    SchoolYear,
    Student,
    StudentGroup,
    StudentGroupMember,
)
from services.records.domain.model import AccessOutcome
from services.records.domain.school import (
    StudentAction,
    StudentKey,
    check_contact_changes,
    check_grade,
    check_search,
    check_student_change,
    contact_visible,
    decode_cursor,
    encode_cursor,
    may_list_students,
    page_limit,
    school_year_span,
    standard_school_year,
)
from services.records.service_layer import handlers
from services.records.service_layer.handlers import STUDENT_ADMINS, UnitsOfWork, access_entry, repository

NOT_ALLOWED = "you do not have access to this unit's students"


@dataclass(frozen=True)
class PlacementView:
    school_year: SchoolYear
    school_class: SchoolClass | None
    grade: int | None


@dataclass(frozen=True)
class StudentView:
    """A student as the caller may see it: contact data only when `contact_visible`."""

    student: Student
    contact_visible: bool
    placements: list[PlacementView] = field(default_factory=list)


def student_view(
    caller: Caller, student: Student, placements: list[PlacementView] | None = None
) -> StudentView:
    """The student as the caller may see it."""
    visible = contact_visible(student.protected_identity, caller.permission_level)
    return StudentView(student, visible, placements or [])


# --- school years -----------------------------------------------------------------------------------------


@open_to_every_member("school years label every class and placement a member sees")
async def list_school_years(units: UnitsOfWork, caller: Caller) -> list[SchoolYear]:
    async with units() as uow:
        return await repository(uow, caller).school_years()


async def create_school_year(
    units: UnitsOfWork, caller: Caller, name: str, starts_on: date | None, ends_on: date | None
) -> SchoolYear:
    """A school year with the standard dates of its name, or explicit ones; it must not overlap another."""
    caller.require_level(*STUDENT_ADMINS)
    span = school_year_span(name, starts_on, ends_on)
    async with units() as uow:
        repo = repository(uow, caller)
        year = SchoolYear(
            id=uuid.uuid4(),
            org_id=repo.org_id,
            name=span.name,
            starts_on=span.starts_on,
            ends_on=span.ends_on,
        )
        if not await repo.insert_or_skip(year):
            if await repo.school_year_named(span.name):
                raise AlreadyExists(f"a school year named {span.name!r} already exists", field="name")
            other = await repo.school_year_overlapping(span.starts_on, span.ends_on)
            raise Conflict(
                f"the dates overlap the school year {other.name if other else 'of another request'}",
                field="starts_on",
            )
        await uow.commit()
        return year


@open_to_every_member("the current school year is where every member's lists of classes start")
async def current_school_year(units: UnitsOfWork, caller: Caller, today: date | None = None) -> SchoolYear:
    """The school year containing today; if none is stored, the standard one is created (idempotent: of
    concurrent requests one inserts, the others find its row)."""
    today = today or clock.today()
    async with units() as uow:
        repo = repository(uow, caller)
        found = await repo.school_year_on(today)
        if found:
            return found
        span = standard_school_year(today)
        year = SchoolYear(
            id=uuid.uuid4(),
            org_id=repo.org_id,
            name=span.name,
            starts_on=span.starts_on,
            ends_on=span.ends_on,
        )
        inserted = await repo.insert_or_skip(year)
        await uow.commit()
        if inserted:
            return year
        found = await repo.school_year_on(today)
        if found:
            return found
    raise Conflict(
        f"no school year contains today, and the standard one ({span.name}) overlaps a stored school year",
        field="school_year",
    )


# --- classes ----------------------------------------------------------------------------------------------


async def create_class(
    units: UnitsOfWork,
    caller: Caller,
    identity: IdentityClient,
    unit_id: uuid.UUID,
    school_year_id: uuid.UUID,
    name: str,
) -> SchoolClass:
    caller.require_level(*STUDENT_ADMINS)
    await identity.require_unit(unit_id)
    async with units() as uow:
        repo = repository(uow, caller)
        await repo.school_year(school_year_id)
        school_class = SchoolClass(
            id=uuid.uuid4(), org_id=repo.org_id, unit_id=unit_id, school_year_id=school_year_id, name=name
        )
        if not await repo.insert_or_skip(school_class):
            raise AlreadyExists(
                f"the unit already has a class named {name!r} in this school year", field="name"
            )
        await uow.commit()
        return school_class


@open_to_every_member("class names are how members find students; the students themselves are not listed")
async def list_classes(
    units: UnitsOfWork,
    caller: Caller,
    identity: IdentityClient,
    unit_id: uuid.UUID | None,
    school_year_id: uuid.UUID | None,
) -> list[SchoolClass]:
    if unit_id:
        await identity.require_unit(unit_id)
    async with units() as uow:
        repo = repository(uow, caller)
        if school_year_id:
            await repo.school_year(school_year_id)
        return await repo.classes(unit_id, school_year_id)


@open_to_every_member("class names are how members find students; the students themselves are not listed")
async def get_class(units: UnitsOfWork, caller: Caller, class_id: uuid.UUID) -> SchoolClass:
    async with units() as uow:
        return await repository(uow, caller).school_class(class_id)


# --- student groups ---------------------------------------------------------------------------------------


async def create_student_group(
    units: UnitsOfWork,
    caller: Caller,
    identity: IdentityClient,
    unit_id: uuid.UUID,
    name: str,
    external_id: str | None,
) -> StudentGroup:
    caller.require_level(*STUDENT_ADMINS)
    await identity.require_unit(unit_id)
    async with units() as uow:
        repo = repository(uow, caller)
        group = StudentGroup(
            id=uuid.uuid4(), org_id=repo.org_id, unit_id=unit_id, name=name, external_id=external_id
        )
        if not await repo.insert_or_skip(group):
            raise AlreadyExists("a student group with this external id already exists", field="external_id")
        await uow.commit()
        return group


@open_to_every_member("group names are how members find students; the members are not listed")
async def list_student_groups(
    units: UnitsOfWork, caller: Caller, identity: IdentityClient, unit_id: uuid.UUID | None
) -> list[StudentGroup]:
    if unit_id:
        await identity.require_unit(unit_id)
    async with units() as uow:
        return await repository(uow, caller).student_groups(unit_id)


async def get_student_group(
    units: UnitsOfWork, caller: Caller, authz: AuthzClient, group_id: uuid.UUID, token: str
) -> tuple[StudentGroup, list[Student]]:
    """The group and its members, for those who may see the unit's students (one authz check)."""
    async with units() as uow:
        group = await repository(uow, caller).student_group(group_id)
    await require_unit_students(caller, authz, group.unit_id, token)
    async with units() as uow:
        return group, await repository(uow, caller).group_members(group.id)


async def add_student_to_group(
    units: UnitsOfWork, caller: Caller, group_id: uuid.UUID, student_id: uuid.UUID
) -> tuple[StudentGroup, list[Student]]:
    """Make the student (of the group's unit) a member; a member already is one."""
    caller.require_level(*STUDENT_ADMINS)
    async with units() as uow:
        repo = repository(uow, caller)
        group, student = await repo.student_group(group_id), await repo.student(student_id)
        if student.unit_id != group.unit_id:
            raise InvalidArgument("the student is not at the group's unit", field="student_id")
        member = StudentGroupMember(org_id=repo.org_id, group_id=group.id, student_id=student.id)
        await repo.insert_or_skip(member)
        members = await repo.group_members(group.id)
        await uow.commit()
        return group, members


async def remove_student_from_group(
    units: UnitsOfWork, caller: Caller, group_id: uuid.UUID, student_id: uuid.UUID
) -> tuple[StudentGroup, list[Student]]:
    """The student is no longer a member (whether or not they were)."""
    caller.require_level(*STUDENT_ADMINS)
    async with units() as uow:
        repo = repository(uow, caller)
        group, student = await repo.student_group(group_id), await repo.student(student_id)
        await repo.remove_group_member(group.id, student.id)
        members = await repo.group_members(group.id)
        await uow.commit()
        return group, members


# --- placements and student administration ----------------------------------------------------------------


async def place_student(
    units: UnitsOfWork,
    caller: Caller,
    student_id: uuid.UUID,
    school_year_id: uuid.UUID,
    class_id: uuid.UUID | None,
    grade: int | None,
) -> PlacementView:
    """Set the student's class and grade in one school year; other years' placements stay. Neither a class nor
    a grade removes the placement."""
    caller.require_level(*STUDENT_ADMINS)
    check_grade(grade)
    async with units() as uow:
        repo = repository(uow, caller)
        student, year = await repo.student(student_id), await repo.school_year(school_year_id)
        school_class = await repo.school_class(class_id) if class_id else None
        if school_class and school_class.school_year_id != year.id:
            raise InvalidArgument(
                f"the class is not a class of the school year {year.name}", field="class_id"
            )
        if school_class and school_class.unit_id != student.unit_id:
            raise InvalidArgument("the class is not at the student's unit", field="class_id")
        if school_class is None and grade is None:
            await repo.unplace(student.id, year.id)
        else:
            placement = Placement(
                org_id=repo.org_id,
                student_id=student.id,
                school_year_id=year.id,
                class_id=class_id,
                grade=grade,
            )
            await repo.place(placement)
        log_administration(repo, caller, student, StudentAction.PLACE_STUDENT)
        await uow.commit()
        return PlacementView(year, school_class, grade)


async def update_student(
    units: UnitsOfWork, caller: Caller, student_id: uuid.UUID, changes: dict[str, object]
) -> StudentView:
    """Change the given fields: names, contact data, never_archive, protected_identity."""
    caller.require_level(*STUDENT_ADMINS)
    checked = {**changes, **check_contact_changes(changes)}
    async with units() as uow:
        repo = repository(uow, caller)
        student = await repo.student(student_id)
        check_student_change(caller.permission_level, student.protected_identity, checked)
        for name, value in checked.items():
            setattr(student, name, list(value) if name == "phone_numbers" else value)
        log_administration(repo, caller, student, StudentAction.UPDATE_STUDENT)
        await uow.commit()
        return student_view(caller, student)


async def set_student_archived(
    units: UnitsOfWork, caller: Caller, student_id: uuid.UUID, archived: bool
) -> StudentView:
    caller.require_level(*STUDENT_ADMINS)
    async with units() as uow:
        repo = repository(uow, caller)
        student = await repo.student(student_id)
        student.archived = archived
        action = StudentAction.ARCHIVE_STUDENT if archived else StudentAction.UNARCHIVE_STUDENT
        log_administration(repo, caller, student, action)
        await uow.commit()
        return student_view(caller, student)


def log_administration(repo, caller: Caller, student: Student, action: StudentAction) -> None:
    """Student administration returns the student, so it is logged like a read, in the same transaction."""
    reason = f"permission level {caller.permission_level}"
    repo.append_to_access_log(access_entry(caller, student, None, action, AccessOutcome.ALLOWED, reason))


async def get_student(
    units: UnitsOfWork, caller: Caller, authz: AuthzClient, student_id: uuid.UUID, token: str
) -> StudentView:
    """The student (asked, refused and logged as `handlers.get_student` does) with their placements."""
    student = await handlers.get_student(units, caller, authz, student_id, token)
    async with units() as uow:
        rows = await repository(uow, caller).placements_of(student.id)
    return student_view(caller, student, [PlacementView(year, cls, p.grade) for p, year, cls in rows])


# --- the unit's student list ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudentListQuery:
    unit_id: uuid.UUID
    school_year_id: uuid.UUID | None = None
    class_id: uuid.UUID | None = None
    name: str = ""
    archived: bool = False
    cursor: str = ""
    limit: int = 0


@dataclass(frozen=True)
class StudentListItem:
    student: Student
    school_class: SchoolClass | None
    grade: int | None


@dataclass(frozen=True)
class StudentPage:
    items: list[StudentListItem]
    next_cursor: str | None
    school_year: SchoolYear | None


async def require_unit_students(caller: Caller, authz: AuthzClient, unit_id: uuid.UUID, token: str) -> None:
    """Admins and subadmins see a unit's students; others need read access to a folder on the unit (one
    authz LookupStudents).

    A refusal names no student, so it is not a row of the access log."""
    if may_list_students(caller.permission_level):
        return
    if unit_id not in await authz.visible_units(token):
        raise PermissionDenied(NOT_ALLOWED)


async def list_unit_students(
    units: UnitsOfWork,
    caller: Caller,
    authz: AuthzClient,
    identity: IdentityClient,
    query: StudentListQuery,
    token: str,
) -> StudentPage:
    """A page of the unit's students with their class and grade in the school year (default: the current one)."""
    limit, name = page_limit(query.limit), check_search(query.name)
    after = decode_cursor(query.cursor) if query.cursor else None
    await identity.require_unit(query.unit_id)
    await require_unit_students(caller, authz, query.unit_id, token)
    async with units() as uow:
        repo = repository(uow, caller)
        year = await school_year_of(repo, query)
        rows = await repo.unit_students(
            query.unit_id,
            school_year_id=year.id if year else None,
            class_id=query.class_id,
            name=name,
            archived=query.archived,
            after=after,
            limit=limit + 1,
        )
    items = [StudentListItem(student, cls, grade) for student, cls, grade in rows[:limit]]
    last = items[-1].student if len(rows) > limit else None
    next_cursor = encode_cursor(StudentKey(last.last_name, last.first_name, last.id)) if last else None
    return StudentPage(items, next_cursor, year)


async def school_year_of(repo, query: StudentListQuery) -> SchoolYear | None:
    """The school year a list is of: the one asked for, the class's, or the one containing today."""
    year = await repo.school_year(query.school_year_id) if query.school_year_id else None
    if query.class_id:
        school_class = await repo.school_class(query.class_id)
        if school_class.unit_id != query.unit_id:
            raise InvalidArgument("the class is not at this unit", field="class_id")
        if year and school_class.school_year_id != year.id:
            raise InvalidArgument(
                f"the class is not a class of the school year {year.name}", field="class_id"
            )
        year = year or await repo.school_year(school_class.school_year_id)
    return year or await repo.school_year_on(clock.today())
