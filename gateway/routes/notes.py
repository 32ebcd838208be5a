"""Notes (records): written from a template, signed, amended as versions, read page by page, linked, verified."""

from typing import Annotated

from elevhalsa.records.v1 import records_pb2 as pb
from fastapi import APIRouter, Header, Query, Response, status

from gateway.routes.common import (
    BackendsDep,
    CallerDep,
    ConsistencyDep,
    Day,
    Uuid,
    problems,
    with_token,
)
from gateway.routes.note_models import (
    STATES,
    ChainBreak,
    ContentIn,
    Deleted,
    FolderVerification,
    LinkIn,
    Note,
    NoteHistory,
    NoteIn,
    Notes,
    NoteState,
    NoteWritten,
    Prefill,
    PrefilledRow,
    WritableTemplates,
    page_json,
    version_of,
)
from gateway.routes.templates import TemplateMenu
from services.common.convert import date_from_proto, date_to_proto
from services.common.structs import from_value

router = APIRouter(prefix="/api/v1", tags=["notes"], responses=problems(412))


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
