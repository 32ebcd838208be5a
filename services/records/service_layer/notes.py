"""Notes: written from a template, signed, amended as new versions, read page by page, linked, verified.

Each use case reads what authz needs in one unit of work, asks authz with no transaction open, and then
writes the change and its access-log row in a short unit of work of its own, re-reading the note under a
row lock: whatever happened between the two is caught there (the note's revision), never overwritten.
"""

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from elevhalsa.records.v1 import events_pb2

from services.common import clock
from services.common.auth import Caller
from services.common.errors import Conflict, InvalidArgument, NotFound, PermissionDenied
from services.records.adapters.clients import AuthzClient, IdentityClient
from services.records.adapters.orm import Note, NoteLink, NoteRow, NoteVersion, Student
from services.records.adapters.repository import NotePage, RecordsRepository, rows_as_json
from services.records.domain.model import AccessAction, AccessOutcome
from services.records.domain.notes import (
    ChainBreak,
    ChainLink,
    NoteFacts,
    NoteState,
    RowChange,
    RowContent,
    RowInput,
    VersionContent,
    VersionStatus,
    chain_hash,
    changed_rows,
    fill_rows,
    recipient_ids,
    require_amendable,
    require_draft_author,
    require_revision,
    require_signable,
    state_after_signing,
    verify_chain,
    with_recipients,
)
from services.records.domain.rows import rows_from_json
from services.records.domain.templates import MenuTree, menu_template_ids
from services.records.service_layer import templates
from services.records.service_layer.handlers import UnitsOfWork, access_entry, refuse, repository


@dataclass(frozen=True)
class NoteInput:
    """What the writer gives for a version: header fields and row values (by template row id)."""

    event_date: date | None
    responsible_user_id: uuid.UUID | None
    contact_type_id: uuid.UUID | None
    rows: tuple[RowInput, ...]


@dataclass(frozen=True)
class LinkView:
    note_id: uuid.UUID
    follows_up: bool  # True: this note follows up the linked one
    linked: Note | None  # None unless the reader may read the linked note
    heading: str = ""


@dataclass(frozen=True)
class NoteView:
    """A note as a reader sees it: the shown version (the latest signed one, or the draft) and its rows, as
    rows at hand or, on the read paths, as the JSON text PostgreSQL built (`rows_as_json` either way)."""

    note: Note
    version: NoteVersion
    rows_json: str | None = None
    rows: list[NoteRow] = field(default_factory=list)
    links: list[LinkView] = field(default_factory=list)

    @property
    def shown_rows_json(self) -> str:
        return self.rows_json if self.rows_json is not None else rows_as_json(self.rows)


@dataclass(frozen=True)
class VersionView:
    version: NoteVersion
    rows: list[NoteRow]
    changes: list[RowChange]


def facts(note: Note, latest: NoteVersion) -> NoteFacts:
    return NoteFacts(
        author_id=str(note.author_id),
        state=NoteState(note.state),
        current_version=note.current_version,
        latest_version=note.latest_version,
        latest_author_id=str(latest.author_id),
        revision=note.revision,
    )


def log(
    repo: RecordsRepository, caller: Caller, student: Student, note: Note | None, action, reason, count=1
):
    """Stage the allowed access's log row; it commits with what it records."""
    folder_id = note.folder_id if note else None
    repo.append_to_access_log(
        access_entry(caller, student, folder_id, action, AccessOutcome.ALLOWED, reason, count)
    )


async def require_write(
    units: UnitsOfWork, caller: Caller, authz: AuthzClient, student: Student, folder_id, action, token: str
) -> str:
    """The reason authz gave for allowing the caller to write in the folder; a refusal is logged."""
    allowed, reason = await authz.check(student.unit_id, folder_id, "write", token)
    if not allowed:
        await refuse(units, caller, student, folder_id, action, reason)
    return reason


async def require_readable(
    units: UnitsOfWork, caller: Caller, authz: AuthzClient, student: Student, note: Note, action, token: str
) -> str:
    """The reason authz gave for letting the caller read the note; a refusal is logged."""
    decision = await authz.filter_notes(student.unit_id, note.folder_id, [note], token)
    if str(note.id) not in decision.allowed:
        await refuse(units, caller, student, note.folder_id, action, decision.reason)
    return decision.reason


async def permitted(
    units: UnitsOfWork,
    caller: Caller,
    authz: AuthzClient,
    loaded: "Loaded",
    action: AccessAction,
    check: str,
    rules: Callable[[NoteFacts], None],
    token: str,
) -> str:
    """Authz first, then the note's own rules (author, state, revision), so that nobody without access to the
    folder learns anything about the note; a refusal by either is logged as denied. Returns authz's reason."""
    student, folder_id = loaded.student, loaded.note.folder_id
    allowed, reason = await authz.check(student.unit_id, folder_id, check, token)
    if not allowed:
        await refuse(units, caller, student, folder_id, action, reason)
    try:
        rules(loaded.facts)
    except PermissionDenied as denied:
        await refuse(units, caller, student, folder_id, action, denied.message, denied.message)
    return reason


# --- writing ---------------------------------------------------------------------------------------------


async def checked_rows(repo: RecordsRepository, template_rows, given: NoteInput) -> list[RowContent]:
    """The version's rows, validated against the template, recipients with their address-book snapshot."""
    rows = fill_rows(template_rows, given.rows)
    found = await repo.address_entries([uuid.UUID(entry_id) for entry_id in recipient_ids(rows)])
    entries = {
        str(entry.id): {"name": entry.name, "organisation": entry.organisation, "address": entry.address}
        for entry in found
        if entry.active
    }
    return with_recipients(rows, entries, given.rows)


async def check_header(repo: RecordsRepository, given: NoteInput) -> None:
    if given.contact_type_id is not None:
        contact_type = await repo.contact_type(given.contact_type_id)
        if not contact_type.active:
            raise InvalidArgument("the contact type is no longer in use", field="contact_type_id")


def note_rows(note: Note, version: int, rows: Sequence[RowContent]) -> list[NoteRow]:
    return [
        NoteRow(
            org_id=note.org_id,
            note_id=note.id,
            version=version,
            position=row.position,
            template_row_id=row.template_row_id,
            heading=row.heading,
            row_type=row.row_type,
            value=row.value,
        )
        for row in rows
    ]


def new_version(
    note: Note, number: int, caller: Caller, template_version_id, given: NoteInput
) -> NoteVersion:
    now = clock.utcnow()
    return NoteVersion(
        org_id=note.org_id,
        note_id=note.id,
        version=number,
        template_version_id=template_version_id,
        author_id=uuid.UUID(caller.user_id),
        responsible_user_id=given.responsible_user_id,
        event_date=given.event_date or clock.today(),
        contact_type_id=given.contact_type_id,
        status=VersionStatus.DRAFT,
        created_at=now,
        updated_at=now,
    )


async def write_note(
    units: UnitsOfWork,
    caller: Caller,
    authz: AuthzClient,
    student_id: uuid.UUID,
    folder_id: uuid.UUID,
    template_id: uuid.UUID,
    given: NoteInput,
    token: str,
) -> tuple[NoteView, str]:
    """A draft note from the template's current version, if the caller may write in the folder with it."""
    async with units() as uow:
        repo = repository(uow, caller)
        student = await repo.student(student_id)
        await repo.folder(folder_id)
        template = await repo.template(template_id)
        if template.status != "active":
            raise Conflict("the template is retired and cannot be used for new notes", field="template_id")
        template_version = await repo.current_template_version(template_id)
        await check_header(repo, given)
        rows = await checked_rows(repo, rows_from_json(template_version.rows), given)
    allowed, reason, menu_ids = await authz.writable_menus(student.unit_id, folder_id, token)
    if not allowed:
        await refuse(units, caller, student, folder_id, AccessAction.WRITE_NOTE, reason)
    if menu_ids and not await in_menus(units, caller, template_id, menu_ids):
        await refuse(
            units,
            caller,
            student,
            folder_id,
            AccessAction.WRITE_NOTE,
            "the template is in none of the role's menus",
        )
    note = Note(
        id=uuid.uuid4(),
        org_id=student.org_id,
        student_id=student.id,
        folder_id=folder_id,
        author_id=uuid.UUID(caller.user_id),
        created_at=clock.utcnow(),
        template_id=template_id,
        event_date=given.event_date or clock.today(),
        state=NoteState.DRAFT,
        current_version=1,
        latest_version=1,
        revision=1,
        visible_to_case_members=False,
    )
    version = new_version(note, 1, caller, template_version.id, given)
    stored_rows = note_rows(note, 1, rows)
    async with units() as uow:
        repo = repository(uow, caller)
        await repo.add_note(note, version, stored_rows)
        if not template_version.in_use and (
            (await repo.mark_template_version_used(template_version.id)).rows != template_version.rows
        ):
            raise Conflict(
                "the template was changed while the note was written; write it again", field="template_id"
            )
        log(repo, caller, student, note, AccessAction.WRITE_NOTE, reason)
        uow.publish(
            caller.org_id,
            events_pb2.NoteWritten(
                note_id=str(note.id), student_id=str(student.id), folder_id=str(folder_id)
            ),
        )
        token = await uow.commit()
    return NoteView(note, version, rows=stored_rows), token


async def in_menus(units: UnitsOfWork, caller: Caller, template_id: uuid.UUID, menu_ids: list[str]) -> bool:
    """Whether one of the menus holds the template, in any submenu."""
    async with units() as uow:
        menus = await repository(uow, caller).template_menus([uuid.UUID(m) for m in menu_ids])
    return any(str(template_id) in menu_template_ids(menu.items) for menu in menus)


@dataclass(frozen=True)
class Loaded:
    """A note with its student and latest version, as read before asking authz."""

    note: Note
    student: Student
    latest: NoteVersion

    @property
    def facts(self) -> NoteFacts:
        return facts(self.note, self.latest)


async def load(units: UnitsOfWork, caller: Caller, note_id: uuid.UUID) -> Loaded:
    async with units() as uow:
        repo = repository(uow, caller)
        note = await repo.note(note_id)
        student = await repo.student(note.student_id)
        latest = (await repo.versions([(note.id, note.latest_version)]))[(note.id, note.latest_version)]
    return Loaded(note, student, latest)


async def locked(repo: RecordsRepository, loaded: Loaded, expected: int | None) -> Note:
    """The note locked for the change; refused if it changed since it was read (by the caller or meanwhile)."""
    note = await repo.note(loaded.note.id, for_update=True)
    require_revision(facts(note, loaded.latest), expected if expected is not None else loaded.note.revision)
    return note


async def update_note(
    units: UnitsOfWork,
    caller: Caller,
    authz: AuthzClient,
    note_id: uuid.UUID,
    given: NoteInput,
    expected: int | None,
    token: str,
) -> tuple[NoteView, str]:
    """Replace the content of the note's unsigned version; only its author, while they may still write."""
    loaded = await load(units, caller, note_id)

    def rules(note: NoteFacts) -> None:
        require_revision(note, expected)
        require_draft_author(note, caller.user_id, "edit")

    reason = await permitted(units, caller, authz, loaded, AccessAction.EDIT_NOTE, "write", rules, token)
    async with units() as uow:
        repo = repository(uow, caller)
        template_rows = await rows_of_template_version(repo, loaded.latest.template_version_id)
        await check_header(repo, given)
        rows = await checked_rows(repo, template_rows, given)
    async with units() as uow:
        repo = repository(uow, caller)
        note = await locked(repo, loaded, expected)
        version = (await repo.versions([(note.id, note.latest_version)]))[(note.id, note.latest_version)]
        version.event_date = given.event_date or version.event_date
        version.responsible_user_id = given.responsible_user_id
        version.contact_type_id = given.contact_type_id
        version.updated_at = clock.utcnow()
        stored_rows = note_rows(note, version.version, rows)
        await repo.replace_rows(version, stored_rows)
        if note.state == NoteState.DRAFT:
            note.event_date = version.event_date
        note.revision += 1
        log(repo, caller, loaded.student, note, AccessAction.EDIT_NOTE, reason)
        token = await uow.commit()
    return await shown(units, caller, note), token


async def rows_of_template_version(repo: RecordsRepository, template_version_id: uuid.UUID | None):
    """The template rows a version is written against; a note from before templates cannot be edited."""
    if template_version_id is None:
        raise Conflict("the note was written without a template and can no longer be edited")
    return rows_from_json((await repo.template_version(template_version_id)).rows)


async def delete_note(
    units: UnitsOfWork,
    caller: Caller,
    authz: AuthzClient,
    note_id: uuid.UUID,
    expected: int | None,
    token: str,
) -> tuple[bool, str]:
    """Discard the unsigned version (the whole note when it was never signed); True if the note is gone."""
    loaded = await load(units, caller, note_id)

    def rules(note: NoteFacts) -> None:
        require_revision(note, expected)
        require_draft_author(note, caller.user_id, "delete")

    reason = await permitted(units, caller, authz, loaded, AccessAction.DELETE_NOTE, "write", rules, token)
    async with units() as uow:
        repo = repository(uow, caller)
        note = await locked(repo, loaded, expected)
        version = (await repo.versions([(note.id, note.latest_version)]))[(note.id, note.latest_version)]
        whole = note.state == NoteState.DRAFT
        log(repo, caller, loaded.student, note, AccessAction.DELETE_NOTE, reason)
        if whole:
            await repo.remove_draft_note(note, version)
        else:
            await repo.remove_version(version)
            note.latest_version = note.current_version
            note.revision += 1
        return whole, await uow.commit()


async def sign_note(
    units: UnitsOfWork,
    caller: Caller,
    authz: AuthzClient,
    note_id: uuid.UUID,
    expected: int | None,
    token: str,
) -> tuple[NoteView, str]:
    """Sign the unsigned version: it becomes immutable, the note's current text, and the next link of the
    folder's hash chain. Only a user who may sign notes and may write in the folder."""
    loaded = await load(units, caller, note_id)

    def rules(note: NoteFacts) -> None:
        require_revision(note, expected)
        require_signable(note)

    reason = await permitted(units, caller, authz, loaded, AccessAction.SIGN_NOTE, "sign", rules, token)
    async with units() as uow:
        repo = repository(uow, caller)
        note = await locked(repo, loaded, expected)
        require_signable(facts(note, loaded.latest))
        key = (note.id, note.latest_version)
        version = (await repo.versions([key]))[key]
        rows = (await repo.rows_of([key]))[key]
        head = await repo.chain_head(note.student_id, note.folder_id)
        version.status = VersionStatus.SIGNED
        version.signed_by = uuid.UUID(caller.user_id)
        version.signed_at = clock.utcnow()
        version.chain_position = head.length + 1
        version.previous_hash = head.head_hash
        version.content_hash = chain_hash(content_of(note, version, rows), head.head_hash)
        head.length, head.head_hash = version.chain_position, version.content_hash
        note.current_version = version.version
        note.state = state_after_signing(version.version)
        note.event_date = version.event_date
        note.revision += 1
        log(repo, caller, loaded.student, note, AccessAction.SIGN_NOTE, reason)
        uow.publish(
            caller.org_id,
            events_pb2.NoteSigned(
                note_id=str(note.id),
                student_id=str(note.student_id),
                folder_id=str(note.folder_id),
                version=version.version,
            ),
        )
        token = await uow.commit()
    return NoteView(note, version, rows=rows), token


def content_of(note: Note, version: NoteVersion, rows: Sequence[NoteRow]) -> VersionContent:
    """What a signed version's hash covers."""
    return VersionContent(
        note_id=str(note.id),
        version=version.version,
        student_id=str(note.student_id),
        folder_id=str(note.folder_id),
        template_version_id=str(version.template_version_id) if version.template_version_id else None,
        author_id=str(version.author_id),
        responsible_user_id=str(version.responsible_user_id) if version.responsible_user_id else None,
        event_date=version.event_date,
        contact_type_id=str(version.contact_type_id) if version.contact_type_id else None,
        signed_by=str(version.signed_by),
        signed_at=version.signed_at,
        rows=tuple(
            RowContent(r.position, r.template_row_id, r.heading, r.row_type, r.value)
            for r in sorted(rows, key=lambda r: r.position)
        ),
    )


async def amend_note(
    units: UnitsOfWork,
    caller: Caller,
    authz: AuthzClient,
    identity: IdentityClient,
    note_id: uuid.UUID,
    given: NoteInput | None,
    expected: int | None,
    token: str,
) -> tuple[NoteView, str]:
    """Start version n+1 of a signed note as a draft (a copy of the current text unless content is given)."""
    loaded = await load(units, caller, note_id)
    settings = await identity.settings()

    def rules(note: NoteFacts) -> None:
        require_revision(note, expected)
        require_amendable(note, caller.user_id, prevent_own=settings.prevent_editing_own_signed_notes)

    reason = await permitted(units, caller, authz, loaded, AccessAction.AMEND_NOTE, "write", rules, token)
    rows = None
    if given is not None:
        async with units() as uow:
            repo = repository(uow, caller)
            template_rows = await rows_of_template_version(repo, loaded.latest.template_version_id)
            await check_header(repo, given)
            rows = await checked_rows(repo, template_rows, given)
    async with units() as uow:
        repo = repository(uow, caller)
        note = await locked(repo, loaded, expected)
        require_amendable(
            facts(note, loaded.latest), caller.user_id, prevent_own=settings.prevent_editing_own_signed_notes
        )
        current_key = (note.id, note.current_version)
        current = (await repo.versions([current_key]))[current_key]
        if given is None:
            given = copy_of(current)
            rows = [
                RowContent(r.position, r.template_row_id, r.heading, r.row_type, r.value)
                for r in (await repo.rows_of([current_key]))[current_key]
            ]
        number = note.current_version + 1
        version = new_version(note, number, caller, current.template_version_id, given)
        version.event_date = given.event_date or current.event_date
        stored_rows = note_rows(note, number, rows)
        await repo.add_version(version, stored_rows)
        note.latest_version = number
        note.revision += 1
        log(repo, caller, loaded.student, note, AccessAction.AMEND_NOTE, reason)
        token = await uow.commit()
    return await shown(units, caller, note), token


def copy_of(version: NoteVersion) -> NoteInput:
    return NoteInput(version.event_date, version.responsible_user_id, version.contact_type_id, ())


async def writable_templates(
    units: UnitsOfWork,
    caller: Caller,
    authz: AuthzClient,
    student_id: uuid.UUID,
    folder_id: uuid.UUID,
    token: str,
) -> tuple[list[MenuTree], bool]:
    """The menus the caller's grants name for writing in the folder at the student's unit, and whether no grant
    names one (then every active template may be used). Nothing of the student is read, so nothing is logged."""
    async with units() as uow:
        repo = repository(uow, caller)
        student = await repo.student(student_id)
        await repo.folder(folder_id)
    allowed, _, menu_ids = await authz.writable_menus(student.unit_id, folder_id, token)
    if not allowed:
        raise PermissionDenied("you may not write in this folder of this student")
    if not menu_ids:
        return [], True
    return await templates.menus_with_templates(units, caller, [uuid.UUID(m) for m in menu_ids]), False


# --- reading ---------------------------------------------------------------------------------------------


async def shown(units: UnitsOfWork, caller: Caller, note: Note) -> NoteView:
    """The note's shown version and rows, read after a change the caller made (no new access to log)."""
    async with units() as uow:
        repo = repository(uow, caller)
        key = (note.id, note.current_version)
        version = (await repo.versions([key]))[key]
        rows = (await repo.rows_of([key]))[key]
    return NoteView(note, version, rows=rows)


async def get_note(
    units: UnitsOfWork, caller: Caller, authz: AuthzClient, note_id: uuid.UUID, token: str
) -> NoteView:
    """The note with its links, if the caller may read it; linked notes are summarised only where readable."""
    loaded = await load(units, caller, note_id)
    reason = await require_readable(
        units, caller, authz, loaded.student, loaded.note, AccessAction.READ_NOTE, token
    )
    async with units() as uow:
        repo = repository(uow, caller)
        links = await repo.links_of(note_id)
        linked = await repo.notes([other_end(link, note_id) for link in links])
    readable = await readable_ids(authz, loaded.student, linked, token)
    async with units() as uow:
        repo = repository(uow, caller)
        note = await repo.note(note_id)
        keys = [(note.id, note.current_version)] + [
            (n.id, n.current_version) for n in linked if n.id in readable
        ]
        versions = await repo.versions(keys)
        rows = await repo.shown_rows_json(keys)
        log(repo, caller, loaded.student, note, AccessAction.READ_NOTE, reason)
        await uow.commit()
    by_id = {n.id: n for n in linked}
    views = []
    for link in links:
        other = by_id[other_end(link, note_id)]
        visible = other.id in readable
        heading = first_heading(rows[(other.id, other.current_version)]) if visible else ""
        views.append(LinkView(other.id, link.from_note_id == note_id, other if visible else None, heading))
    key = (note.id, note.current_version)
    return NoteView(note, versions[key], links=views, rows_json=rows[key])


def first_heading(rows_json: str) -> str:
    rows = json.loads(rows_json)
    return rows[0]["heading"] if rows else ""


def other_end(link: NoteLink, note_id: uuid.UUID) -> uuid.UUID:
    return link.to_note_id if link.from_note_id == note_id else link.from_note_id


async def readable_ids(authz: AuthzClient, student: Student, notes: list[Note], token: str) -> set[uuid.UUID]:
    """The notes the caller may read: one authz call per folder they lie in."""
    readable: set[uuid.UUID] = set()
    by_folder: dict[uuid.UUID, list[Note]] = {}
    for note in notes:
        by_folder.setdefault(note.folder_id, []).append(note)
    for folder_id, in_folder in by_folder.items():
        decision = await authz.filter_notes(student.unit_id, folder_id, in_folder, token)
        readable.update(n.id for n in in_folder if str(n.id) in decision.allowed)
    return readable


async def list_notes(
    units: UnitsOfWork,
    caller: Caller,
    authz: AuthzClient,
    student_id: uuid.UUID,
    folder_id: uuid.UUID,
    page: NotePage,
    token: str,
) -> tuple[list[NoteView], Note | None]:
    """One page of the folder's notes the caller may read, and the last note scanned when more may follow.

    One authz call per page and one access-log row; notes the caller may not read are left out of the page.
    """
    async with units() as uow:
        repo = repository(uow, caller)
        student = await repo.student(student_id)
        await repo.folder(folder_id)
        scanned = await repo.note_page(student.id, folder_id, page)
    decision = await authz.filter_notes(student.unit_id, folder_id, scanned, token)
    if not decision.folder_readable:
        await refuse(units, caller, student, folder_id, AccessAction.READ_NOTES, decision.reason)
    allowed = [note for note in scanned if str(note.id) in decision.allowed]
    async with units() as uow:
        repo = repository(uow, caller)
        # The versions the page was scanned at: signed versions never change, and a draft deleted while authz
        # answered is simply not found, so the page is the folder as it was a moment ago.
        shown = await repo.shown_versions([(note.id, note.current_version) for note in allowed])
        visible = [note for note in allowed if (note.id, note.current_version) in shown]
        repo.append_to_access_log(
            access_entry(
                caller,
                student,
                folder_id,
                AccessAction.READ_NOTES,
                AccessOutcome.ALLOWED,
                decision.reason,
                len(visible),
            )
        )
        await uow.commit()
    views = [NoteView(note, *shown[(note.id, note.current_version)]) for note in visible]
    return views, scanned[-1] if len(scanned) == page.limit else None


async def note_history(
    units: UnitsOfWork, caller: Caller, authz: AuthzClient, note_id: uuid.UUID, token: str
) -> tuple[Note, list[VersionView]]:
    """Every version of the note, oldest first, with the rows that changed from the version before."""
    loaded = await load(units, caller, note_id)
    reason = await require_readable(
        units, caller, authz, loaded.student, loaded.note, AccessAction.READ_HISTORY, token
    )
    async with units() as uow:
        repo = repository(uow, caller)
        note = await repo.note(note_id)
        versions = await repo.versions_of(note_id)
        rows = await repo.rows_of([(note_id, v.version) for v in versions])
        log(repo, caller, loaded.student, note, AccessAction.READ_HISTORY, reason, len(versions))
        await uow.commit()
    views, before = [], []
    for version in versions:
        current = rows[(note_id, version.version)]
        contents = [
            RowContent(r.position, r.template_row_id, r.heading, r.row_type, r.value) for r in current
        ]
        views.append(
            VersionView(version, current, changed_rows(before, contents) if version.version > 1 else [])
        )
        before = contents
    return note, views


async def link_notes(
    units: UnitsOfWork,
    caller: Caller,
    authz: AuthzClient,
    note_id: uuid.UUID,
    follows_up: uuid.UUID,
    token: str,
) -> tuple[NoteView, str]:
    """Mark the note as the follow-up of another note of the same student: the writer must be able to write
    in the note's folder and to read the note it follows up."""
    loaded = await load(units, caller, note_id)
    async with units() as uow:
        try:
            earlier = await repository(uow, caller).note(follows_up)
        except NotFound:
            raise NotFound("the note to follow up was not found", field="follows_up") from None
    if earlier.id == loaded.note.id:
        raise InvalidArgument("a note cannot follow up itself", field="follows_up")
    if earlier.student_id != loaded.note.student_id:
        raise InvalidArgument("a note can only follow up a note of the same student", field="follows_up")
    reason = await require_write(
        units, caller, authz, loaded.student, loaded.note.folder_id, AccessAction.LINK_NOTE, token
    )
    await require_readable(units, caller, authz, loaded.student, earlier, AccessAction.LINK_NOTE, token)
    async with units() as uow:
        repo = repository(uow, caller)
        repo.add(
            NoteLink(
                id=uuid.uuid4(),
                org_id=loaded.note.org_id,
                from_note_id=note_id,
                to_note_id=follows_up,
                created_by=uuid.UUID(caller.user_id),
            )
        )
        log(repo, caller, loaded.student, loaded.note, AccessAction.LINK_NOTE, reason)
        token = await uow.commit()
    return await get_note(units, caller, authz, note_id, token), token


async def verify_folder(
    units: UnitsOfWork,
    caller: Caller,
    authz: AuthzClient,
    student_id: uuid.UUID,
    folder_id: uuid.UUID,
    token: str,
) -> tuple[int, list[ChainBreak]]:
    """Recompute the hash chain of the folder's signed versions; (signed versions, every break found)."""
    async with units() as uow:
        repo = repository(uow, caller)
        student = await repo.student(student_id)
        await repo.folder(folder_id)
    decision = await authz.filter_notes(student.unit_id, folder_id, [], token)
    if not decision.folder_readable:
        await refuse(units, caller, student, folder_id, AccessAction.VERIFY_FOLDER, decision.reason)
    async with units() as uow:
        repo = repository(uow, caller)
        head, versions = await repo.chain(student_id, folder_id)
        notes = {n.id: n for n in await repo.notes(list({v.note_id for v in versions}))}
        rows = await repo.rows_of([(v.note_id, v.version) for v in versions])
        repo.append_to_access_log(
            access_entry(
                caller,
                student,
                folder_id,
                AccessAction.VERIFY_FOLDER,
                AccessOutcome.ALLOWED,
                decision.reason,
                len(notes),
            )
        )
        await uow.commit()
    links = [
        ChainLink(
            content_of(notes[v.note_id], v, rows[(v.note_id, v.version)]),
            v.chain_position or 0,
            v.previous_hash or "",
            v.content_hash or "",
        )
        for v in versions
    ]
    breaks = verify_chain(links, head.length if head else 0, head.head_hash if head else "")
    return len(versions), breaks


@dataclass(frozen=True)
class Prefilled:
    row_id: str
    value: object
    source: Note


async def prefill_note(
    units: UnitsOfWork,
    caller: Caller,
    authz: AuthzClient,
    student_id: uuid.UUID,
    folder_id: uuid.UUID,
    template_id: uuid.UUID,
    token: str,
) -> list[Prefilled]:
    """The values the template's prefilled rows start with: each from the row of the student's latest signed
    note of the source template, where the writer may read that note."""
    async with units() as uow:
        repo = repository(uow, caller)
        student = await repo.student(student_id)
        await repo.folder(folder_id)
        await repo.template(template_id)
        template_rows = rows_from_json((await repo.current_template_version(template_id)).rows)
        wanted = [row for row in template_rows if row.prefill is not None]
        sources = {}
        for source_template in {row.prefill.template_id for row in wanted}:
            note = await repo.latest_signed_note(student.id, uuid.UUID(source_template))
            if note is not None:
                sources[source_template] = note
    readable = await readable_ids(authz, student, list(sources.values()), token)
    sources = {t: n for t, n in sources.items() if n.id in readable}
    if not sources:
        return []
    async with units() as uow:
        repo = repository(uow, caller)
        rows = await repo.rows_of([(n.id, n.current_version) for n in sources.values()])
        for note in sources.values():
            log(repo, caller, student, note, AccessAction.PREFILL_NOTE, "prefill of a new note")
        await uow.commit()
    prefilled = []
    for row in wanted:
        source = sources.get(row.prefill.template_id)
        if source is None:
            continue
        for stored in rows[(source.id, source.current_version)]:
            if stored.template_row_id == row.prefill.row_id and stored.value is not None:
                prefilled.append(Prefilled(row.id, stored.value, source))
    return prefilled
