"""Records' gRPC API."""

from elevhalsa.records.v1 import records_pb2 as pb
from elevhalsa.records.v1 import records_pb2_grpc

from services.common import clock
from services.common.admin_rights import Rights
from services.common.auth import current_caller
from services.common.convert import (
    date_from_proto,
    date_to_proto,
    optional_uuid,
    parse_id,
    parse_uuid,
    required_text,
)
from services.common.errors import InvalidArgument
from services.common.service import ServiceContext
from services.records.adapters.clients import ACTIONS, AuthzClient, IdentityClient
from services.records.adapters.orm import Folder, Student
from services.records.domain import post_its as post_it_rules
from services.records.domain.model import normalise_personnummer
from services.records.domain.school import check_contact
from services.records.entrypoints import school_protos as sp
from services.records.entrypoints import template_messages as tm
from services.records.entrypoints.case_type_servicer import CaseTypeServicer
from services.records.entrypoints.memory_note_servicer import MemoryNoteServicer
from services.records.entrypoints.notes_mapping import (
    NOTE_STATES,
    cursor_after,
    note_input,
    note_page,
    note_to_proto,
    to_value,
    version_to_proto,
)
from services.records.entrypoints.post_it_messages import post_it_to_proto
from services.records.service_layer import access_questions, handlers, note_reads, notes, post_its, school
from services.records.service_layer import templates as template_handlers
from services.records.service_layer.school import PlacementView, StudentView

MAX_ADDRESS_LENGTH = 1_000
MAX_POSITION = 10_000


class RecordsServicer(CaseTypeServicer, MemoryNoteServicer, records_pb2_grpc.RecordsServiceServicer):
    def __init__(self, ctx: ServiceContext, authz: AuthzClient, identity: IdentityClient, rights: Rights):
        self._units = ctx.unit_of_work
        self._authz = authz
        self._identity = identity
        self._rights = rights

    async def CreateFolder(self, request, context):
        name = required_text(request.name, "name")
        folder, token = await handlers.create_folder(
            self._units,
            current_caller(),
            self._rights,
            name,
            request.group_notes_allowed,
            token=request.consistency_token,
        )
        return pb.CreateFolderResponse(folder=folder_to_proto(folder), consistency_token=token)

    async def ListFolders(self, request, context):
        folders = await handlers.list_folders(self._units, current_caller())
        return pb.ListFoldersResponse(folders=[folder_to_proto(f) for f in folders])

    # Post-its

    async def CreatePostIt(self, request, context):
        return post_it_to_proto(await post_its.create_post_it(self._units, current_caller(), request.text))

    async def ListPostIts(self, request, context):
        page = post_it_rules.page(request.limit, request.cursor)
        found, cursor = await post_its.list_post_its(self._units, current_caller(), page)
        return pb.ListPostItsResponse(post_its=[post_it_to_proto(p) for p in found], next_cursor=cursor)

    async def GetPostIt(self, request, context):
        post_it_id = parse_id(request.post_it_id, "post_it_id", "post-it")
        return post_it_to_proto(await post_its.get_post_it(self._units, current_caller(), post_it_id))

    async def UpdatePostIt(self, request, context):
        post_it_id = parse_id(request.post_it_id, "post_it_id", "post-it")
        post_it = await post_its.update_post_it(self._units, current_caller(), post_it_id, request.text)
        return post_it_to_proto(post_it)

    async def DeletePostIt(self, request, context):
        post_it_id = parse_id(request.post_it_id, "post_it_id", "post-it")
        await post_its.delete_post_it(self._units, current_caller(), post_it_id)
        return pb.DeletePostItResponse()

    async def TransferPostIt(self, request, context):
        post_it_id = parse_id(request.post_it_id, "post_it_id", "post-it")
        user_id = parse_uuid(request.user_id, "user_id")
        await post_its.transfer_post_it(self._units, current_caller(), self._identity, post_it_id, user_id)
        return pb.TransferPostItResponse()

    # Note templates

    async def CreateNoteTemplate(self, request, context):
        drafts = [tm.row_draft(row) for row in request.rows]
        view, token = await template_handlers.create_template(
            self._units, current_caller(), self._rights, self._identity, request.name, drafts
        )
        return pb.CreateNoteTemplateResponse(template=tm.view_to_proto(view), consistency_token=token)

    async def ListNoteTemplates(self, request, context):
        found = await template_handlers.list_templates(self._units, current_caller(), request.include_retired)
        return pb.ListNoteTemplatesResponse(
            templates=[tm.template_to_proto(template, version.id) for template, version in found]
        )

    async def GetNoteTemplate(self, request, context):
        template_id = parse_id(request.template_id, "template_id", "note template")
        if request.version < 0:
            raise InvalidArgument("version is a number from 1", field="version")
        view = await template_handlers.get_template(
            self._units, current_caller(), template_id, request.version or None
        )
        return tm.view_to_proto(view)

    async def UpdateNoteTemplate(self, request, context):
        template_id = parse_id(request.template_id, "template_id", "note template")
        drafts = [tm.row_draft(row) for row in request.rows]
        view, token = await template_handlers.update_template(
            self._units, current_caller(), self._rights, self._identity, template_id, request.name, drafts
        )
        return pb.UpdateNoteTemplateResponse(template=tm.view_to_proto(view), consistency_token=token)

    async def RetireNoteTemplate(self, request, context):
        template_id = parse_id(request.template_id, "template_id", "note template")
        view, token = await template_handlers.retire_template(
            self._units, current_caller(), self._rights, self._identity, template_id
        )
        return pb.RetireNoteTemplateResponse(template=tm.view_to_proto(view), consistency_token=token)

    # Template menus

    async def CreateTemplateMenu(self, request, context):
        items = tm.menu_items(request.items)
        menu, token = await template_handlers.create_menu(
            self._units, current_caller(), self._rights, self._identity, request.name, items
        )
        return pb.CreateTemplateMenuResponse(menu=tm.menu_to_proto(menu), consistency_token=token)

    async def ListTemplateMenus(self, request, context):
        menus = await template_handlers.list_menus(self._units, current_caller())
        return pb.ListTemplateMenusResponse(menus=[tm.menu_to_proto(menu) for menu in menus])

    async def GetTemplateMenu(self, request, context):
        menu_id = parse_id(request.menu_id, "menu_id", "template menu")
        return tm.menu_to_proto(await template_handlers.get_menu(self._units, current_caller(), menu_id))

    async def UpdateTemplateMenu(self, request, context):
        menu_id = parse_id(request.menu_id, "menu_id", "template menu")
        items = tm.menu_items(request.items)
        menu, token = await template_handlers.update_menu(
            self._units, current_caller(), self._rights, self._identity, menu_id, request.name, items
        )
        return pb.UpdateTemplateMenuResponse(menu=tm.menu_to_proto(menu), consistency_token=token)

    # Address book and contact types

    async def ListAddressBook(self, request, context):
        entries = await template_handlers.list_address_book(
            self._units, current_caller(), request.include_inactive
        )
        return pb.ListAddressBookResponse(entries=[tm.address_entry_to_proto(e) for e in entries])

    async def CreateAddressBookEntry(self, request, context):
        entry, token = await template_handlers.create_address_entry(
            self._units, current_caller(), self._rights, address_fields(request)
        )
        return pb.AddressBookEntryResponse(entry=tm.address_entry_to_proto(entry), consistency_token=token)

    async def UpdateAddressBookEntry(self, request, context):
        entry_id = parse_id(request.entry_id, "entry_id", "address-book entry")
        entry, token = await template_handlers.update_address_entry(
            self._units, current_caller(), self._rights, entry_id, address_fields(request), request.active
        )
        return pb.AddressBookEntryResponse(entry=tm.address_entry_to_proto(entry), consistency_token=token)

    async def DeactivateAddressBookEntry(self, request, context):
        entry_id = parse_id(request.entry_id, "entry_id", "address-book entry")
        entry, token = await template_handlers.deactivate_address_entry(
            self._units, current_caller(), self._rights, entry_id
        )
        return pb.AddressBookEntryResponse(entry=tm.address_entry_to_proto(entry), consistency_token=token)

    async def ListContactTypes(self, request, context):
        found = await template_handlers.list_contact_types(
            self._units, current_caller(), request.include_inactive
        )
        return pb.ListContactTypesResponse(contact_types=[tm.contact_type_to_proto(c) for c in found])

    async def CreateContactType(self, request, context):
        name = required_text(request.name, "name")
        position = contact_type_position(request)
        contact_type, token = await template_handlers.create_contact_type(
            self._units, current_caller(), self._rights, name, position
        )
        return pb.ContactTypeResponse(
            contact_type=tm.contact_type_to_proto(contact_type), consistency_token=token
        )

    async def UpdateContactType(self, request, context):
        contact_type_id = parse_id(request.contact_type_id, "contact_type_id", "contact type")
        name = required_text(request.name, "name")
        contact_type, token = await template_handlers.update_contact_type(
            self._units,
            current_caller(),
            self._rights,
            contact_type_id,
            name,
            request.active,
            contact_type_position(request),
        )
        return pb.ContactTypeResponse(
            contact_type=tm.contact_type_to_proto(contact_type), consistency_token=token
        )

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
        student, token = await handlers.create_student(
            self._units, caller, self._rights, self._identity, new, token=request.consistency_token
        )
        shown = school.student_view(caller, student)
        return pb.CreateStudentResponse(student=view_to_proto(shown), consistency_token=token)

    async def GetStudent(self, request, context):
        student_id = parse_id(request.student_id, "student_id", "student")
        shown = await school.get_student(
            self._units, current_caller(), self._authz, student_id, request.consistency_token
        )
        return view_to_proto(shown)

    async def WhoCanSeeFolder(self, request, context):
        return await access_questions.who_can_see_folder(
            self._units,
            current_caller(),
            self._authz,
            parse_id(request.student_id, "student_id", "student"),
            parse_id(request.folder_id, "folder_id", "folder"),
            request.consistency_token,
        )

    async def ExplainStudentAccess(self, request, context):
        return await access_questions.explain_access(
            self._units,
            current_caller(),
            self._authz,
            parse_id(request.student_id, "student_id", "student"),
            optional_uuid(request.user_id, "user_id"),
            parse_id(request.folder_id, "folder_id", "folder") if request.folder_id else None,
            action_name(request.action),
            request.consistency_token,
        )

    async def UpdateStudent(self, request, context):
        student_id = parse_id(request.student_id, "student_id", "student")
        changes = sp.student_changes(request)
        return view_to_proto(
            await school.update_student(
                self._units,
                current_caller(),
                self._rights,
                student_id,
                changes,
                token=request.consistency_token,
            )
        )

    async def SetStudentArchived(self, request, context):
        student_id = parse_id(request.student_id, "student_id", "student")
        shown = await school.set_student_archived(
            self._units,
            current_caller(),
            self._rights,
            student_id,
            request.archived,
            token=request.consistency_token,
        )
        return view_to_proto(shown)

    async def PlaceStudent(self, request, context):
        placement = await school.place_student(
            self._units,
            current_caller(),
            self._rights,
            parse_id(request.student_id, "student_id", "student"),
            parse_id(request.school_year_id, "school_year_id", "school year"),
            optional_uuid(request.class_id, "class_id"),
            sp.grade_of(request.grade, request.HasField("grade")),
            token=request.consistency_token,
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
            self._rights,
            required_text(request.name, "name"),
            date_from_proto(request.starts_on, "starts_on"),
            date_from_proto(request.ends_on, "ends_on"),
            token=request.consistency_token,
        )
        return sp.school_year_to_proto(year)

    async def GetCurrentSchoolYear(self, request, context):
        return sp.school_year_to_proto(await school.current_school_year(self._units, current_caller()))

    async def CreateClass(self, request, context):
        school_class = await school.create_class(
            self._units,
            current_caller(),
            self._rights,
            self._identity,
            parse_uuid(request.unit_id, "unit_id"),
            parse_uuid(request.school_year_id, "school_year_id"),
            required_text(request.name, "name"),
            token=request.consistency_token,
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
            self._rights,
            self._identity,
            parse_uuid(request.unit_id, "unit_id"),
            required_text(request.name, "name"),
            required_text(request.external_id, "external_id") if request.external_id else None,
            token=request.consistency_token,
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
            self._units, current_caller(), self._rights, group_id, student_id, token=request.consistency_token
        )
        return sp.group_to_proto(group, members)

    async def RemoveStudentFromGroup(self, request, context):
        group_id, student_id = group_member_ids(request)
        group, members = await school.remove_student_from_group(
            self._units, current_caller(), self._rights, group_id, student_id, token=request.consistency_token
        )
        return sp.group_to_proto(group, members)

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
        views, last = await note_reads.list_notes(
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
        view = await note_reads.get_note(
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
        note, versions = await note_reads.note_history(
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
        count, breaks = await note_reads.verify_folder(
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

    async def ListWritableTemplates(self, request, context):
        menus, any_template = await note_reads.writable_templates(
            self._units,
            current_caller(),
            self._authz,
            parse_id(request.student_id, "student_id", "student"),
            parse_id(request.folder_id, "folder_id", "folder"),
            request.consistency_token,
        )
        return pb.WritableTemplates(menus=[tm.menu_to_proto(m) for m in menus], any_template=any_template)

    async def PrefillNote(self, request, context):
        prefilled = await note_reads.prefill_note(
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


def address_fields(request) -> template_handlers.AddressFields:
    """An entry's name (required), organisation (optional) and address (required, several lines)."""
    organisation = request.organisation.strip()
    return template_handlers.AddressFields(
        name=required_text(request.name, "name"),
        organisation=required_text(organisation, "organisation") if organisation else "",
        address=required_text(request.address, "address", max_length=MAX_ADDRESS_LENGTH),
    )


def contact_type_position(request) -> int | None:
    if not request.HasField("position"):
        return None
    if not 0 <= request.position <= MAX_POSITION:
        raise InvalidArgument(f"position is a number from 0 to {MAX_POSITION}", field="position")
    return request.position


def folder_to_proto(folder: Folder) -> pb.Folder:
    return pb.Folder(id=str(folder.id), name=folder.name, group_notes_allowed=folder.group_notes_allowed)


ACTION_NAMES = {number: name for name, number in ACTIONS.items()}


def action_name(number: int) -> str:
    """ "read", "write" or "sign" for an authz action number."""
    try:
        return ACTION_NAMES[number]
    except KeyError:
        raise InvalidArgument("action must be one of: read, write, sign", field="action") from None


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
