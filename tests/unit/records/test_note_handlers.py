"""Notes' use cases over fakes: what authz leaves out is never shown, a refusal writes nothing but its log row, an
allowed change commits with its log row and its event, signing builds the folder's hash chain, a stale revision is
refused before anything is written, and no unit of work is open while authz or identity answers."""

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from services.common.auth import Caller, PermissionLevel
from services.common.errors import Conflict, InvalidArgument, NotFound, PermissionDenied, PreconditionFailed
from services.records.adapters.note_queries import NotePage
from services.records.adapters.orm import (
    AccessLogEntry,
    AddressBookEntry,
    ContactType,
    Folder,
    FolderChain,
    Note,
    NoteLink,
    NoteRow,
    NoteTemplate,
    NoteVersion,
    Student,
    TemplateMenu,
    TemplateVersion,
)
from services.records.domain.notes import ChainBreak, RowInput
from services.records.domain.rows import Prefill, RowType, TemplateRow, rows_to_json
from services.records.service_layer import note_access, note_reads, notes
from services.records.service_layer.note_access import NoteInput
from tests.unit.records.fakes import ORG, FakeAuthz, FakeIdentity, FakeUnitsOfWork, Journal, caller, columns

UNIT = uuid.UUID("00000000-0000-0000-0000-0000000000b1")
ASSESSMENT = "00000000-0000-4000-8000-0000000000a1"
LENGTH = "00000000-0000-4000-8000-0000000000a2"
RECIPIENT = "00000000-0000-4000-8000-0000000000a3"
EVENT_DAY = date(2026, 11, 2)
TABLES = (
    Student,
    Folder,
    Note,
    NoteVersion,
    NoteRow,
    NoteLink,
    FolderChain,
    NoteTemplate,
    TemplateVersion,
    TemplateMenu,
    AddressBookEntry,
    ContactType,
)


def row(row_id: str, heading: str, row_type: RowType, settings=None, prefill=None) -> TemplateRow:
    return TemplateRow(row_id, heading, row_type, settings or {}, False, "", prefill)


HEALTH_VISIT_ROWS = [
    row(ASSESSMENT, "Bedömning", RowType.FREE_TEXT, {"max_length": 20_000}),
    row(LENGTH, "Längd", RowType.LENGTH, {"min": 30.0, "max": 250.0}),
    row(RECIPIENT, "Remiss till", RowType.RECIPIENT),
]


def visit(assessment: str = "Mår bra", length: float = 132.5, day: date = EVENT_DAY, **header) -> NoteInput:
    """What a nurse writes at a health visit."""
    return NoteInput(
        event_date=day,
        responsible_user_id=header.get("responsible_user_id"),
        contact_type_id=header.get("contact_type_id"),
        rows=(RowInput(ASSESSMENT, assessment), RowInput(LENGTH, length), *header.get("rows", ())),
    )


class Scene:
    """A student at UNIT with a medical journal and a counsellor's file, the health-visit template, an address-book
    entry and a contact type; a nurse and a doctor who write and read."""

    def __init__(self):
        self.units = FakeUnitsOfWork()
        self.journal: Journal = self.units.journal
        self.nurse, self.doctor = caller(), caller()
        self.student = self.put(
            Student(
                id=uuid.uuid4(),
                org_id=ORG,
                unit_id=UNIT,
                personnummer="201503122382",
                first_name="Alva",
                last_name="Andersson",
            )
        )
        self.other_student = self.put(
            Student(
                id=uuid.uuid4(),
                org_id=ORG,
                unit_id=UNIT,
                personnummer="201407052396",
                first_name="Elis",
                last_name="Berg",
            )
        )
        self.folder = self.put(Folder(id=uuid.uuid4(), org_id=ORG, name="Medicinsk journal"))
        self.other_folder = self.put(Folder(id=uuid.uuid4(), org_id=ORG, name="Kuratorsakt"))
        self.health_visit = self.template("Hälsobesök", HEALTH_VISIT_ROWS)
        self.entry = self.put(
            AddressBookEntry(
                id=uuid.uuid4(), org_id=ORG, name="BUP", organisation="Region Uppsala", address="Box 1"
            )
        )
        self.visit_type = self.put(ContactType(id=uuid.uuid4(), org_id=ORG, name="Besök", position=0))

    def put(self, row):
        """A row as if committed long ago, with its defaults."""
        for key, value in {"active": True, "group_notes_allowed": False}.items():
            if hasattr(row, key) and getattr(row, key) is None:
                setattr(row, key, value)
        self.journal.table(type(row)).append(row)
        return row

    def template(self, name: str, rows: list[TemplateRow], *, status: str = "active") -> NoteTemplate:
        template = self.put(
            NoteTemplate(id=uuid.uuid4(), org_id=ORG, name=name, status=status, current_version=1)
        )
        self.put(
            TemplateVersion(
                id=uuid.uuid4(),
                org_id=ORG,
                template_id=template.id,
                version=1,
                name=name,
                rows=rows_to_json(rows),
                created_by=uuid.uuid4(),
                in_use=False,
            )
        )
        return template

    def authz(self, **answers) -> FakeAuthz:
        """An authz that lets everyone read, write and sign, unless told otherwise."""
        return FakeAuthz(self.units, **{"writable": True, "may_sign": True, **answers})

    async def write(self, content: NoteInput | None = None, *, by=None, folder=None, template=None) -> Note:
        view, _ = await notes.write_note(
            self.units,
            by or self.nurse,
            self.authz(),
            self.student.id,
            (folder or self.folder).id,
            (template or self.health_visit).id,
            content or visit(),
            "",
        )
        return view.note

    async def sign(self, note: Note, *, by=None) -> note_access.NoteView:
        view, _ = await notes.sign_note(self.units, by or self.nurse, self.authz(), note.id, None, "")
        return view

    async def signed(self, content: NoteInput | None = None, **where) -> Note:
        return (await self.sign(await self.write(content, **where))).note

    async def amend(self, note: Note, content: NoteInput | None = None, *, by=None) -> note_access.NoteView:
        view, _ = await notes.amend_note(
            self.units, by or self.doctor, self.authz(), FakeIdentity(self.units), note.id, content, None, ""
        )
        return view

    async def edit(self, note: Note, content: NoteInput, *, by=None) -> note_access.NoteView:
        view, _ = await notes.update_note(
            self.units, by or self.nurse, self.authz(), note.id, content, None, ""
        )
        return view

    # What the journal holds ------------------------------------------------------------------------------

    def note(self, note_id: uuid.UUID) -> Note:
        [found] = [n for n in self.journal.notes if n.id == note_id]
        return found

    def versions(self, note_id: uuid.UUID) -> list[NoteVersion]:
        return sorted(
            (v for v in self.journal.note_versions if v.note_id == note_id), key=lambda v: v.version
        )

    def values(self, note_id: uuid.UUID, version: int) -> dict[str, Any]:
        """The version's row values by heading."""
        rows = [r for r in self.journal.note_rows if (r.note_id, r.version) == (note_id, version)]
        return {r.heading: r.value for r in sorted(rows, key=lambda r: r.position)}

    def head(self, folder: Folder) -> FolderChain:
        [head] = [h for h in self.journal.folder_chains if h.folder_id == folder.id]
        return head

    def state(self) -> dict[str, list[dict]]:
        """Every table but the access log, as column values."""
        return {kind.__name__: [columns(r) for r in self.journal.table(kind)] for kind in TABLES}

    def logged(self, since: int = 0) -> list[tuple[str, str, int]]:
        return [(e.action, e.outcome, e.note_count) for e in self.journal.access_log[since:]]


def event_names(events: list) -> list[str]:
    return [type(event).__name__ for event in events]


# The use cases, each prepared and then run with the authz (and identity) under test ---------------------------


@dataclass(frozen=True)
class UseCase:
    name: str
    prepare: Callable[[Scene], Awaitable[Any]]
    run: Callable[..., Awaitable[Any]]
    action: str  # its access-log action
    refused_by: dict = field(default_factory=dict)  # authz answers that refuse it
    writes: frozenset[str] = frozenset()  # the tables and events its allowed commit touches


async def nothing(scene: Scene) -> None:
    return None


async def a_draft(scene: Scene) -> Note:
    return await scene.write()


async def an_edited_draft(scene: Scene) -> Note:
    note = await scene.write()
    return (await scene.edit(note, visit(assessment="Mår bra, sover dåligt"))).note


async def a_signed_note(scene: Scene) -> Note:
    return await scene.signed()


async def a_follow_up(scene: Scene) -> Note:
    """A draft that follows up a signed note."""
    first = await scene.signed()
    follow_up = await scene.write()
    await notes.link_notes(scene.units, scene.nurse, scene.authz(), follow_up.id, first.id, "")
    return follow_up


async def a_draft_and_a_signed_note(scene: Scene) -> tuple[Note, Note]:
    return await scene.write(), await scene.signed()


async def a_prefilled_template(scene: Scene) -> NoteTemplate:
    """A follow-up template whose length row starts from the latest signed health visit."""
    await scene.signed()
    prefilled = row(
        str(uuid.uuid4()),
        "Längd förra besöket",
        RowType.LENGTH,
        prefill=Prefill(str(scene.health_visit.id), LENGTH),
    )
    return scene.template("Uppföljning", [prefilled])


# Each runs one use case: (scene, what was prepared, the authz and identity asked, the expected revision).


def write(scene, _, authz, identity, expected=None):
    return notes.write_note(
        scene.units, scene.nurse, authz, scene.student.id, scene.folder.id, scene.health_visit.id, visit(), ""
    )


def edit(scene, note, authz, identity, expected=None):
    return notes.update_note(
        scene.units, scene.nurse, authz, note.id, visit(assessment="Ändrad"), expected, ""
    )


def delete(scene, note, authz, identity, expected=None):
    return notes.delete_note(scene.units, scene.nurse, authz, note.id, expected, "")


def sign(scene, note, authz, identity, expected=None):
    return notes.sign_note(scene.units, scene.doctor, authz, note.id, expected, "")


def amend(scene, note, authz, identity, expected=None):
    return notes.amend_note(scene.units, scene.doctor, authz, identity, note.id, None, expected, "")


def read(scene, note, authz, identity, expected=None):
    return note_reads.get_note(scene.units, scene.doctor, authz, note.id, "")


def list_folder(scene, _, authz, identity, expected=None):
    return note_reads.list_notes(
        scene.units, scene.doctor, authz, scene.student.id, scene.folder.id, NotePage(10), ""
    )


def history(scene, note, authz, identity, expected=None):
    return note_reads.note_history(scene.units, scene.doctor, authz, note.id, "")


def link(scene, pair, authz, identity, expected=None):
    follow_up, first = pair
    return notes.link_notes(scene.units, scene.nurse, authz, follow_up.id, first.id, "")


def verify(scene, _, authz, identity, expected=None):
    return note_reads.verify_folder(scene.units, scene.doctor, authz, scene.student.id, scene.folder.id, "")


def prefill(scene, template, authz, identity, expected=None):
    return note_reads.prefill_note(
        scene.units, scene.nurse, authz, scene.student.id, scene.folder.id, template.id, ""
    )


NO_WRITE, NO_READ = {"writable": False}, {"readable": False}
USE_CASES = [
    UseCase(
        "write",
        nothing,
        write,
        "write_note",
        NO_WRITE,
        frozenset({"Note", "NoteVersion", "NoteRow", "TemplateVersion", "AccessLogEntry", "NoteWritten"}),
    ),
    UseCase(
        "edit",
        a_draft,
        edit,
        "edit_note",
        NO_WRITE,
        frozenset({"Note", "NoteVersion", "NoteRow", "AccessLogEntry"}),
    ),
    UseCase(
        "delete",
        a_draft,
        delete,
        "delete_note",
        NO_WRITE,
        frozenset({"Note", "NoteVersion", "NoteRow", "AccessLogEntry"}),
    ),
    UseCase(
        "sign",
        a_draft,
        sign,
        "sign_note",
        {"may_sign": False},
        frozenset({"Note", "NoteVersion", "FolderChain", "AccessLogEntry", "NoteSigned"}),
    ),
    UseCase(
        "amend",
        a_signed_note,
        amend,
        "amend_note",
        NO_WRITE,
        frozenset({"Note", "NoteVersion", "NoteRow", "AccessLogEntry"}),
    ),
    UseCase("read", a_follow_up, read, "read_note", NO_READ),
    UseCase("list", a_draft, list_folder, "read_notes", NO_READ),
    UseCase("history", an_edited_draft, history, "read_history", NO_READ),
    UseCase(
        "link",
        a_draft_and_a_signed_note,
        link,
        "link_note",
        NO_WRITE,
        frozenset({"NoteLink", "AccessLogEntry"}),
    ),
    UseCase("verify", a_signed_note, verify, "verify_folder", NO_READ),
    UseCase("prefill", a_prefilled_template, prefill, "prefill_note"),
]
REFUSABLE = [case for case in USE_CASES if case.refused_by]
CHANGES = [case for case in USE_CASES if case.writes]


def named(cases: list[UseCase]):
    return pytest.mark.parametrize("case", cases, ids=[case.name for case in cases])


# No transaction is held while another service answers --------------------------------------------------------


@named(USE_CASES)
async def test_no_unit_of_work_is_open_while_authz_or_identity_is_asked(case: UseCase):
    scene = Scene()
    target = await case.prepare(scene)
    authz, identity = scene.authz(), FakeIdentity(scene.units)
    await case.run(scene, target, authz, identity)
    assert authz.open_while_asked and set(authz.open_while_asked) == {0}
    assert set(identity.open_while_asked) <= {0}
    assert scene.units.open == 0


async def test_amending_asks_identity_for_the_organisations_rules_with_no_unit_of_work_open():
    scene = Scene()
    note = await scene.signed()
    identity = FakeIdentity(scene.units)
    await amend(scene, note, scene.authz(), identity)
    assert identity.open_while_asked == [0]


# Refusals write nothing but their log row; an allowed change commits with its log row and event ----------------


@named(REFUSABLE)
async def test_a_refusal_writes_nothing_but_the_denied_access_log_row(case: UseCase):
    scene = Scene()
    target = await case.prepare(scene)
    before, logged, events = scene.state(), len(scene.journal.access_log), len(scene.journal.events)
    with pytest.raises(PermissionDenied):
        await case.run(scene, target, scene.authz(**case.refused_by), FakeIdentity(scene.units))
    assert scene.state() == before
    assert scene.logged(since=logged) == [(case.action, "denied", 0)]
    assert scene.journal.access_log[-1].student_id == scene.student.id
    assert scene.journal.events[events:] == []


@named(CHANGES)
async def test_an_allowed_change_commits_with_its_access_log_row_and_its_event_in_one_transaction(
    case: UseCase,
):
    scene = Scene()
    target = await case.prepare(scene)
    batches = len(scene.journal.batches)
    await case.run(scene, target, scene.authz(), FakeIdentity(scene.units))
    change, *reads = scene.journal.batches[batches:]
    assert change.kinds() == case.writes
    assert [(e.action, e.outcome) for e in change.added if isinstance(e, AccessLogEntry)] == [
        (case.action, "allowed")
    ]
    assert all(
        batch.kinds() == {"AccessLogEntry"} for batch in reads
    )  # what the answer shows is logged apart


async def test_a_written_note_is_a_draft_of_the_templates_current_version_announced_by_its_event():
    scene = Scene()
    view, token = await write(scene, None, scene.authz(), None)
    [version] = scene.journal.template_versions
    assert [n.id for n in scene.journal.notes] == [view.note.id]
    assert (view.note.state, view.note.event_date, view.note.template_id) == (
        "draft",
        EVENT_DAY,
        scene.health_visit.id,
    )
    assert [(v.version, v.status, v.template_version_id) for v in scene.versions(view.note.id)] == [
        (1, "draft", version.id)
    ]
    assert scene.values(view.note.id, 1) == {"Bedömning": "Mår bra", "Längd": 132.5, "Remiss till": None}
    assert version.in_use  # a template version a note uses never changes again
    [event] = scene.journal.events
    assert event_names([event]) == ["NoteWritten"] and event.note_id == str(view.note.id)
    assert (event.student_id, event.folder_id) == (str(scene.student.id), str(scene.folder.id))
    assert token


async def test_a_signing_publishes_the_signed_version():
    scene = Scene()
    note = await scene.write()
    await scene.sign(note, by=scene.doctor)
    signed = scene.journal.events[-1]
    assert event_names([signed]) == ["NoteSigned"]
    assert (signed.note_id, signed.version) == (str(note.id), 1)
    [version] = scene.versions(note.id)
    assert (version.status, version.signed_by) == ("signed", uuid.UUID(scene.doctor.user_id))
    assert scene.note(note.id).state == "signed"


async def test_signing_needs_the_right_to_write_in_the_folder_as_well_as_to_sign():
    scene = Scene()
    note = await scene.write()
    with pytest.raises(PermissionDenied):
        await sign(scene, note, scene.authz(writable=False), None)
    assert [v.status for v in scene.versions(note.id)] == ["draft"]
    assert scene.logged()[-1] == ("sign_note", "denied", 0)


# Templates, menus, recipients and contact types ---------------------------------------------------------------


def a_menu(scene: Scene, items: list[dict]) -> TemplateMenu:
    return scene.put(TemplateMenu(id=uuid.uuid4(), org_id=ORG, name=f"Meny {uuid.uuid4()}", items=items))


async def test_a_template_in_none_of_the_roles_menus_is_refused_and_logged():
    scene = Scene()
    other = scene.template("Kuratorssamtal", [row(ASSESSMENT, "Samtal", RowType.FREE_TEXT)])
    menu = a_menu(scene, [{"template_id": str(other.id)}])
    with pytest.raises(PermissionDenied):
        await write(scene, None, scene.authz(menus=[str(menu.id)]), None)
    assert scene.journal.notes == [] and scene.journal.events == []
    assert scene.logged() == [("write_note", "denied", 0)]
    assert scene.journal.access_log[0].reason == "the template is in none of the role's menus"


async def test_a_template_in_a_submenu_of_one_of_the_roles_menus_may_be_used():
    scene = Scene()
    unrelated = a_menu(scene, [])
    menu = a_menu(scene, [{"name": "Hälsovård", "items": [{"template_id": str(scene.health_visit.id)}]}])
    view, _ = await write(scene, None, scene.authz(menus=[str(unrelated.id), str(menu.id)]), None)
    assert [n.id for n in scene.journal.notes] == [view.note.id]
    assert scene.logged() == [("write_note", "allowed", 1)]


async def test_a_retired_template_is_refused_before_authz_is_asked():
    scene = Scene()
    retired = scene.template("Gammal mall", HEALTH_VISIT_ROWS, status="retired")
    authz = scene.authz()
    with pytest.raises(Conflict) as refused:
        await notes.write_note(
            scene.units, scene.nurse, authz, scene.student.id, scene.folder.id, retired.id, visit(), ""
        )
    assert refused.value.field == "template_id"
    assert authz.open_while_asked == [] and scene.journal.notes == [] and scene.logged() == []


async def test_a_template_edited_in_place_while_authz_answered_refuses_the_note_and_writes_nothing():
    scene = Scene()
    [version] = scene.journal.template_versions
    authz = scene.authz()
    authz.meanwhile = lambda: version.rows.append(version.rows[0] | {"id": str(uuid.uuid4())})
    with pytest.raises(Conflict) as refused:
        await write(scene, None, authz, None)
    assert refused.value.field == "template_id"
    assert scene.journal.notes == [] and scene.journal.note_rows == [] and scene.logged() == []
    assert not version.in_use


async def test_a_recipient_row_keeps_a_snapshot_of_its_address_book_entry():
    scene = Scene()
    chosen = RowInput(RECIPIENT, {"entry_id": str(scene.entry.id)})
    note = await scene.write(visit(rows=[chosen]))
    scene.entry.address = "Box 2"
    assert scene.values(note.id, 1)["Remiss till"] == {
        "entry_id": str(scene.entry.id),
        "name": "BUP",
        "organisation": "Region Uppsala",
        "address": "Box 1",
    }


async def test_an_inactive_address_book_entry_or_contact_type_is_refused_naming_the_field():
    scene = Scene()
    scene.entry.active = False
    chosen = RowInput(RECIPIENT, {"entry_id": str(scene.entry.id)})
    with pytest.raises(InvalidArgument) as unknown_entry:
        await scene.write(visit(rows=[chosen]))
    assert unknown_entry.value.field == "rows[2].value"
    scene.visit_type.active = False
    with pytest.raises(InvalidArgument) as retired_type:
        await scene.write(visit(contact_type_id=scene.visit_type.id))
    assert retired_type.value.field == "contact_type_id"
    assert scene.journal.notes == [] and scene.logged() == []


# What authz leaves out is never shown -------------------------------------------------------------------------


async def test_a_folder_page_never_holds_the_notes_authz_leaves_out():
    scene = Scene()
    shown, *hidden = [await scene.write(visit(day=date(2026, 11, day))) for day in (1, 2, 3)]
    authz = scene.authz()
    authz.hidden = {note.id for note in hidden}
    page, _ = await list_folder(scene, None, authz, None)
    assert [view.note.id for view in page] == [shown.id]
    assert scene.logged(since=3) == [("read_notes", "allowed", 1)]


async def test_a_folder_is_read_newest_event_first_page_by_page():
    scene = Scene()
    written = [await scene.write(visit(day=date(2026, 11, day))) for day in (1, 3, 2)]
    first, cursor = await note_reads.list_notes(
        scene.units, scene.doctor, scene.authz(), scene.student.id, scene.folder.id, NotePage(2), ""
    )
    assert [view.note.event_date.day for view in first] == [3, 2] and cursor.id == written[2].id
    after = (cursor.event_date, cursor.created_at, cursor.id)
    rest, end = await note_reads.list_notes(
        scene.units, scene.doctor, scene.authz(), scene.student.id, scene.folder.id, NotePage(2, after), ""
    )
    assert [view.note.id for view in rest] == [written[0].id] and end is None
    assert [json.loads(view.shown_rows_json)[0]["value"] for view in rest] == ["Mår bra"]


@pytest.mark.parametrize("reading", [read, history], ids=["get_note", "history"])
async def test_a_note_authz_leaves_out_is_refused_and_the_attempt_logged(reading):
    scene = Scene()
    note = await scene.signed()
    authz = scene.authz()
    authz.hidden = {note.id}
    before, logged = scene.state(), len(scene.journal.access_log)
    with pytest.raises(PermissionDenied):
        await reading(scene, note, authz, None)
    assert scene.state() == before
    assert [outcome for _, outcome, _ in scene.logged(since=logged)] == ["denied"]


async def test_a_linked_note_the_reader_may_not_read_is_shown_only_as_a_link():
    scene = Scene()
    first = await scene.signed(visit(assessment="Första bedömningen"))
    follow_up = await scene.write()
    await notes.link_notes(scene.units, scene.nurse, scene.authz(), follow_up.id, first.id, "")
    authz = scene.authz()
    authz.hidden = {first.id}
    view = await note_reads.get_note(scene.units, scene.doctor, authz, follow_up.id, "")
    assert [(lv.note_id, lv.follows_up, lv.linked, lv.heading) for lv in view.links] == [
        (first.id, True, None, "")
    ]
    readable = await note_reads.get_note(scene.units, scene.doctor, scene.authz(), follow_up.id, "")
    [summary] = readable.links
    assert (summary.linked.id, summary.heading) == (first.id, "Bedömning")
    far_end = await note_reads.get_note(scene.units, scene.doctor, scene.authz(), first.id, "")
    assert [(lv.note_id, lv.follows_up) for lv in far_end.links] == [(follow_up.id, False)]


async def test_another_organisations_note_is_not_found_and_nothing_is_logged():
    scene = Scene()
    note = await scene.signed()
    stranger = Caller(str(uuid.uuid4()), str(uuid.uuid4()), PermissionLevel.ADMIN, "t")
    logged = len(scene.journal.access_log)
    with pytest.raises(NotFound) as missing:
        await note_reads.get_note(scene.units, stranger, FakeAuthz(scene.units), note.id, "")
    assert missing.value.field == "note_id" and scene.logged(since=logged) == []


async def test_a_note_deleted_while_authz_answered_is_left_out_of_the_page():
    scene = Scene()
    kept = await scene.signed(visit(day=date(2026, 11, 1)))
    draft = await scene.write(visit(day=date(2026, 11, 2)))
    authz = scene.authz()
    authz.meanwhile = lambda: delete(scene, draft, scene.authz(), None)
    page, _ = await list_folder(scene, None, authz, None)
    assert scene.journal.notes == [scene.note(kept.id)]  # the author's delete committed meanwhile
    assert [view.note.id for view in page] == [kept.id]


# The hash chain -----------------------------------------------------------------------------------------------


async def test_signing_starts_the_folders_chain_and_links_each_next_version_to_the_one_before():
    scene = Scene()
    first, second = await scene.signed(), await scene.signed()
    elsewhere = await scene.signed(folder=scene.other_folder)
    [v1], [v2], [v3] = (scene.versions(note.id) for note in (first, second, elsewhere))
    assert (v1.chain_position, v1.previous_hash) == (1, "")
    assert (v2.chain_position, v2.previous_hash) == (2, v1.content_hash)
    assert len(v1.content_hash) == 64 and v1.content_hash != v2.content_hash
    assert (scene.head(scene.folder).length, scene.head(scene.folder).head_hash) == (2, v2.content_hash)
    assert (v3.chain_position, v3.previous_hash) == (1, "")  # each student folder has its own chain
    assert (scene.head(scene.other_folder).length, scene.head(scene.other_folder).head_hash) == (
        1,
        v3.content_hash,
    )


async def test_a_signed_amendment_takes_the_next_place_in_the_chain_and_becomes_the_notes_text():
    scene = Scene()
    note = await scene.signed(visit(assessment="Första bedömningen"))
    other = await scene.signed()
    await scene.amend(note, visit(assessment="Rättad bedömning"))
    view = await scene.sign(note, by=scene.doctor)
    [_, amended] = scene.versions(note.id)
    [before] = scene.versions(other.id)
    assert (amended.version, amended.chain_position, amended.previous_hash) == (2, 3, before.content_hash)
    assert scene.head(scene.folder).head_hash == amended.content_hash
    assert (view.note.state, view.note.current_version, view.rows[0].value) == (
        "changed",
        2,
        "Rättad bedömning",
    )


async def test_verifying_the_chain_signing_built_finds_no_break():
    scene = Scene()
    note = await scene.signed()
    await scene.signed()
    await scene.amend(note)
    await scene.sign(note)
    await scene.write()  # a draft is no link of the chain
    count, breaks = await verify(scene, None, scene.authz(), None)
    assert (count, breaks) == (3, [])
    assert scene.logged()[-1] == ("verify_folder", "allowed", 2)


async def test_verifying_finds_a_row_value_changed_behind_the_services_back():
    scene = Scene()
    first = await scene.signed()
    await scene.signed()
    [length] = [r for r in scene.journal.note_rows if r.note_id == first.id and r.heading == "Längd"]
    length.value = 142.5
    _, breaks = await verify(scene, None, scene.authz(), None)
    assert breaks == [ChainBreak(str(first.id), 1, 1, "the content does not match its signed hash")]


async def test_verifying_finds_the_last_signed_version_removed_behind_the_services_back():
    scene = Scene()
    await scene.signed()
    last = await scene.signed()
    scene.journal.note_versions.remove(scene.versions(last.id)[0])
    count, breaks = await verify(scene, None, scene.authz(), None)
    assert count == 1
    assert [(b.position, b.problem) for b in breaks] == [
        (2, "the folder's chain has 2 signed entries but 1 were found")
    ]


# Revisions: a change based on an old read is refused and writes nothing --------------------------------------

STALE = [
    (edit, an_edited_draft),
    (delete, an_edited_draft),
    (sign, an_edited_draft),
    (amend, a_signed_note),
]


@pytest.mark.parametrize(("change", "prepare"), STALE, ids=["edit", "delete", "sign", "amend"])
async def test_a_stale_expected_revision_is_refused_and_writes_nothing(change, prepare):
    scene = Scene()
    note = await prepare(scene)
    assert note.revision == 2
    before, logged = scene.state(), len(scene.journal.access_log)
    authz, identity = scene.authz(), FakeIdentity(scene.units)
    with pytest.raises(PreconditionFailed):
        await change(scene, note, authz, identity, expected=1)
    assert scene.state() == before and scene.logged(since=logged) == []


@pytest.mark.parametrize(("change", "prepare"), STALE, ids=["edit", "delete", "sign", "amend"])
async def test_a_change_committed_while_authz_answered_is_caught_under_the_lock(change, prepare):
    scene = Scene()
    note = await prepare(scene)
    authz = scene.authz()
    after_theirs = {}

    async def someone_else_changes_it():
        if note.state == "draft":
            await scene.edit(note, visit(assessment="Ändrad under tiden"))
        else:
            await scene.amend(note, by=caller())
        after_theirs.update(state=scene.state(), logged=len(scene.journal.access_log))

    authz.meanwhile = someone_else_changes_it
    with pytest.raises(PreconditionFailed):
        await change(scene, note, authz, FakeIdentity(scene.units))
    assert after_theirs and scene.note(note.id).revision == note.revision + 1
    assert scene.state() == after_theirs["state"]  # only their change is in the journal
    assert len(scene.journal.access_log) == after_theirs["logged"]


# Drafts, amendments and history -------------------------------------------------------------------------------


async def test_editing_a_draft_replaces_its_rows_and_counts_a_revision():
    scene = Scene()
    note = await scene.write()
    view = await scene.edit(note, visit(assessment="Sover dåligt", length=133.0, day=date(2026, 11, 5)))
    assert scene.values(note.id, 1) == {"Bedömning": "Sover dåligt", "Längd": 133.0, "Remiss till": None}
    assert (view.note.revision, scene.note(note.id).revision) == (2, 2)
    assert scene.note(note.id).event_date == date(2026, 11, 5)
    assert len(scene.journal.note_rows) == 3


async def test_only_the_author_of_an_unsigned_version_edits_or_deletes_it():
    scene = Scene()
    note = await scene.write()
    before = scene.state()
    with pytest.raises(PermissionDenied):
        await notes.update_note(scene.units, scene.doctor, scene.authz(), note.id, visit(), None, "")
    with pytest.raises(PermissionDenied):
        await notes.delete_note(scene.units, scene.doctor, scene.authz(), note.id, None, "")
    assert scene.state() == before


async def test_a_signed_version_is_never_edited_only_amended():
    scene = Scene()
    note = await scene.signed()
    before = scene.state()
    with pytest.raises(Conflict):
        await edit(scene, note, scene.authz(), None)
    with pytest.raises(Conflict):
        await sign(scene, note, scene.authz(), None)
    assert scene.state() == before


async def test_deleting_a_never_signed_note_removes_it_with_its_version_rows_and_links():
    scene = Scene()
    first = await scene.signed()
    draft = await scene.write()
    await notes.link_notes(scene.units, scene.nurse, scene.authz(), draft.id, first.id, "")
    gone, _ = await delete(scene, draft, scene.authz(), None)
    assert gone
    assert [n.id for n in scene.journal.notes] == [first.id]
    assert (
        {v.note_id for v in scene.journal.note_versions}
        == {r.note_id for r in scene.journal.note_rows}
        == {first.id}
    )
    assert scene.journal.note_links == []


async def test_deleting_a_pending_amendment_keeps_the_signed_text():
    scene = Scene()
    note = await scene.signed(visit(assessment="Signerad"))
    await scene.amend(note, visit(assessment="Utkast"), by=scene.nurse)
    gone, _ = await delete(scene, note, scene.authz(), None)
    assert not gone
    assert [v.version for v in scene.versions(note.id)] == [1]
    kept = scene.note(note.id)
    assert (kept.state, kept.current_version, kept.latest_version, kept.revision) == ("signed", 1, 1, 4)
    assert scene.values(note.id, 1)["Bedömning"] == "Signerad"


async def test_an_amendment_starts_as_a_copy_of_the_signed_text_while_the_signed_text_is_shown():
    scene = Scene()
    note = await scene.signed(visit(assessment="Signerad"))
    view = await scene.amend(note)
    assert scene.values(note.id, 2) == scene.values(note.id, 1)
    [signed, draft] = scene.versions(note.id)
    assert (draft.status, draft.author_id, draft.event_date) == (
        "draft",
        uuid.UUID(scene.doctor.user_id),
        EVENT_DAY,
    )
    assert (view.version.version, view.note.latest_version, view.rows[0].value) == (1, 2, "Signerad")
    with pytest.raises(Conflict):
        await scene.amend(note)  # one pending version at a time


async def test_the_organisation_may_bar_authors_from_amending_their_own_signed_notes():
    scene = Scene()
    note = await scene.signed()
    strict = FakeIdentity(scene.units, prevent_editing_own_signed_notes=True)
    with pytest.raises(PermissionDenied):
        await notes.amend_note(scene.units, scene.nurse, scene.authz(), strict, note.id, None, None, "")
    assert [v.version for v in scene.versions(note.id)] == [1]
    await notes.amend_note(scene.units, scene.doctor, scene.authz(), strict, note.id, None, None, "")
    assert [v.version for v in scene.versions(note.id)] == [1, 2]


async def test_the_history_shows_every_version_with_the_rows_that_changed():
    scene = Scene()
    note = await scene.signed(visit(assessment="Första", length=132.5))
    await scene.amend(note, visit(assessment="Andra", length=132.5))
    shown, versions = await history(scene, note, scene.authz(), None)
    assert shown.id == note.id
    assert [(v.version.version, v.version.status) for v in versions] == [(1, "signed"), (2, "draft")]
    assert versions[0].changes == []
    assert [(c.heading, c.before, c.after) for c in versions[1].changes] == [("Bedömning", "Första", "Andra")]
    assert scene.logged()[-1] == ("read_history", "allowed", 2)


# Links --------------------------------------------------------------------------------------------------------


async def test_a_note_follows_up_neither_itself_nor_a_note_of_another_student():
    scene = Scene()
    note = await scene.write()
    theirs = await scene.write()
    scene.note(theirs.id).student_id = scene.other_student.id
    for other in (note, theirs):
        with pytest.raises(InvalidArgument) as refused:
            await notes.link_notes(scene.units, scene.nurse, scene.authz(), note.id, other.id, "")
        assert refused.value.field == "follows_up"
    assert scene.journal.note_links == []


async def test_a_follow_up_of_a_note_that_does_not_exist_names_the_follows_up_field():
    scene = Scene()
    note = await scene.write()
    with pytest.raises(NotFound) as missing:
        await notes.link_notes(scene.units, scene.nurse, scene.authz(), note.id, uuid.uuid4(), "")
    assert missing.value.field == "follows_up"


async def test_a_follow_up_needs_read_access_to_the_note_it_follows_up():
    scene = Scene()
    first = await scene.signed(folder=scene.other_folder)
    follow_up = await scene.write()
    authz = scene.authz()
    authz.hidden = {first.id}
    logged = len(scene.journal.access_log)
    with pytest.raises(PermissionDenied):
        await notes.link_notes(scene.units, scene.nurse, authz, follow_up.id, first.id, "")
    assert scene.journal.note_links == []
    assert scene.logged(since=logged) == [("link_note", "denied", 0)]
    assert scene.journal.access_log[-1].folder_id == scene.other_folder.id


# Prefill ------------------------------------------------------------------------------------------------------


async def test_prefill_takes_values_only_from_notes_the_writer_may_read():
    scene = Scene()
    concern = str(uuid.uuid4())
    counselling = scene.template("Kuratorssamtal", [row(concern, "Oro", RowType.FREE_TEXT)])
    health = await scene.signed(visit(length=132.5))
    talk = await scene.signed(
        NoteInput(EVENT_DAY, None, None, (RowInput(concern, "Sover dåligt"),)),
        folder=scene.other_folder,
        template=counselling,
    )
    length_before, concern_before = str(uuid.uuid4()), str(uuid.uuid4())
    follow_up = scene.template(
        "Uppföljning",
        [
            row(
                length_before,
                "Längd förra besöket",
                RowType.LENGTH,
                prefill=Prefill(str(scene.health_visit.id), LENGTH),
            ),
            row(
                concern_before,
                "Oro förra samtalet",
                RowType.FREE_TEXT,
                prefill=Prefill(str(counselling.id), concern),
            ),
        ],
    )
    authz = scene.authz()
    authz.hidden = {talk.id}
    logged = len(scene.journal.access_log)
    prefilled = await prefill(scene, follow_up, authz, None)
    assert [(p.row_id, p.value, p.source.id) for p in prefilled] == [(length_before, 132.5, health.id)]
    assert scene.logged(since=logged) == [("prefill_note", "allowed", 1)]
    assert scene.journal.access_log[-1].folder_id == scene.folder.id
    authz.hidden = {health.id, talk.id}
    assert await prefill(scene, follow_up, authz, None) == []


async def test_prefill_takes_the_latest_signed_note_never_a_draft():
    scene = Scene()
    template = await a_prefilled_template(scene)
    await scene.write(visit(length=140.0, day=date(2026, 12, 1)))
    [prefilled] = await prefill(scene, template, scene.authz(), None)
    assert prefilled.value == 132.5


# The note's own rules come after authz, and their refusals are logged too -------------------------------------


async def test_someone_without_access_learns_nothing_of_a_draft_not_even_whose_it_is():
    scene = Scene()
    note = await a_draft(scene)
    with pytest.raises(PermissionDenied) as refused:
        await notes.update_note(
            scene.units, scene.doctor, scene.authz(writable=False), note.id, visit(assessment="X"), 99, ""
        )
    assert refused.value.message == "you do not have access to this student's records here"
    assert scene.logged()[-1] == ("edit_note", "denied", 0)


async def test_an_edit_by_another_writer_than_the_author_is_refused_and_logged():
    scene = Scene()
    note = await a_draft(scene)
    with pytest.raises(PermissionDenied) as refused:
        await notes.update_note(
            scene.units, scene.doctor, scene.authz(), note.id, visit(assessment="X"), None, ""
        )
    assert "author" in refused.value.message
    assert scene.logged()[-1] == ("edit_note", "denied", 0)
    assert scene.note(note.id).revision == 1
