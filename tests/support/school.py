"""School years, classes, groups, placements and named students, made over gRPC as an organisation's admin."""

from datetime import date

from elevhalsa.records.v1 import records_pb2 as pb
from google.protobuf.wrappers_pb2 import Int32Value

from services.common.convert import date_to_proto
from services.common.grpc_client import call
from tests.support.orgs import Org, valid_personnummer

__all__ = ["named_student", "place", "school_class", "school_year", "student_group"]


async def school_year(org: Org, name: str, starts_on: date | None = None, ends_on: date | None = None):
    request = pb.CreateSchoolYearRequest(
        name=name, starts_on=date_to_proto(starts_on), ends_on=date_to_proto(ends_on)
    )
    return await call(org.records.CreateSchoolYear, request, token=org.admin)


async def school_class(org: Org, unit_id: str, school_year_id: str, name: str):
    request = pb.CreateClassRequest(unit_id=unit_id, school_year_id=school_year_id, name=name)
    return await call(org.records.CreateClass, request, token=org.admin)


async def student_group(org: Org, unit_id: str, name: str, external_id: str = ""):
    request = pb.CreateStudentGroupRequest(unit_id=unit_id, name=name, external_id=external_id)
    return await call(org.records.CreateStudentGroup, request, token=org.admin)


async def place(
    org: Org, student_id: str, school_year_id: str, class_id: str = "", grade: int | None = None, token=None
):
    request = pb.PlaceStudentRequest(
        student_id=student_id,
        school_year_id=school_year_id,
        class_id=class_id,
        grade=Int32Value(value=grade) if grade is not None else None,
    )
    return await call(org.records.PlaceStudent, request, token=token or org.admin)


async def named_student(
    org: Org,
    unit_id: str,
    first_name: str,
    last_name: str,
    serial: int,
    *,
    protected_identity: bool = False,
    contact: pb.StudentContact | None = None,
):
    request = pb.CreateStudentRequest(
        unit_id=unit_id,
        personnummer=valid_personnummer(serial),
        first_name=first_name,
        last_name=last_name,
        protected_identity=protected_identity,
        contact=contact,
    )
    return (await org.as_admin(org.records.CreateStudent, request)).student
