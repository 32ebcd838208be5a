"""The one way in to records' tables: queries and writes of one organisation."""

import uuid

from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.common.repository import TenantRepository
from services.records.adapters.orm import AccessLogEntry, Folder, Note, NoteRow, Student


class RecordsRepository(TenantRepository):
    async def student(self, student_id: uuid.UUID) -> Student:
        return await self.one(Student, student_id, what="student", field="student_id")

    async def folder(self, folder_id: uuid.UUID) -> Folder:
        return await self.one(Folder, folder_id, what="folder", field="folder_id")

    async def folders(self) -> list[Folder]:
        return await self.all(self.select_of(Folder).order_by(Folder.name))

    async def folder_named(self, name: str) -> Folder | None:
        return await self.session.scalar(self.select_of(Folder).where(Folder.name == name))

    async def student_at_unit(self, unit_id: uuid.UUID, personnummer: str) -> Student | None:
        query = self.select_of(Student).where(
            Student.unit_id == unit_id, Student.personnummer == personnummer
        )
        return await self.session.scalar(query)

    async def insert_student(self, student: Student) -> bool:
        """Insert unless the unit has the personnummer already (race-free: no check-then-insert)."""
        self._check_tenant(student)
        values = {
            c.name: getattr(student, c.key)
            for c in Student.__table__.columns
            if getattr(student, c.key) is not None
        }
        inserted = await self.session.scalar(
            pg_insert(Student).values(values).on_conflict_do_nothing().returning(Student.id)
        )
        return inserted is not None

    async def note_headers(self, student_id: uuid.UUID, folder_id: uuid.UUID) -> list[Note]:
        """The student's notes in the folder, newest event first."""
        query = (
            self.select_of(Note)
            .where(Note.student_id == student_id, Note.folder_id == folder_id)
            .order_by(Note.event_date.desc(), Note.created_at.desc(), Note.id)
        )
        return await self.all(query)

    async def rows_of(self, note_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[NoteRow]]:
        """The rows of each note, in order."""
        rows: dict[uuid.UUID, list[NoteRow]] = {note_id: [] for note_id in note_ids}
        if note_ids:
            query = (
                self.select_of(NoteRow)
                .where(NoteRow.note_id.in_(note_ids))
                .order_by(NoteRow.note_id, NoteRow.position)
            )
            for row in await self.all(query):
                rows[row.note_id].append(row)
        return rows

    async def add_note(self, note: Note, rows: list[NoteRow]) -> None:
        """Stage a note and its rows (the note first: its rows reference it)."""
        self.add(note)
        await self.flush()
        self.add_all(rows)

    def append_to_access_log(self, entry: AccessLogEntry) -> None:
        """Stage an access-log row; it is committed with the read or refusal it records."""
        self.add(entry)
