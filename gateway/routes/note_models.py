"""The bodies of the notes API: what a client sends and what it gets back, built from records' messages."""

import json
from datetime import UTC, date, datetime
from typing import Any

from elevhalsa.records.v1 import records_pb2 as pb
from pydantic import BaseModel, Field

from gateway.routes.common import (
    Day,
    Strict,
    Uuid,
    Written,
    names_of,
)
from gateway.routes.templates import TemplateMenu
from services.common.convert import date_from_proto, date_to_proto
from services.common.enums import ProtoEnum
from services.common.structs import from_value, value_for

STATES = ProtoEnum(pb.NoteState)


ROW_TYPES = ProtoEnum(pb.RowType)


DIRECTIONS = ProtoEnum(pb.LinkDirection)


NoteState = names_of(STATES)


RowType = names_of(ROW_TYPES)


LinkDirection = names_of(DIRECTIONS)


MAX_BODY_ROWS = 100


class RowIn(Strict):
    row_id: str = Field(max_length=64, description="The template row the value is for.")
    value: Any = Field(None, description="The value, in the format of the row's type (see docs/api.md).")


class ContentIn(Strict):
    event_date: Day | None = Field(None, description="The day the documented event happened; default today.")
    responsible_user_id: Uuid | None = None
    contact_type_id: Uuid | None = None
    rows: list[RowIn] = Field(default_factory=list, max_length=MAX_BODY_ROWS)

    def to_proto(self) -> pb.NoteContent:
        return pb.NoteContent(
            event_date=date_to_proto(self.event_date),
            responsible_user_id=str(self.responsible_user_id or ""),
            contact_type_id=str(self.contact_type_id or ""),
            rows=[
                pb.RowInput(row_id=r.row_id, value=value_for(r.value, f"rows[{i}].value"))
                for i, r in enumerate(self.rows)
            ],
        )


class NoteIn(ContentIn):
    template_id: Uuid


class NoteRow(BaseModel):
    position: int
    row_id: str | None
    heading: str
    type: RowType
    value: Any


def rows_of(rows_json: str) -> list[NoteRow]:
    """The rows records sends as one JSON array (see the Note message)."""
    return [NoteRow(**row) for row in json.loads(rows_json or "[]")]


class NoteLink(BaseModel):
    note_id: str
    direction: LinkDirection
    readable: bool = Field(
        description="Whether you may read the linked note; its summary is shown only then."
    )
    folder_id: str | None = None
    event_date: date | None = None
    state: NoteState | None = None
    heading: str | None = None


def when(ts, present: bool) -> datetime | None:
    return ts.ToDatetime(tzinfo=UTC) if present else None


def opt(value: str) -> str | None:
    return value or None


class Note(BaseModel):
    id: str
    student_id: str
    folder_id: str
    author_id: str
    created_at: datetime
    event_date: date | None
    state: NoteState = Field(
        description="draft (osignerad), signed, or changed (ändrad: a later version is signed)."
    )
    template_id: str | None
    template_version_id: str | None
    version: int = Field(description="The version shown: the latest signed one, or the first draft.")
    version_author_id: str
    responsible_user_id: str | None
    contact_type_id: str | None
    signed_by: str | None
    signed_at: datetime | None
    pending_version: int | None = Field(description="An unsigned new version, if one is being written.")
    revision: int = Field(description="Changes with every change of the note; the ETag.")
    case_id: str | None
    rows: list[NoteRow]
    links: list[NoteLink]

    @classmethod
    def of(cls, n: pb.Note, rows: list[NoteRow] | None = None) -> "Note":
        return cls(
            id=n.id,
            student_id=n.student_id,
            folder_id=n.folder_id,
            author_id=n.author_id,
            created_at=n.created_at.ToDatetime(tzinfo=UTC),
            event_date=date_from_proto(n.event_date, "event_date"),
            state=STATES.name(n.state),
            template_id=opt(n.template_id),
            template_version_id=opt(n.template_version_id),
            version=n.version,
            version_author_id=n.version_author_id,
            responsible_user_id=opt(n.responsible_user_id),
            contact_type_id=opt(n.contact_type_id),
            signed_by=opt(n.signed_by),
            signed_at=when(n.signed_at, n.HasField("signed_at")),
            pending_version=n.pending_version or None,
            revision=n.revision,
            case_id=opt(n.case_id),
            rows=rows_of(n.rows_json) if rows is None else rows,
            links=[link_of(link) for link in n.links],
        )


def link_of(link: pb.NoteLink) -> NoteLink:
    summary = (
        {
            "folder_id": link.folder_id,
            "event_date": date_from_proto(link.event_date, "event_date"),
            "state": STATES.name(link.state),
            "heading": link.heading,
        }
        if link.readable
        else {}
    )
    return NoteLink(
        note_id=link.note_id, direction=DIRECTIONS.name(link.direction), readable=link.readable, **summary
    )


class NoteWritten(Note, Written):
    pass


class Notes(BaseModel):
    notes: list[Note]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


def page_json(reply: pb.ListNotesResponse) -> str:
    """A page as the Notes model describes it, written directly: each note's header is built and checked by the
    Note model, and its rows are the JSON array records sent (a page holds a thousand rows; parsing and
    re-serialising them would cost more than the rest of the request)."""
    notes = ",".join(
        Note.of(n, rows=[]).model_dump_json(exclude={"rows"})[:-1] + ',"rows":' + (n.rows_json or "[]") + "}"
        for n in reply.notes
    )
    return f'{{"notes":[{notes}],"next_cursor":{json.dumps(reply.next_cursor or None)}}}'


class Deleted(Written):
    note_deleted: bool = Field(
        description="False when only the unsigned new version of a signed note was discarded."
    )


class RowChange(BaseModel):
    position: int
    heading: str
    before: Any
    after: Any


class NoteVersion(BaseModel):
    version: int
    signed: bool
    author_id: str
    created_at: datetime
    updated_at: datetime
    signed_by: str | None
    signed_at: datetime | None
    event_date: date | None
    responsible_user_id: str | None
    contact_type_id: str | None
    template_version_id: str | None
    content_hash: str | None = Field(
        description="SHA-256 (hex) of a signed version's content and its chain link."
    )
    rows: list[NoteRow]
    changes: list[RowChange] = Field(description="The rows that differ from the version before.")


class NoteHistory(BaseModel):
    note_id: str
    state: NoteState
    versions: list[NoteVersion]


def version_of(v: pb.NoteVersion) -> NoteVersion:
    return NoteVersion(
        version=v.version,
        signed=v.signed,
        author_id=v.author_id,
        created_at=v.created_at.ToDatetime(tzinfo=UTC),
        updated_at=v.updated_at.ToDatetime(tzinfo=UTC),
        signed_by=opt(v.signed_by),
        signed_at=when(v.signed_at, v.HasField("signed_at")),
        event_date=date_from_proto(v.event_date, "event_date"),
        responsible_user_id=opt(v.responsible_user_id),
        contact_type_id=opt(v.contact_type_id),
        template_version_id=opt(v.template_version_id),
        content_hash=opt(v.content_hash),
        rows=rows_of(v.rows_json),
        changes=[
            RowChange(
                position=c.position,
                heading=c.heading,
                before=from_value(c.before),
                after=from_value(c.after),
            )
            for c in v.changes
        ],
    )


class LinkIn(Strict):
    follows_up: Uuid = Field(description="The note (of the same student) this note follows up.")


class ChainBreak(BaseModel):
    note_id: str | None
    version: int
    position: int
    problem: str


class FolderVerification(BaseModel):
    intact: bool
    signed_versions: int
    breaks: list[ChainBreak]


class PrefilledRow(BaseModel):
    row_id: str
    value: Any
    source_note_id: str
    source_event_date: date | None


class Prefill(BaseModel):
    rows: list[PrefilledRow]


class WritableTemplates(BaseModel):
    menus: list[TemplateMenu] = Field(description="The menus of the grants that let you write here, by name.")
    any_template: bool = Field(description="No such grant names a menu: every active template may be used.")
