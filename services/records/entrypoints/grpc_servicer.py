"""Records' gRPC API."""

from elevhalsa.records.v1 import records_pb2 as pb
from elevhalsa.records.v1 import records_pb2_grpc

from services.common import clock
from services.common.auth import current_caller
from services.common.convert import (
    date_from_proto,
    date_to_proto,
    parse_id,
    parse_uuid,
    required_text,
    timestamp,
)
from services.common.enums import ProtoEnum
from services.common.service import ServiceContext
from services.records.adapters.clients import AuthzClient, IdentityClient
from services.records.adapters.orm import Folder, Note, NoteRow, Student
from services.records.domain.model import NoteRowValue, NoteStatus, RowType, normalise_personnummer
from services.records.service_layer import handlers

ROW_TYPES = ProtoEnum(pb.RowType, RowType)
NOTE_STATUSES = ProtoEnum(pb.NoteStatus, NoteStatus)


class RecordsServicer(records_pb2_grpc.RecordsServiceServicer):
    def __init__(self, ctx: ServiceContext, authz: AuthzClient, identity: IdentityClient):
        self._units = ctx.unit_of_work
        self._authz = authz
        self._identity = identity

    async def CreateFolder(self, request, context):
        name = required_text(request.name, "name")
        folder, token = await handlers.create_folder(
            self._units, current_caller(), name, request.group_notes_allowed
        )
        return pb.CreateFolderResponse(folder=folder_to_proto(folder), consistency_token=token)

    async def ListFolders(self, request, context):
        folders = await handlers.list_folders(self._units, current_caller())
        return pb.ListFoldersResponse(folders=[folder_to_proto(f) for f in folders])

    async def CreateStudent(self, request, context):
        new = handlers.NewStudent(
            unit_id=parse_uuid(request.unit_id, "unit_id"),
            personnummer=normalise_personnummer(request.personnummer, today=clock.today()),
            first_name=required_text(request.first_name, "first_name"),
            last_name=required_text(request.last_name, "last_name"),
            protected_identity=request.protected_identity,
        )
        student, token = await handlers.create_student(self._units, current_caller(), self._identity, new)
        return pb.CreateStudentResponse(student=student_to_proto(student), consistency_token=token)

    async def GetStudent(self, request, context):
        student_id = parse_id(request.student_id, "student_id", "student")
        student = await handlers.get_student(
            self._units, current_caller(), self._authz, student_id, request.consistency_token
        )
        return student_to_proto(student)

    async def WriteNote(self, request, context):
        student_id = parse_id(request.student_id, "student_id", "student")
        folder_id = parse_id(request.folder_id, "folder_id", "folder")
        rows = [row_value(row, index) for index, row in enumerate(request.rows)]
        event_date = date_from_proto(request.event_date, "event_date")
        note, note_rows, token = await handlers.write_note(
            self._units,
            current_caller(),
            self._authz,
            student_id,
            folder_id,
            event_date,
            rows,
            request.consistency_token,
        )
        return pb.WriteNoteResponse(note=note_to_proto(note, note_rows), consistency_token=token)

    async def ListNotes(self, request, context):
        student_id = parse_id(request.student_id, "student_id", "student")
        folder_id = parse_id(request.folder_id, "folder_id", "folder")
        notes = await handlers.list_notes(
            self._units, current_caller(), self._authz, student_id, folder_id, request.consistency_token
        )
        return pb.ListNotesResponse(notes=[note_to_proto(note, rows) for note, rows in notes])


def row_value(row: pb.NoteRow, index: int) -> NoteRowValue:
    row_type = ROW_TYPES.to_domain(row.row_type, f"rows[{index}].row_type", default=RowType.FREE_TEXT)
    return NoteRowValue(heading=row.heading, row_type=row_type, text=row.text)


def folder_to_proto(folder: Folder) -> pb.Folder:
    return pb.Folder(id=str(folder.id), name=folder.name, group_notes_allowed=folder.group_notes_allowed)


def student_to_proto(student: Student) -> pb.Student:
    return pb.Student(
        id=str(student.id),
        unit_id=str(student.unit_id),
        personnummer=student.personnummer,
        first_name=student.first_name,
        last_name=student.last_name,
        protected_identity=student.protected_identity,
        archived=student.archived,
    )


def note_to_proto(note: Note, rows: list[NoteRow]) -> pb.Note:
    return pb.Note(
        id=str(note.id),
        student_id=str(note.student_id),
        folder_id=str(note.folder_id),
        author_id=str(note.author_id),
        created_at=timestamp(note.created_at),
        event_date=date_to_proto(note.event_date),
        status=NOTE_STATUSES.number(note.status),
        case_id=str(note.case_id) if note.case_id else "",
        rows=[
            pb.NoteRow(heading=r.heading, row_type=ROW_TYPES.number(r.row_type), text=r.value.get("text", ""))
            for r in rows
        ],
    )
