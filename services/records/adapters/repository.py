"""The one way in to records' tables: queries and writes of one organisation, by area."""

import uuid

from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.records.adapters.case_type_queries import CaseTypeQueries
from services.records.adapters.memory_note_queries import MemoryNoteQueries
from services.records.adapters.note_queries import NoteQueries
from services.records.adapters.orm import (
    AccessLogEntry,
    Folder,
    Student,
)
from services.records.adapters.post_it_queries import PostItQueries
from services.records.adapters.school_queries import SchoolQueries
from services.records.adapters.template_queries import TemplateQueries


class RecordsRepository(
    NoteQueries, TemplateQueries, SchoolQueries, PostItQueries, CaseTypeQueries, MemoryNoteQueries
):
    """Students, folders and the access log; notes, templates, the school, post-its, case types and memory notes
    through the mixins."""

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

    def append_to_access_log(self, entry: AccessLogEntry) -> None:
        """Stage an access-log row; it is committed with the read or refusal it records."""
        self.add(entry)
