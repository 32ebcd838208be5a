"""Folders and students (records)."""

from typing import Annotated

from elevhalsa.records.v1 import records_pb2 as pb
from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field, StringConstraints

from gateway.routes.common import (
    BackendsDep,
    CallerDep,
    ConsistencyDep,
    Name,
    Strict,
    Uuid,
    Written,
    with_token,
)
from gateway.routes.school_models import (
    ContactText,
    Email,
    PhoneNumbers,
    Placement,
    contact_fields,
    contact_to_proto,
)

router = APIRouter(prefix="/api/v1", tags=["records"])


class FolderIn(Strict):
    name: Name
    group_notes_allowed: bool = False


class Folder(BaseModel):
    id: str
    name: str
    group_notes_allowed: bool

    @classmethod
    def of(cls, folder: pb.Folder) -> "Folder":
        return cls(id=folder.id, name=folder.name, group_notes_allowed=folder.group_notes_allowed)


class FolderWritten(Folder, Written):
    pass


class Folders(BaseModel):
    folders: list[Folder]


@router.post("/folders", status_code=status.HTTP_201_CREATED, response_model=FolderWritten)
async def create_folder(
    body: FolderIn, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep, response: Response
):
    request = pb.CreateFolderRequest(
        name=body.name, group_notes_allowed=body.group_notes_allowed, consistency_token=consistency
    )
    reply = await services.call(services.records.CreateFolder, request, caller)
    return FolderWritten(
        **Folder.of(reply.folder).model_dump(),
        consistency_token=with_token(response, reply.consistency_token),
    )


@router.get("/folders", response_model=Folders)
async def list_folders(caller: CallerDep, services: BackendsDep):
    reply = await services.call(services.records.ListFolders, pb.ListFoldersRequest(), caller)
    return Folders(folders=[Folder.of(f) for f in reply.folders])


class StudentIn(Strict):
    unit_id: Uuid
    personnummer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=13)] = (
        Field(description="10 or 12 digits, with or without separator; samordningsnummer accepted.")
    )
    first_name: Name
    last_name: Name
    protected_identity: bool = False
    never_archive: bool = False
    street_address: ContactText | None = None
    postcode: ContactText | None = None
    city: ContactText | None = None
    country: ContactText | None = None
    phone_numbers: PhoneNumbers = []
    email: Email | None = None


class Student(BaseModel):
    id: str
    unit_id: str
    personnummer: str
    first_name: str
    last_name: str
    protected_identity: bool = Field(description="Contact data is shown to admins only.")
    archived: bool
    never_archive: bool = Field(description="Student imports never archive this student.")
    street_address: str | None
    postcode: str | None
    city: str | None
    country: str | None
    phone_numbers: list[str]
    email: str | None
    placements: list[Placement] = Field(
        description="Class and grade per school year, newest first (only in GET /students/{student_id})."
    )

    @classmethod
    def of(cls, s: pb.Student) -> "Student":
        return cls(
            id=s.id,
            unit_id=s.unit_id,
            personnummer=s.personnummer,
            first_name=s.first_name,
            last_name=s.last_name,
            protected_identity=s.protected_identity,
            archived=s.archived,
            never_archive=s.never_archive,
            placements=[Placement.of(p) for p in s.placements],
            **contact_fields(s),
        )


class StudentWritten(Student, Written):
    pass


@router.post("/students", status_code=status.HTTP_201_CREATED, response_model=StudentWritten)
async def create_student(
    body: StudentIn, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep, response: Response
):
    request = pb.CreateStudentRequest(
        consistency_token=consistency,
        unit_id=str(body.unit_id),
        personnummer=body.personnummer,
        first_name=body.first_name,
        last_name=body.last_name,
        protected_identity=body.protected_identity,
        never_archive=body.never_archive,
        contact=contact_to_proto(body),
    )
    reply = await services.call(services.records.CreateStudent, request, caller)
    return StudentWritten(
        **Student.of(reply.student).model_dump(),
        consistency_token=with_token(response, reply.consistency_token),
    )


@router.get("/students/{student_id}", response_model=Student)
async def get_student(student_id: str, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep):
    """The student, for callers with access to any folder of the student's unit. Logged."""
    request = pb.GetStudentRequest(student_id=student_id, consistency_token=consistency)
    return Student.of(await services.call(services.records.GetStudent, request, caller))
