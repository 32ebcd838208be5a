"""School years, classes, student groups, placements, student administration and a unit's students (records)."""

import uuid
from typing import Annotated

from elevhalsa.records.v1 import records_pb2 as pb
from fastapi import APIRouter, Query, status
from google.protobuf.wrappers_pb2 import Int32Value
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from gateway.routes.common import BackendsDep, CallerDep, ConsistencyDep, Day, Name, Strict, Uuid
from gateway.routes.records import Student
from gateway.routes.school_models import ClassRef, ContactText, Email, PhoneNumbers, Placement, SchoolYear
from services.common.convert import date_to_proto
from services.records.domain.school import CONTACT_TEXTS, MAX_GRADE, MAX_PAGE, MAX_SEARCH, MIN_GRADE

router = APIRouter(prefix="/api/v1", tags=["school"])

Grade = Annotated[
    int, Field(ge=MIN_GRADE, le=MAX_GRADE, description="0 förskoleklass, 1–9 grundskola, 10–13 gymnasium")
]
MAX_CURSOR = 2048


# --- school years -----------------------------------------------------------------------------------------


class SchoolYearIn(Strict):
    name: Annotated[str, StringConstraints(pattern=r"^[0-9]{4}/[0-9]{2}$")] = Field(
        description='"YYYY/YY" with consecutive years, e.g. "2026/27".'
    )
    starts_on: Day | None = Field(None, description="With ends_on; default 1 July of the first year.")
    ends_on: Day | None = Field(None, description="With starts_on; default 30 June of the second year.")


class SchoolYears(BaseModel):
    school_years: list[SchoolYear]


@router.get("/school-years", response_model=SchoolYears)
async def list_school_years(caller: CallerDep, services: BackendsDep):
    """Every school year of the organisation, newest first."""
    reply = await services.call(services.records.ListSchoolYears, pb.ListSchoolYearsRequest(), caller)
    return SchoolYears(school_years=[SchoolYear.of(y) for y in reply.school_years])


@router.post("/school-years", status_code=status.HTTP_201_CREATED, response_model=SchoolYear)
async def create_school_year(
    body: SchoolYearIn, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep
):
    request = pb.CreateSchoolYearRequest(
        name=body.name,
        starts_on=date_to_proto(body.starts_on),
        ends_on=date_to_proto(body.ends_on),
        consistency_token=consistency,
    )
    return SchoolYear.of(await services.call(services.records.CreateSchoolYear, request, caller))


@router.get("/school-years/current", response_model=SchoolYear)
async def current_school_year(caller: CallerDep, services: BackendsDep):
    """The school year containing today; the standard one (1 July–30 June) is created if none is stored."""
    request = pb.GetCurrentSchoolYearRequest()
    return SchoolYear.of(await services.call(services.records.GetCurrentSchoolYear, request, caller))


# --- classes ----------------------------------------------------------------------------------------------


class ClassIn(Strict):
    unit_id: Uuid
    school_year_id: Uuid
    name: Name


class SchoolClass(BaseModel):
    id: str
    unit_id: str
    school_year_id: str
    name: str

    @classmethod
    def of(cls, c: pb.SchoolClass) -> "SchoolClass":
        return cls(id=c.id, unit_id=c.unit_id, school_year_id=c.school_year_id, name=c.name)


class SchoolClasses(BaseModel):
    classes: list[SchoolClass]


@router.post("/classes", status_code=status.HTTP_201_CREATED, response_model=SchoolClass)
async def create_class(body: ClassIn, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep):
    request = pb.CreateClassRequest(
        unit_id=str(body.unit_id),
        school_year_id=str(body.school_year_id),
        name=body.name,
        consistency_token=consistency,
    )
    return SchoolClass.of(await services.call(services.records.CreateClass, request, caller))


@router.get("/classes", response_model=SchoolClasses)
async def list_classes(
    caller: CallerDep,
    services: BackendsDep,
    unit_id: uuid.UUID | None = None,
    school_year_id: uuid.UUID | None = None,
):
    """Classes, newest school year first, then by unit and name."""
    request = pb.ListClassesRequest(unit_id=str(unit_id or ""), school_year_id=str(school_year_id or ""))
    reply = await services.call(services.records.ListClasses, request, caller)
    return SchoolClasses(classes=[SchoolClass.of(c) for c in reply.classes])


@router.get("/classes/{class_id}", response_model=SchoolClass)
async def get_class(class_id: str, caller: CallerDep, services: BackendsDep):
    request = pb.GetClassRequest(class_id=class_id)
    return SchoolClass.of(await services.call(services.records.GetClass, request, caller))


# --- student groups ---------------------------------------------------------------------------------------


class StudentGroupIn(Strict):
    unit_id: Uuid
    name: Name
    external_id: Name | None = Field(None, description="The group's id in the source system; unique.")


class StudentGroup(BaseModel):
    id: str
    unit_id: str
    name: str
    external_id: str | None

    @classmethod
    def fields_of(cls, g: pb.StudentGroup) -> dict:
        return {"id": g.id, "unit_id": g.unit_id, "name": g.name, "external_id": g.external_id or None}


class GroupMember(BaseModel):
    id: str
    first_name: str
    last_name: str


class StudentGroupWithMembers(StudentGroup):
    members: list[GroupMember]

    @classmethod
    def of(cls, g: pb.StudentGroup) -> "StudentGroupWithMembers":
        members = [GroupMember(id=m.id, first_name=m.first_name, last_name=m.last_name) for m in g.members]
        return cls(**StudentGroup.fields_of(g), members=members)


class StudentGroups(BaseModel):
    student_groups: list[StudentGroup]


@router.post("/student-groups", status_code=status.HTTP_201_CREATED, response_model=StudentGroupWithMembers)
async def create_student_group(
    body: StudentGroupIn, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep
):
    request = pb.CreateStudentGroupRequest(
        unit_id=str(body.unit_id),
        name=body.name,
        external_id=body.external_id or "",
        consistency_token=consistency,
    )
    return StudentGroupWithMembers.of(
        await services.call(services.records.CreateStudentGroup, request, caller)
    )


@router.get("/student-groups", response_model=StudentGroups)
async def list_student_groups(caller: CallerDep, services: BackendsDep, unit_id: uuid.UUID | None = None):
    """Student groups by name, without their members."""
    request = pb.ListStudentGroupsRequest(unit_id=str(unit_id or ""))
    reply = await services.call(services.records.ListStudentGroups, request, caller)
    return StudentGroups(
        student_groups=[StudentGroup(**StudentGroup.fields_of(g)) for g in reply.student_groups]
    )


@router.get("/student-groups/{group_id}", response_model=StudentGroupWithMembers)
async def get_student_group(
    group_id: str, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep
):
    """The group with its members: for admins and subadmins, or callers with read access on its unit."""
    request = pb.GetStudentGroupRequest(group_id=group_id, consistency_token=consistency)
    return StudentGroupWithMembers.of(await services.call(services.records.GetStudentGroup, request, caller))


MEMBER_PATH = "/student-groups/{group_id}/students/{student_id}"


def member_request(group_id: str, student_id: str, consistency: str) -> pb.StudentGroupMemberRequest:
    return pb.StudentGroupMemberRequest(
        group_id=group_id, student_id=student_id, consistency_token=consistency
    )


@router.put(MEMBER_PATH, response_model=StudentGroupWithMembers)
async def add_student_to_group(
    group_id: str, student_id: str, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep
):
    """Make a student of the group's unit a member (a member stays one)."""
    request = member_request(group_id, student_id, consistency)
    return StudentGroupWithMembers.of(
        await services.call(services.records.AddStudentToGroup, request, caller)
    )


@router.delete(MEMBER_PATH, response_model=StudentGroupWithMembers)
async def remove_student_from_group(
    group_id: str, student_id: str, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep
):
    """The student is no longer a member (whether or not they were)."""
    request = member_request(group_id, student_id, consistency)
    return StudentGroupWithMembers.of(
        await services.call(services.records.RemoveStudentFromGroup, request, caller)
    )


# --- placements and student administration ----------------------------------------------------------------


class PlacementIn(Strict):
    class_id: Uuid | None = Field(None, description="A class of this school year at the student's unit.")
    grade: Grade | None = None


@router.put("/students/{student_id}/placements/{school_year_id}", response_model=Placement)
async def place_student(
    student_id: str,
    school_year_id: str,
    body: PlacementIn,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
):
    """Set the student's class and grade in the school year; other years' placements stay. Both null removes
    the placement."""
    request = pb.PlaceStudentRequest(
        student_id=student_id,
        school_year_id=school_year_id,
        class_id=str(body.class_id or ""),
        grade=Int32Value(value=body.grade) if body.grade is not None else None,
        consistency_token=consistency,
    )
    return Placement.of(await services.call(services.records.PlaceStudent, request, caller))


class StudentChanges(Strict):
    """Only the fields given change; null clears a contact field."""

    first_name: Name = None  # type: ignore[assignment]
    last_name: Name = None  # type: ignore[assignment]
    street_address: ContactText | None = None
    postcode: ContactText | None = None
    city: ContactText | None = None
    country: ContactText | None = None
    phone_numbers: PhoneNumbers | None = None
    email: Email | None = None
    never_archive: bool = None  # type: ignore[assignment]
    protected_identity: bool = None  # type: ignore[assignment]


def update_request(student_id: str, body: StudentChanges, consistency: str) -> pb.UpdateStudentRequest:
    """Only the fields the body has are set in the request."""
    request = pb.UpdateStudentRequest(student_id=student_id, consistency_token=consistency)
    for name in body.model_fields_set:
        value = getattr(body, name)
        if name == "phone_numbers":
            request.phone_numbers.numbers.extend(value or [])
        elif name in (*CONTACT_TEXTS, "email"):
            setattr(request, name, value or "")
        else:
            setattr(request, name, value)
    return request


@router.patch("/students/{student_id}", response_model=Student)
async def update_student(
    student_id: str,
    body: StudentChanges,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
):
    """Change a student's names, contact data and flags (the students module: admins and subadmins by
    default). Logged."""
    request = update_request(student_id, body, consistency)
    reply = await services.call(services.records.UpdateStudent, request, caller)
    return Student.of(reply)


@router.post("/students/{student_id}/archive", response_model=Student)
async def archive_student(
    student_id: str, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep
):
    request = pb.SetStudentArchivedRequest(
        student_id=student_id, archived=True, consistency_token=consistency
    )
    return Student.of(await services.call(services.records.SetStudentArchived, request, caller))


@router.post("/students/{student_id}/unarchive", response_model=Student)
async def unarchive_student(
    student_id: str, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep
):
    request = pb.SetStudentArchivedRequest(
        student_id=student_id, archived=False, consistency_token=consistency
    )
    return Student.of(await services.call(services.records.SetStudentArchived, request, caller))


# --- a unit's students ------------------------------------------------------------------------------------


class UnitStudent(BaseModel):
    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True)

    id: str
    first_name: str
    last_name: str
    personnummer: str
    school_class: ClassRef | None = Field(alias="class")
    grade: int | None
    archived: bool
    protected_identity: bool

    @classmethod
    def of(cls, s: pb.UnitStudent) -> "UnitStudent":
        return cls(
            id=s.id,
            first_name=s.first_name,
            last_name=s.last_name,
            personnummer=s.personnummer,
            school_class=ClassRef.of(s.school_class, s.HasField("school_class")),
            grade=s.grade.value if s.HasField("grade") else None,
            archived=s.archived,
            protected_identity=s.protected_identity,
        )


class UnitStudents(BaseModel):
    students: list[UnitStudent]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
    school_year_id: str | None = Field(description="The school year of the classes and grades; null if none.")


@router.get("/units/{unit_id}/students", response_model=UnitStudents)
async def list_unit_students(
    unit_id: str,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
    school_year_id: Annotated[
        uuid.UUID | None, Query(description="Default: the current school year.")
    ] = None,
    class_id: uuid.UUID | None = None,
    name: Annotated[
        str | None, Query(max_length=MAX_SEARCH, description="Part of the first or last name.")
    ] = None,
    archived: Annotated[bool, Query(description="true: only archived students.")] = False,
    cursor: Annotated[str | None, Query(max_length=MAX_CURSOR)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
):
    """A page of the unit's students by last name, first name: for admins and subadmins, or callers with read
    access on the unit (403 otherwise; list pages are not written to the access log)."""
    request = pb.ListUnitStudentsRequest(
        unit_id=unit_id,
        school_year_id=str(school_year_id or ""),
        class_id=str(class_id or ""),
        name=name or "",
        archived=archived,
        cursor=cursor or "",
        limit=limit,
        consistency_token=consistency,
    )
    reply = await services.call(services.records.ListUnitStudents, request, caller)
    return UnitStudents(
        students=[UnitStudent.of(s) for s in reply.students],
        next_cursor=reply.next_cursor or None,
        school_year_id=reply.school_year_id or None,
    )
