"""What the notes use cases share: the views they answer with, reading a note before authz is asked, asking
authz (a refusal is logged), and the note's lock and revision once it has answered."""

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from services.common.auth import Caller
from services.common.errors import PermissionDenied
from services.records.adapters.clients import AuthzClient
from services.records.adapters.note_queries import rows_as_json
from services.records.adapters.orm import Note, NoteRow, NoteVersion, Student
from services.records.adapters.repository import RecordsRepository
from services.records.domain.model import AccessAction, AccessOutcome
from services.records.domain.notes import (
    NoteFacts,
    NoteState,
    RowChange,
    RowContent,
    RowInput,
    VersionContent,
    require_revision,
)
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
