"""Notes and their versions, free of I/O: states, what may be done to a note, the hash chain, the history.

A note is written as a draft (version 1). Signing makes a version immutable. Amending a signed note writes
version n+1 as a draft; once it is signed it becomes the note's current text and the note is "changed"
(ändrad). Signed versions form a hash chain per student folder, so a change made behind the service's back
(a database superuser editing a row) is found by recomputing the chain.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from services.common.errors import Conflict, FieldProblem, InvalidFields, PermissionDenied, PreconditionFailed
from services.records.domain.rows import RowType, TemplateRow, check_value


class VersionStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"


class NoteState(StrEnum):
    """What a reader sees: never signed (osignerad), signed, or signed and later amended (ändrad)."""

    DRAFT = "draft"
    SIGNED = "signed"
    CHANGED = "changed"


def state_after_signing(version: int) -> NoteState:
    """The note's state once `version` is signed."""
    return NoteState.SIGNED if version == 1 else NoteState.CHANGED


@dataclass(frozen=True)
class NoteFacts:
    """What the rules about one note need to know."""

    author_id: str
    state: NoteState
    current_version: int
    latest_version: int
    latest_author_id: str
    revision: int

    @property
    def has_draft(self) -> bool:
        """A version not yet signed exists: the first draft or a pending amendment."""
        return self.state is NoteState.DRAFT or self.latest_version > self.current_version


def require_revision(note: NoteFacts, expected: int | None) -> None:
    """The caller's copy must still be current when it names the revision it was based on (If-Match)."""
    if expected is not None and expected != note.revision:
        raise PreconditionFailed(
            "the note has changed since you read it; read it again and redo your change", field="If-Match"
        )


def require_draft_author(note: NoteFacts, user_id: str, doing: str) -> None:
    """Only the author of the unsigned version may edit or delete it."""
    if not note.has_draft:
        raise Conflict("the note is signed; a signed note is never changed, amend it with a new version")
    if note.latest_author_id != user_id:
        raise PermissionDenied(f"only the author of an unsigned version may {doing} it")


def require_signable(note: NoteFacts) -> None:
    if not note.has_draft:
        raise Conflict("the note has no unsigned version to sign")


def require_amendable(note: NoteFacts, user_id: str, *, prevent_own: bool) -> None:
    """A signed note without a pending amendment; its author may be barred by the organisation's setting."""
    if note.state is NoteState.DRAFT:
        raise Conflict("the note has never been signed; edit the draft instead of amending it")
    if note.has_draft:
        raise Conflict("the note already has an unsigned new version; edit or sign that one")
    if prevent_own and note.author_id == user_id:
        raise PermissionDenied("the organisation does not allow amending notes you wrote yourself")


@dataclass(frozen=True)
class RowContent:
    position: int
    template_row_id: str | None
    heading: str
    row_type: str
    value: Any


@dataclass(frozen=True)
class VersionContent:
    """Everything a signed version says; its hash covers all of it."""

    note_id: str
    version: int
    student_id: str
    folder_id: str
    template_version_id: str | None
    author_id: str
    responsible_user_id: str | None
    event_date: date
    contact_type_id: str | None
    signed_by: str
    signed_at: datetime
    rows: tuple[RowContent, ...] = field(default=())


def canonical(content: VersionContent) -> bytes:
    """A byte string that changes whenever any part of the version does (sorted keys, no spaces)."""
    document = {
        "note_id": content.note_id,
        "version": content.version,
        "student_id": content.student_id,
        "folder_id": content.folder_id,
        "template_version_id": content.template_version_id,
        "author_id": content.author_id,
        "responsible_user_id": content.responsible_user_id,
        "event_date": content.event_date.isoformat(),
        "contact_type_id": content.contact_type_id,
        "signed_by": content.signed_by,
        "signed_at": content.signed_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "rows": [
            [r.position, r.template_row_id, r.heading, r.row_type, r.value]
            for r in sorted(content.rows, key=lambda r: r.position)
        ],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(content: VersionContent, previous_hash: str) -> str:
    """SHA-256 over the previous link's hash and the version's canonical content."""
    return hashlib.sha256(previous_hash.encode() + b"\n" + canonical(content)).hexdigest()


@dataclass(frozen=True)
class ChainLink:
    """One signed version as stored: its content, its place in the folder's chain and the hashes kept with it."""

    content: VersionContent
    position: int
    previous_hash: str
    content_hash: str


@dataclass(frozen=True)
class ChainBreak:
    note_id: str
    version: int
    position: int
    problem: str


def verify_chain(links: Sequence[ChainLink], length: int, head_hash: str) -> list[ChainBreak]:
    """Every place where the stored chain does not match what recomputing it gives.

    `length` and `head_hash` are the folder's chain head, kept apart from the versions, so a removed last
    entry shows too.
    """
    breaks: list[ChainBreak] = []
    expected_previous = ""
    links = sorted(links, key=lambda k: k.position)
    for expected_position, link in enumerate(links, start=1):
        c = link.content
        if link.position != expected_position:
            breaks.append(
                ChainBreak(c.note_id, c.version, link.position, "an entry before this one is missing")
            )
        if link.previous_hash != expected_previous:
            breaks.append(
                ChainBreak(
                    c.note_id, c.version, link.position, "the link to the previous entry does not match"
                )
            )
        if chain_hash(c, link.previous_hash) != link.content_hash:
            breaks.append(
                ChainBreak(c.note_id, c.version, link.position, "the content does not match its signed hash")
            )
        expected_previous = link.content_hash
    if len(links) != length:
        breaks.append(
            ChainBreak(
                "", 0, length, f"the folder's chain has {length} signed entries but {len(links)} were found"
            )
        )
    elif expected_previous != head_hash:
        last = links[-1].content
        breaks.append(
            ChainBreak(last.note_id, last.version, length, "the last entry does not match the chain head")
        )
    return breaks


@dataclass(frozen=True)
class RowChange:
    position: int
    heading: str
    before: Any
    after: Any


def changed_rows(before: Sequence[RowContent], after: Sequence[RowContent]) -> list[RowChange]:
    """The rows whose value differs between two versions, matched by template row (or position)."""

    def key(row: RowContent):
        return row.template_row_id or f"#{row.position}"

    old = {key(r): r for r in before}
    new = {key(r): r for r in after}
    changes = []
    for k in list(new) + [k for k in old if k not in new]:
        was, now = old.get(k), new.get(k)
        if was is not None and now is not None and was.value == now.value and was.heading == now.heading:
            continue
        shown = now or was
        changes.append(
            RowChange(
                shown.position,
                shown.heading,
                was.value if was else None,
                now.value if now else None,
            )
        )
    return sorted(changes, key=lambda c: c.position)


@dataclass(frozen=True)
class RowInput:
    row_id: str
    value: Any


def fill_rows(template_rows: Sequence[TemplateRow], given: Sequence[RowInput]) -> list[RowContent]:
    """Every row of the template with its checked value (None when left empty); InvalidFields lists every
    problem of the body at once, each at its place in the body (`rows[3].value`)."""
    known = {row.id: row for row in template_rows}
    problems: list[FieldProblem] = []
    given_at: dict[str, tuple[int, Any]] = {}
    for index, item in enumerate(given):
        if item.row_id not in known:
            problems.append(
                FieldProblem(f"rows[{index}].row_id", "is not a row of the note's template", "unknown_row")
            )
        elif item.row_id in given_at:
            problems.append(FieldProblem(f"rows[{index}].row_id", "is given more than once", "duplicate"))
        else:
            given_at[item.row_id] = (index, item.value)
    filled = []
    for position, row in enumerate(template_rows):
        index, value = given_at.get(row.id, (None, None))
        field = f"rows[{index}].value" if index is not None else "rows"
        checked, found = check_value(row, value, field)
        problems.extend(found)
        filled.append(RowContent(position, row.id, row.heading, str(row.row_type), checked))
    if problems:
        raise InvalidFields(problems)
    return filled


def recipient_ids(rows: Sequence[RowContent]) -> set[str]:
    """The address-book entries the note's recipient rows name."""
    return {row.value["entry_id"] for row in rows if row.row_type == RowType.RECIPIENT and row.value}


def with_recipients(
    rows: Sequence[RowContent], entries: Mapping[str, dict | None], given: Sequence[RowInput]
) -> list[RowContent]:
    """Recipient rows keep a snapshot of their address-book entry, so the note reads the same after the entry
    changes; an unknown or removed entry is a problem of the body."""
    index_of = {item.row_id: index for index, item in enumerate(given)}
    problems = []
    result = []
    for row in rows:
        if row.row_type == RowType.RECIPIENT and row.value:
            snapshot = entries.get(row.value["entry_id"])
            if snapshot is None:
                field = f"rows[{index_of.get(row.template_row_id, 0)}].value"
                problems.append(
                    FieldProblem(field, f"{row.heading}: no such address book entry", "unknown_entry")
                )
                continue
            row = replace(row, value={"entry_id": row.value["entry_id"], **snapshot})
        result.append(row)
    if problems:
        raise InvalidFields(problems)
    return result
