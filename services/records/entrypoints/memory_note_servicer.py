"""Memory notes between records' gRPC messages and their handlers."""

from elevhalsa.records.v1 import records_pb2 as pb

from services.common.auth import current_caller
from services.common.convert import parse_id, timestamp
from services.records.adapters.orm import MemoryNote
from services.records.service_layer import memory_notes


class MemoryNoteServicer:
    """The memory-note RPCs of RecordsServicer (which provides the units of work, authz and identity)."""

    async def ListMemoryNotes(self, request, context):
        student_id = parse_id(request.student_id, "student_id", "student")
        found = await memory_notes.list_memory_notes(
            self._units, current_caller(), self._authz, self._identity, student_id, request.consistency_token
        )
        return pb.ListMemoryNotesResponse(memory_notes=[memory_note_to_proto(n) for n in found])

    async def CreateMemoryNote(self, request, context):
        student_id = parse_id(request.student_id, "student_id", "student")
        created = await memory_notes.create_memory_note(
            self._units,
            current_caller(),
            self._authz,
            self._identity,
            student_id,
            request.text,
            request.consistency_token,
        )
        return memory_note_to_proto(created)

    async def UpdateMemoryNote(self, request, context):
        student_id = parse_id(request.student_id, "student_id", "student")
        memory_note_id = parse_id(request.memory_note_id, "memory_note_id", "memory note")
        updated = await memory_notes.update_memory_note(
            self._units,
            current_caller(),
            self._authz,
            self._identity,
            student_id,
            memory_note_id,
            request.text,
            request.consistency_token,
        )
        return memory_note_to_proto(updated)

    async def DeleteMemoryNote(self, request, context):
        student_id = parse_id(request.student_id, "student_id", "student")
        memory_note_id = parse_id(request.memory_note_id, "memory_note_id", "memory note")
        await memory_notes.delete_memory_note(
            self._units,
            current_caller(),
            self._authz,
            self._identity,
            student_id,
            memory_note_id,
            request.consistency_token,
        )
        return pb.DeleteMemoryNoteResponse()


def memory_note_to_proto(memory_note: MemoryNote) -> pb.MemoryNote:
    return pb.MemoryNote(
        id=str(memory_note.id),
        student_id=str(memory_note.student_id),
        text=memory_note.text,
        created_at=timestamp(memory_note.created_at),
        updated_at=timestamp(memory_note.updated_at),
    )
