"""Memory notes (records): the caller's own notes about a student (minnesanteckningar). They need the organisation
setting memory_notes_allowed and the caller's use_memory_notes flag (else 403 naming which), and the caller must
be allowed to see the student. Another user's memory note answers 404, whoever asks (administrators too)."""

from datetime import UTC, datetime

from elevhalsa.records.v1 import records_pb2 as pb
from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from gateway.routes.common import BackendsDep, CallerDep, ConsistencyDep, Strict
from gateway.routes.post_its import Text
from services.records.domain.post_its import MAX_TEXT

router = APIRouter(prefix="/api/v1", tags=["memory-notes"])

NOTES = "/students/{student_id}/memory-notes"
ONE = NOTES + "/{memory_note_id}"


class MemoryNoteIn(Strict):
    text: Text = Field(description=f"1–{MAX_TEXT:,} characters, not only white space.")


class MemoryNote(BaseModel):
    id: str
    student_id: str
    text: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, n: pb.MemoryNote) -> "MemoryNote":
        return cls(
            id=n.id,
            student_id=n.student_id,
            text=n.text,
            created_at=n.created_at.ToDatetime(tzinfo=UTC),
            updated_at=n.updated_at.ToDatetime(tzinfo=UTC),
        )


class MemoryNotes(BaseModel):
    memory_notes: list[MemoryNote]


@router.get(NOTES, response_model=MemoryNotes)
async def list_memory_notes(
    student_id: str, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep
):
    """The caller's own memory notes about the student, newest first."""
    request = pb.ListMemoryNotesRequest(student_id=student_id, consistency_token=consistency)
    reply = await services.call(services.records.ListMemoryNotes, request, caller)
    return MemoryNotes(memory_notes=[MemoryNote.of(n) for n in reply.memory_notes])


@router.post(NOTES, status_code=status.HTTP_201_CREATED, response_model=MemoryNote)
async def create_memory_note(
    student_id: str, body: MemoryNoteIn, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep
):
    request = pb.CreateMemoryNoteRequest(student_id=student_id, text=body.text, consistency_token=consistency)
    return MemoryNote.of(await services.call(services.records.CreateMemoryNote, request, caller))


@router.patch(ONE, response_model=MemoryNote)
async def update_memory_note(
    student_id: str,
    memory_note_id: str,
    body: MemoryNoteIn,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
):
    """Replace the text; no earlier text is kept."""
    request = pb.UpdateMemoryNoteRequest(
        student_id=student_id, memory_note_id=memory_note_id, text=body.text, consistency_token=consistency
    )
    return MemoryNote.of(await services.call(services.records.UpdateMemoryNote, request, caller))


@router.delete(ONE, status_code=status.HTTP_204_NO_CONTENT)
async def delete_memory_note(
    student_id: str,
    memory_note_id: str,
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
):
    """Remove it without trace."""
    request = pb.DeleteMemoryNoteRequest(
        student_id=student_id, memory_note_id=memory_note_id, consistency_token=consistency
    )
    await services.call(services.records.DeleteMemoryNote, request, caller)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
