"""Records queries, all scoped by organisation."""

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import NotFound
from services.records.adapters.orm import Folder, Note, NoteRow, Student


class RecordsRepository:
    def __init__(self, session: AsyncSession, org_id: uuid.UUID):
        self.session = session
        self.org_id = org_id

    def add(self, row) -> None:
        self.session.add(row)

    async def student(self, student_id: uuid.UUID) -> Student:
        query = select(Student).where(Student.id == student_id, Student.org_id == self.org_id)
        student = await self.session.scalar(query)
        if student is None:
            raise NotFound("student not found", field="student_id")
        return student

    async def folder(self, folder_id: uuid.UUID) -> Folder:
        query = select(Folder).where(Folder.id == folder_id, Folder.org_id == self.org_id)
        folder = await self.session.scalar(query)
        if folder is None:
            raise NotFound("folder not found", field="folder_id")
        return folder

    async def folders(self) -> list[Folder]:
        query = select(Folder).where(Folder.org_id == self.org_id).order_by(Folder.name)
        return list(await self.session.scalars(query))

    async def folder_named(self, name: str) -> Folder | None:
        return await self.session.scalar(
            select(Folder).where(Folder.org_id == self.org_id, Folder.name == name)
        )

    async def student_at_unit(self, unit_id: uuid.UUID, personnummer: str) -> Student | None:
        query = select(Student).where(
            Student.org_id == self.org_id, Student.unit_id == unit_id, Student.personnummer == personnummer
        )
        return await self.session.scalar(query)

    async def insert_student(self, student: Student) -> bool:
        """Insert unless the unit has the personnummer already (race-free: no check-then-insert)."""
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
            select(Note)
            .where(Note.org_id == self.org_id, Note.student_id == student_id, Note.folder_id == folder_id)
            .order_by(Note.event_date.desc(), Note.created_at.desc(), Note.id)
        )
        return list(await self.session.scalars(query))

    async def rows_of(self, note_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[NoteRow]]:
        rows: dict[uuid.UUID, list[NoteRow]] = {note_id: [] for note_id in note_ids}
        if note_ids:
            query = (
                select(NoteRow)
                .where(NoteRow.note_id.in_(note_ids))
                .order_by(NoteRow.note_id, NoteRow.position)
            )
            for row in await self.session.scalars(query):
                rows[row.note_id].append(row)
        return rows
