"""Records' tables, in the `records` schema."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import kit_tables, make_metadata

SCHEMA = "records"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)
    type_annotation_map = {
        uuid.UUID: UUID(as_uuid=True),
        str: Text,
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSONB,
    }


KIT = kit_tables(Base.metadata)


class Folder(Base):
    __tablename__ = "folders"
    __table_args__ = (Index("uq_folders_org_id_name", "org_id", "name", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    org_id: Mapped[uuid.UUID]
    name: Mapped[str]
    group_notes_allowed: Mapped[bool] = mapped_column(server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Student(Base):
    __tablename__ = "students"
    __table_args__ = (
        Index("uq_students_org_id_unit_id_personnummer", "org_id", "unit_id", "personnummer", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    org_id: Mapped[uuid.UUID]
    unit_id: Mapped[uuid.UUID]
    personnummer: Mapped[str]
    first_name: Mapped[str]
    last_name: Mapped[str]
    protected_identity: Mapped[bool] = mapped_column(server_default=text("false"))
    archived: Mapped[bool] = mapped_column(server_default=text("false"))
    never_archive: Mapped[bool] = mapped_column(server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Note(Base):
    __tablename__ = "notes"
    __table_args__ = (Index("ix_notes_org_id_student_id_folder_id", "org_id", "student_id", "folder_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    org_id: Mapped[uuid.UUID]
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("students.id"))
    folder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("folders.id"))
    author_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    event_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str]
    signed_by: Mapped[uuid.UUID | None]
    signed_at: Mapped[datetime | None]
    case_id: Mapped[uuid.UUID | None]
    visible_to_case_members: Mapped[bool] = mapped_column(server_default=text("false"))


class NoteRow(Base):
    __tablename__ = "note_rows"
    __table_args__ = (PrimaryKeyConstraint("note_id", "position"),)

    note_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notes.id"))
    position: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str]
    row_type: Mapped[str]
    value: Mapped[dict[str, Any]]


class AccessLogEntry(Base):
    """Every read of student data and every denied attempt. Append-only (a trigger refuses changes)."""

    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_org_id_student_id_at", "org_id", "student_id", "at"),
        Index("ix_access_log_org_id_user_id_at", "org_id", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    org_id: Mapped[uuid.UUID]
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    user_id: Mapped[uuid.UUID]
    student_id: Mapped[uuid.UUID]
    folder_id: Mapped[uuid.UUID | None]
    unit_id: Mapped[uuid.UUID]
    action: Mapped[str]
    outcome: Mapped[str]
    reason: Mapped[str]
    note_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    trace_id: Mapped[str]
