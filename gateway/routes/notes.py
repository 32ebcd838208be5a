"""Notes (records): written from a template, signed, amended as versions, read page by page, linked, verified."""

import json
from datetime import UTC, date, datetime
from typing import Annotated, Any

from elevhalsa.records.v1 import records_pb2 as pb
from fastapi import APIRouter, Header, Query, Response, status
from pydantic import BaseModel, Field

from gateway.routes.common import (
    BackendsDep,
    CallerDep,
    ConsistencyDep,
    Day,
    Strict,
    Uuid,
    Written,
    names_of,
    problems,
    with_token,
)
from gateway.routes.templates import TemplateMenu
from services.common.convert import date_from_proto, date_to_proto
from services.common.enums import ProtoEnum
from services.common.structs import from_value, value_for

router = APIRouter(prefix="/api/v1", tags=["notes"], responses=problems(412))

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


def answer(response: Response, reply: pb.NoteResponse) -> NoteWritten:
    """The note with its ETag header (and consistency token, after a change)."""
    response.headers["ETag"] = f'"{reply.note.revision}"'
    return NoteWritten(
        **Note.of(reply.note).model_dump(), consistency_token=with_token(response, reply.consistency_token)
    )


def expected_revision(if_match: str | None) -> int:
    """The revision an If-Match header names (its form is checked by the header's pattern); 0 (no precondition)
    when absent or `*`."""
    if not if_match or if_match.strip() == "*":
        return 0
    return int(if_match.strip().removeprefix("W/").strip('"'))


IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        pattern=r'^(\*|(W/)?"[0-9]{1,18}")$',
        description='The ETag the change is based on, e.g. `"3"`; 412 if the note has changed since.',
    ),
]
NOTES_PATH = "/students/{student_id}/folders/{folder_id}/notes"


@router.post(NOTES_PATH, status_code=status.HTTP_201_CREATED, response_model=NoteWritten)
async def write_note(
    student_id: str,
    folder_id: str,
    body: NoteIn,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
    response: Response,
):
    """A draft note from a template; every problem with the row values is listed in the 422 `errors`."""
    request = pb.WriteNoteRequest(
        student_id=student_id,
        folder_id=folder_id,
        template_id=str(body.template_id),
        content=body.to_proto(),
        consistency_token=consistency,
    )
    return answer(response, await services.call(services.records.WriteNote, request, caller))


@router.get(NOTES_PATH, response_model=Notes)
async def list_notes(
    student_id: str,
    folder_id: str,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
    cursor: Annotated[str, Query(max_length=512)] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    template_id: Uuid | None = None,
    from_date: Annotated[Day | None, Query(alias="from")] = None,
    to_date: Annotated[Day | None, Query(alias="to")] = None,
    state: NoteState | None = None,
):
    """One page of the folder's notes you may read, newest event first (403 if you may read none). Logged."""
    request = pb.ListNotesRequest(
        student_id=student_id,
        folder_id=folder_id,
        consistency_token=consistency,
        cursor=cursor,
        limit=limit,
        template_id=str(template_id or ""),
        from_date=date_to_proto(from_date),
        to_date=date_to_proto(to_date),
        state=STATES.number(state) if state else 0,
    )
    reply = await services.call(services.records.ListNotes, request, caller)
    return Response(page_json(reply), media_type="application/json")


def page_json(reply: pb.ListNotesResponse) -> str:
    """A page as the Notes model describes it, written directly: each note's header is built and checked by the
    Note model, and its rows are the JSON array records sent (a page holds a thousand rows; parsing and
    re-serialising them would cost more than the rest of the request)."""
    notes = ",".join(
        Note.of(n, rows=[]).model_dump_json(exclude={"rows"})[:-1] + ',"rows":' + (n.rows_json or "[]") + "}"
        for n in reply.notes
    )
    return f'{{"notes":[{notes}],"next_cursor":{json.dumps(reply.next_cursor or None)}}}'


@router.get("/notes/{note_id}", response_model=Note)
async def get_note(
    note_id: str, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep, response: Response
):
    """The note's current text and its links. Logged."""
    request = pb.GetNoteRequest(note_id=note_id, consistency_token=consistency)
    reply = await services.call(services.records.GetNote, request, caller)
    response.headers["ETag"] = f'"{reply.note.revision}"'
    return Note.of(reply.note)


@router.put("/notes/{note_id}", response_model=NoteWritten)
async def update_note(
    note_id: str,
    body: ContentIn,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
    response: Response,
    if_match: IfMatch = None,
):
    """Replace the content of the note's unsigned version (only its author); a signed version never changes."""
    request = pb.UpdateNoteRequest(
        note_id=note_id,
        content=body.to_proto(),
        expected_revision=expected_revision(if_match),
        consistency_token=consistency,
    )
    return answer(response, await services.call(services.records.UpdateNote, request, caller))


class Deleted(Written):
    note_deleted: bool = Field(
        description="False when only the unsigned new version of a signed note was discarded."
    )


@router.delete("/notes/{note_id}", response_model=Deleted)
async def delete_note(
    note_id: str,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
    response: Response,
    if_match: IfMatch = None,
):
    """Discard the unsigned version (the whole note if it was never signed); only its author."""
    request = pb.DeleteNoteRequest(
        note_id=note_id, expected_revision=expected_revision(if_match), consistency_token=consistency
    )
    reply = await services.call(services.records.DeleteNote, request, caller)
    return Deleted(
        note_deleted=reply.note_deleted, consistency_token=with_token(response, reply.consistency_token)
    )


@router.post("/notes/{note_id}/sign", response_model=NoteWritten)
async def sign_note(
    note_id: str,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
    response: Response,
    if_match: IfMatch = None,
):
    """Sign the unsigned version; it is immutable from then on. Needs "may sign notes" and write access."""
    request = pb.SignNoteRequest(
        note_id=note_id, expected_revision=expected_revision(if_match), consistency_token=consistency
    )
    return answer(response, await services.call(services.records.SignNote, request, caller))


@router.post("/notes/{note_id}/versions", status_code=status.HTTP_201_CREATED, response_model=NoteWritten)
async def amend_note(
    note_id: str,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
    response: Response,
    body: ContentIn | None = None,
    if_match: IfMatch = None,
):
    """Start version n+1 of a signed note as a draft: with the body's content, or a copy of the current text."""
    request = pb.AmendNoteRequest(
        note_id=note_id, expected_revision=expected_revision(if_match), consistency_token=consistency
    )
    if body is not None:
        request.content.CopyFrom(body.to_proto())
    return answer(response, await services.call(services.records.AmendNote, request, caller))


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


@router.get("/notes/{note_id}/history", response_model=NoteHistory)
async def note_history(note_id: str, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep):
    """Every version, oldest first, with its author, signer, times and the rows that changed. Logged."""
    request = pb.GetNoteHistoryRequest(note_id=note_id, consistency_token=consistency)
    reply = await services.call(services.records.GetNoteHistory, request, caller)
    return NoteHistory(
        note_id=reply.note_id,
        state=STATES.name(reply.state),
        versions=[version_of(v) for v in reply.versions],
    )


class LinkIn(Strict):
    follows_up: Uuid = Field(description="The note (of the same student) this note follows up.")


@router.post("/notes/{note_id}/links", status_code=status.HTTP_201_CREATED, response_model=NoteWritten)
async def link_notes(
    note_id: str,
    body: LinkIn,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
    response: Response,
):
    """Mark the note as the follow-up of another note of the same student; both ends show the link."""
    request = pb.LinkNotesRequest(
        note_id=note_id, follows_up=str(body.follows_up), consistency_token=consistency
    )
    return answer(response, await services.call(services.records.LinkNotes, request, caller))


class ChainBreak(BaseModel):
    note_id: str | None
    version: int
    position: int
    problem: str


class FolderVerification(BaseModel):
    intact: bool
    signed_versions: int
    breaks: list[ChainBreak]


@router.get("/students/{student_id}/folders/{folder_id}/verify", response_model=FolderVerification)
async def verify_folder(
    student_id: str, folder_id: str, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep
):
    """Recompute the hash chain of the folder's signed versions and name every break. Logged."""
    request = pb.VerifyFolderRequest(
        student_id=student_id, folder_id=folder_id, consistency_token=consistency
    )
    reply = await services.call(services.records.VerifyFolder, request, caller)
    return FolderVerification(
        intact=reply.intact,
        signed_versions=reply.signed_versions,
        breaks=[
            ChainBreak(note_id=b.note_id or None, version=b.version, position=b.position, problem=b.problem)
            for b in reply.breaks
        ],
    )


class PrefilledRow(BaseModel):
    row_id: str
    value: Any
    source_note_id: str
    source_event_date: date | None


class Prefill(BaseModel):
    rows: list[PrefilledRow]


@router.get(
    "/students/{student_id}/folders/{folder_id}/templates/{template_id}/prefill", response_model=Prefill
)
async def prefill_note(
    student_id: str,
    folder_id: str,
    template_id: str,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
):
    """The values a new note of the template starts with, from the student's latest signed notes you may read."""
    request = pb.PrefillNoteRequest(
        student_id=student_id, folder_id=folder_id, template_id=template_id, consistency_token=consistency
    )
    reply = await services.call(services.records.PrefillNote, request, caller)
    return Prefill(
        rows=[
            PrefilledRow(
                row_id=r.row_id,
                value=from_value(r.value),
                source_note_id=r.source_note_id,
                source_event_date=date_from_proto(r.source_event_date, "source_event_date"),
            )
            for r in reply.rows
        ]
    )


class WritableTemplates(BaseModel):
    menus: list[TemplateMenu] = Field(description="The menus of the grants that let you write here, by name.")
    any_template: bool = Field(description="No such grant names a menu: every active template may be used.")


@router.get("/students/{student_id}/folders/{folder_id}/templates", response_model=WritableTemplates)
async def writable_templates(
    student_id: str, folder_id: str, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep
):
    """The template menus you write with in this folder of this student: the union over your assignments."""
    request = pb.ListWritableTemplatesRequest(
        student_id=student_id, folder_id=folder_id, consistency_token=consistency
    )
    reply = await services.call(services.records.ListWritableTemplates, request, caller)
    return WritableTemplates(menus=[TemplateMenu.of(m) for m in reply.menus], any_template=reply.any_template)
