"""Notes written, edited, deleted, signed, amended and linked.

Each change reads what authz needs in one unit of work, asks authz with no transaction open, and then writes
the change and its access-log row in a short unit of work of its own, re-reading the note under a row lock:
whatever happened between the two is caught there (the note's revision), never overwritten.
"""

import uuid
from collections.abc import Sequence

from elevhalsa.records.v1 import events_pb2

from services.common import clock
from services.common.auth import Caller
from services.common.errors import Conflict, InvalidArgument, NotFound
from services.records.adapters.clients import AuthzClient, IdentityClient
from services.records.adapters.orm import Note, NoteLink, NoteRow, NoteVersion
from services.records.adapters.repository import RecordsRepository
from services.records.domain.model import AccessAction
from services.records.domain.notes import (
    NoteFacts,
    NoteState,
    RowContent,
    VersionStatus,
    chain_hash,
    fill_rows,
    recipient_ids,
    require_amendable,
    require_draft_author,
    require_revision,
    require_signable,
    state_after_signing,
    with_recipients,
)
from services.records.domain.rows import rows_from_json
from services.records.domain.templates import menu_template_ids
from services.records.service_layer.handlers import UnitsOfWork, refuse, repository
from services.records.service_layer.note_access import (
    NoteInput,
    NoteView,
    content_of,
    facts,
    load,
    locked,
    log,
    permitted,
    require_readable,
    require_write,
)
from services.records.service_layer.note_reads import get_note


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
        state=NoteState.DRAFT,
        current_version=1,
        latest_version=1,
        revision=1,
        visible_to_case_members=False,
    )
    version = new_version(note, 1, caller, template_version.id, given)
    note.event_date = version.event_date  # one reading of the clock for both
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


async def shown(units: UnitsOfWork, caller: Caller, note: Note) -> NoteView:
    """The note's shown version and rows, read after a change the caller made (no new access to log)."""
    async with units() as uow:
        repo = repository(uow, caller)
        key = (note.id, note.current_version)
        version = (await repo.versions([key]))[key]
        rows = (await repo.rows_of([key]))[key]
    return NoteView(note, version, rows=rows)


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
