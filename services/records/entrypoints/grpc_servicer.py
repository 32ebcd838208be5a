"""Records' gRPC API."""

from elevhalsa.records.v1 import records_pb2 as pb
from elevhalsa.records.v1 import records_pb2_grpc

from services.common import clock
from services.common.auth import current_caller
from services.common.convert import (
    date_from_proto,
    date_to_proto,
    optional_uuid,
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
from services.records.domain.school import check_contact
from services.records.entrypoints import school_protos as sp
from services.records.service_layer import handlers, school
from services.records.service_layer.school import PlacementView, StudentView

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
            contact=check_contact(sp.contact_from_proto(request.contact)),
            never_archive=request.never_archive,
        )
        caller = current_caller()
        student, token = await handlers.create_student(self._units, caller, self._identity, new)
        shown = school.student_view(caller, student)
        return pb.CreateStudentResponse(student=view_to_proto(shown), consistency_token=token)

    async def GetStudent(self, request, context):
        student_id = parse_id(request.student_id, "student_id", "student")
        shown = await school.get_student(
            self._units, current_caller(), self._authz, student_id, request.consistency_token
        )
        return view_to_proto(shown)

    async def UpdateStudent(self, request, context):
        student_id = parse_id(request.student_id, "student_id", "student")
        changes = sp.student_changes(request)
        return view_to_proto(await school.update_student(self._units, current_caller(), student_id, changes))

    async def SetStudentArchived(self, request, context):
        student_id = parse_id(request.student_id, "student_id", "student")
        shown = await school.set_student_archived(self._units, current_caller(), student_id, request.archived)
        return view_to_proto(shown)

    async def PlaceStudent(self, request, context):
        placement = await school.place_student(
            self._units,
            current_caller(),
            parse_id(request.student_id, "student_id", "student"),
            parse_id(request.school_year_id, "school_year_id", "school year"),
            optional_uuid(request.class_id, "class_id"),
            sp.grade_of(request.grade, request.HasField("grade")),
        )
        return sp.placement_to_proto(placement)

    async def ListUnitStudents(self, request, context):
        page = await school.list_unit_students(
            self._units,
            current_caller(),
            self._authz,
            self._identity,
            sp.list_query(request),
            request.consistency_token,
        )
        return sp.page_to_proto(page)

    async def ListSchoolYears(self, request, context):
        years = await school.list_school_years(self._units, current_caller())
        return pb.ListSchoolYearsResponse(school_years=[sp.school_year_to_proto(y) for y in years])

    async def CreateSchoolYear(self, request, context):
        year = await school.create_school_year(
            self._units,
            current_caller(),
            required_text(request.name, "name"),
            date_from_proto(request.starts_on, "starts_on"),
            date_from_proto(request.ends_on, "ends_on"),
        )
        return sp.school_year_to_proto(year)

    async def GetCurrentSchoolYear(self, request, context):
        return sp.school_year_to_proto(await school.current_school_year(self._units, current_caller()))

    async def CreateClass(self, request, context):
        school_class = await school.create_class(
            self._units,
            current_caller(),
            self._identity,
            parse_uuid(request.unit_id, "unit_id"),
            parse_uuid(request.school_year_id, "school_year_id"),
            required_text(request.name, "name"),
        )
        return sp.class_to_proto(school_class)

    async def ListClasses(self, request, context):
        classes = await school.list_classes(
            self._units,
            current_caller(),
            self._identity,
            optional_uuid(request.unit_id, "unit_id"),
            optional_uuid(request.school_year_id, "school_year_id"),
        )
        return pb.ListClassesResponse(classes=[sp.class_to_proto(c) for c in classes])

    async def GetClass(self, request, context):
        class_id = parse_id(request.class_id, "class_id", "class")
        return sp.class_to_proto(await school.get_class(self._units, current_caller(), class_id))

    async def CreateStudentGroup(self, request, context):
        group = await school.create_student_group(
            self._units,
            current_caller(),
            self._identity,
            parse_uuid(request.unit_id, "unit_id"),
            required_text(request.name, "name"),
            required_text(request.external_id, "external_id") if request.external_id else None,
        )
        return sp.group_to_proto(group)

    async def ListStudentGroups(self, request, context):
        unit_id = optional_uuid(request.unit_id, "unit_id")
        groups = await school.list_student_groups(self._units, current_caller(), self._identity, unit_id)
        return pb.ListStudentGroupsResponse(student_groups=[sp.group_to_proto(g) for g in groups])

    async def GetStudentGroup(self, request, context):
        group_id = parse_id(request.group_id, "group_id", "student group")
        group, members = await school.get_student_group(
            self._units, current_caller(), self._authz, group_id, request.consistency_token
        )
        return sp.group_to_proto(group, members)

    async def AddStudentToGroup(self, request, context):
        group_id, student_id = group_member_ids(request)
        group, members = await school.add_student_to_group(
            self._units, current_caller(), group_id, student_id
        )
        return sp.group_to_proto(group, members)

    async def RemoveStudentFromGroup(self, request, context):
        group_id, student_id = group_member_ids(request)
        group, members = await school.remove_student_from_group(
            self._units, current_caller(), group_id, student_id
        )
        return sp.group_to_proto(group, members)

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


def group_member_ids(request: pb.StudentGroupMemberRequest):
    return (
        parse_id(request.group_id, "group_id", "student group"),
        parse_id(request.student_id, "student_id", "student"),
    )


def student_to_proto(
    student: Student, *, contact_visible: bool = False, placements: list[PlacementView] | None = None
) -> pb.Student:
    """The student; contact data only when the caller may see it, placements when given."""
    return pb.Student(
        id=str(student.id),
        unit_id=str(student.unit_id),
        personnummer=student.personnummer,
        first_name=student.first_name,
        last_name=student.last_name,
        protected_identity=student.protected_identity,
        archived=student.archived,
        contact=sp.contact_to_proto(student) if contact_visible else None,
        never_archive=bool(student.never_archive),
        placements=[sp.placement_to_proto(p) for p in placements or ()],
    )


def view_to_proto(shown: StudentView) -> pb.Student:
    return student_to_proto(shown.student, contact_visible=shown.contact_visible, placements=shown.placements)


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
