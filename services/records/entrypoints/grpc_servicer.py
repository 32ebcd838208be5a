"""Records' gRPC API."""

from elevhalsa.records.v1 import records_pb2 as pb
from elevhalsa.records.v1 import records_pb2_grpc

from services.common import clock
from services.common.auth import current_caller
from services.common.convert import (
    date_to_proto,
    parse_id,
    parse_uuid,
    required_text,
)
from services.common.service import ServiceContext
from services.records.adapters.clients import AuthzClient, IdentityClient
from services.records.adapters.orm import Folder, Student
from services.records.domain.model import normalise_personnummer
from services.records.entrypoints.notes_mapping import (
    NOTE_STATES,
    cursor_after,
    note_input,
    note_page,
    note_to_proto,
    to_value,
    version_to_proto,
)
from services.records.service_layer import handlers, notes


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
        view, token = await notes.write_note(
            self._units,
            current_caller(),
            self._authz,
            parse_id(request.student_id, "student_id", "student"),
            parse_id(request.folder_id, "folder_id", "folder"),
            parse_id(request.template_id, "template_id", "template"),
            note_input(request.content),
            request.consistency_token,
        )
        return pb.NoteResponse(note=note_to_proto(view), consistency_token=token)

    async def ListNotes(self, request, context):
        student_id = parse_id(request.student_id, "student_id", "student")
        folder_id = parse_id(request.folder_id, "folder_id", "folder")
        views, last = await notes.list_notes(
            self._units,
            current_caller(),
            self._authz,
            student_id,
            folder_id,
            note_page(request),
            request.consistency_token,
        )
        return pb.ListNotesResponse(
            notes=[note_to_proto(view) for view in views], next_cursor=cursor_after(last) if last else ""
        )

    async def GetNote(self, request, context):
        note_id = parse_id(request.note_id, "note_id", "note")
        view = await notes.get_note(
            self._units, current_caller(), self._authz, note_id, request.consistency_token
        )
        return pb.NoteResponse(note=note_to_proto(view))

    async def UpdateNote(self, request, context):
        view, token = await notes.update_note(
            self._units,
            current_caller(),
            self._authz,
            parse_id(request.note_id, "note_id", "note"),
            note_input(request.content),
            request.expected_revision or None,
            request.consistency_token,
        )
        return pb.NoteResponse(note=note_to_proto(view), consistency_token=token)

    async def DeleteNote(self, request, context):
        deleted, token = await notes.delete_note(
            self._units,
            current_caller(),
            self._authz,
            parse_id(request.note_id, "note_id", "note"),
            request.expected_revision or None,
            request.consistency_token,
        )
        return pb.DeleteNoteResponse(note_deleted=deleted, consistency_token=token)

    async def SignNote(self, request, context):
        view, token = await notes.sign_note(
            self._units,
            current_caller(),
            self._authz,
            parse_id(request.note_id, "note_id", "note"),
            request.expected_revision or None,
            request.consistency_token,
        )
        return pb.NoteResponse(note=note_to_proto(view), consistency_token=token)

    async def AmendNote(self, request, context):
        view, token = await notes.amend_note(
            self._units,
            current_caller(),
            self._authz,
            self._identity,
            parse_id(request.note_id, "note_id", "note"),
            note_input(request.content) if request.HasField("content") else None,
            request.expected_revision or None,
            request.consistency_token,
        )
        return pb.NoteResponse(note=note_to_proto(view), consistency_token=token)

    async def GetNoteHistory(self, request, context):
        note_id = parse_id(request.note_id, "note_id", "note")
        note, versions = await notes.note_history(
            self._units, current_caller(), self._authz, note_id, request.consistency_token
        )
        return pb.NoteHistory(
            note_id=str(note.id),
            state=NOTE_STATES.number(note.state),
            versions=[version_to_proto(v) for v in versions],
        )

    async def LinkNotes(self, request, context):
        view, token = await notes.link_notes(
            self._units,
            current_caller(),
            self._authz,
            parse_id(request.note_id, "note_id", "note"),
            parse_id(request.follows_up, "follows_up", "note"),
            request.consistency_token,
        )
        return pb.NoteResponse(note=note_to_proto(view), consistency_token=token)

    async def VerifyFolder(self, request, context):
        count, breaks = await notes.verify_folder(
            self._units,
            current_caller(),
            self._authz,
            parse_id(request.student_id, "student_id", "student"),
            parse_id(request.folder_id, "folder_id", "folder"),
            request.consistency_token,
        )
        return pb.FolderVerification(
            intact=not breaks,
            signed_versions=count,
            breaks=[
                pb.ChainBreak(note_id=b.note_id, version=b.version, position=b.position, problem=b.problem)
                for b in breaks
            ],
        )

    async def PrefillNote(self, request, context):
        prefilled = await notes.prefill_note(
            self._units,
            current_caller(),
            self._authz,
            parse_id(request.student_id, "student_id", "student"),
            parse_id(request.folder_id, "folder_id", "folder"),
            parse_id(request.template_id, "template_id", "template"),
            request.consistency_token,
        )
        return pb.PrefillNoteResponse(
            rows=[
                pb.PrefilledRow(
                    row_id=p.row_id,
                    value=to_value(p.value),
                    source_note_id=str(p.source.id),
                    source_event_date=date_to_proto(p.source.event_date),
                )
                for p in prefilled
            ]
        )


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
