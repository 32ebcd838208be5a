"""Notes read: a folder page by page, one note with its links, a history, the folder's hash chain, the
templates a writer is offered and the values a new note starts with. Every read of student data is logged
in the same transaction as the read; authz is asked with no transaction open."""

import json
import uuid
from dataclasses import dataclass

from services.common.auth import Caller
from services.common.errors import PermissionDenied
from services.records.adapters.clients import AuthzClient
from services.records.adapters.note_queries import NotePage
from services.records.adapters.orm import Note, NoteLink
from services.records.domain.model import AccessAction, AccessOutcome
from services.records.domain.notes import (
    ChainBreak,
    ChainLink,
    RowContent,
    changed_rows,
    verify_chain,
)
from services.records.domain.rows import rows_from_json
from services.records.domain.templates import MenuTree
from services.records.service_layer import templates
from services.records.service_layer.handlers import UnitsOfWork, access_entry, refuse, repository
from services.records.service_layer.note_access import (
    LinkView,
    NoteView,
    VersionView,
    content_of,
    load,
    log,
    readable_ids,
    require_readable,
)


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
