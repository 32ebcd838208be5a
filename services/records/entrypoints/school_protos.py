"""Records' school objects as protobuf messages, and the parts of school requests that need parsing."""

from elevhalsa.records.v1 import records_pb2 as pb
from google.protobuf.wrappers_pb2 import Int32Value

from services.common import clock
from services.common.convert import date_to_proto, optional_uuid, parse_id, required_text
from services.records.adapters.orm import SchoolClass, SchoolYear, Student, StudentGroup
from services.records.domain.school import CONTACT_TEXTS, Contact
from services.records.service_layer.school import (
    PlacementView,
    StudentListItem,
    StudentListQuery,
    StudentPage,
)

# Text fields of UpdateStudentRequest that are set only when present (proto3 `optional`).
NAME_FIELDS = ("first_name", "last_name")
FLAG_FIELDS = ("never_archive", "protected_identity")


def contact_to_proto(student: Student) -> pb.StudentContact:
    return pb.StudentContact(
        street_address=student.street_address or "",
        postcode=student.postcode or "",
        city=student.city or "",
        country=student.country or "",
        phone_numbers=list(student.phone_numbers or ()),
        email=student.email or "",
    )


def contact_from_proto(contact: pb.StudentContact) -> Contact:
    """The contact data of a request as given (checked by the domain)."""
    return Contact(
        street_address=contact.street_address,
        postcode=contact.postcode,
        city=contact.city,
        country=contact.country,
        phone_numbers=tuple(contact.phone_numbers),
        email=contact.email,
    )


def student_changes(request: pb.UpdateStudentRequest) -> dict[str, object]:
    """The fields an update sets; names are required text, contact fields are checked by the domain."""
    changes: dict[str, object] = {}
    for name in NAME_FIELDS:
        if request.HasField(name):
            changes[name] = required_text(getattr(request, name), name)
    for name in (*CONTACT_TEXTS, "email", *FLAG_FIELDS):
        if request.HasField(name):
            changes[name] = getattr(request, name)
    if request.HasField("phone_numbers"):
        changes["phone_numbers"] = list(request.phone_numbers.numbers)
    return changes


def grade_of(value: Int32Value, present: bool) -> int | None:
    return value.value if present else None


def grade_to_proto(grade: int | None) -> Int32Value | None:
    return Int32Value(value=grade) if grade is not None else None


def school_year_to_proto(year: SchoolYear) -> pb.SchoolYear:
    today = clock.today()
    return pb.SchoolYear(
        id=str(year.id),
        name=year.name,
        starts_on=date_to_proto(year.starts_on),
        ends_on=date_to_proto(year.ends_on),
        current=year.starts_on <= today <= year.ends_on,
    )


def class_ref(school_class: SchoolClass | None) -> pb.ClassRef | None:
    return pb.ClassRef(id=str(school_class.id), name=school_class.name) if school_class else None


def class_to_proto(school_class: SchoolClass) -> pb.SchoolClass:
    return pb.SchoolClass(
        id=str(school_class.id),
        unit_id=str(school_class.unit_id),
        school_year_id=str(school_class.school_year_id),
        name=school_class.name,
    )


def placement_to_proto(placement: PlacementView) -> pb.Placement:
    return pb.Placement(
        school_year=school_year_to_proto(placement.school_year),
        school_class=class_ref(placement.school_class),
        grade=grade_to_proto(placement.grade),
    )


def group_to_proto(group: StudentGroup, members: list[Student] | None = None) -> pb.StudentGroup:
    return pb.StudentGroup(
        id=str(group.id),
        unit_id=str(group.unit_id),
        name=group.name,
        external_id=group.external_id or "",
        members=[
            pb.GroupMember(id=str(s.id), first_name=s.first_name, last_name=s.last_name)
            for s in members or ()
        ],
    )


def list_query(request: pb.ListUnitStudentsRequest) -> StudentListQuery:
    return StudentListQuery(
        unit_id=parse_id(request.unit_id, "unit_id", "unit"),
        school_year_id=optional_uuid(request.school_year_id, "school_year_id"),
        class_id=optional_uuid(request.class_id, "class_id"),
        name=request.name,
        archived=request.archived,
        cursor=request.cursor,
        limit=request.limit,
    )


def list_item_to_proto(item: StudentListItem) -> pb.UnitStudent:
    student = item.student
    return pb.UnitStudent(
        id=str(student.id),
        first_name=student.first_name,
        last_name=student.last_name,
        personnummer=student.personnummer,
        school_class=class_ref(item.school_class),
        grade=grade_to_proto(item.grade),
        archived=student.archived,
        protected_identity=student.protected_identity,
    )


def page_to_proto(page: StudentPage) -> pb.ListUnitStudentsResponse:
    return pb.ListUnitStudentsResponse(
        students=[list_item_to_proto(item) for item in page.items],
        next_cursor=page.next_cursor or "",
        school_year_id=str(page.school_year.id) if page.school_year else "",
    )
