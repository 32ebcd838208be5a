"""Records' queries and writes of memory notes: always of one author, so another user's is simply not found."""

import uuid

from sqlalchemy import delete

from services.common.errors import NotFound
from services.common.repository import TenantRepository
from services.records.adapters.orm import MemoryNote


class MemoryNoteQueries(TenantRepository):
    async def memory_note(
        self,
        author_id: uuid.UUID,
        student_id: uuid.UUID,
        memory_note_id: uuid.UUID,
        *,
        for_update: bool = False,
    ) -> MemoryNote:
        """The author's memory note about the student, or NotFound naming memory_note_id; `for_update` locks it."""
        query = self.select_of(MemoryNote).where(
            MemoryNote.author_id == author_id,
            MemoryNote.student_id == student_id,
            MemoryNote.id == memory_note_id,
        )
        found = await self.session.scalar(query.with_for_update() if for_update else query)
        if found is None:
            raise NotFound("memory note not found", field="memory_note_id")
        return found

    async def memory_notes(self, author_id: uuid.UUID, student_id: uuid.UUID) -> list[MemoryNote]:
        """The author's memory notes about the student, newest first."""
        query = self.select_of(MemoryNote).where(
            MemoryNote.author_id == author_id, MemoryNote.student_id == student_id
        )
        return await self.all(query.order_by(MemoryNote.created_at.desc(), MemoryNote.id.desc()))

    async def remove_memory_note(self, memory_note: MemoryNote) -> None:
        """Delete the row: memory notes keep no history."""
        await self.session.execute(
            delete(MemoryNote).where(MemoryNote.org_id == self.org_id, MemoryNote.id == memory_note.id)
        )
