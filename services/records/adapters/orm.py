"""Records' tables, in the `records` schema."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, Index, PrimaryKeyConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from services.common.orm import TenantMixin, declarative_base, tenant_key, tenant_reference

SCHEMA = "records"

Base, KIT = declarative_base(SCHEMA)


class Folder(TenantMixin, Base):
    __tablename__ = "folders"
    __table_args__ = (tenant_key(), Index("uq_folders_org_id_name", "org_id", "name", unique=True))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str]
    group_notes_allowed: Mapped[bool] = mapped_column(server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Student(TenantMixin, Base):
    __tablename__ = "students"
    __table_args__ = (
        tenant_key(),
        Index("uq_students_org_id_unit_id_personnummer", "org_id", "unit_id", "personnummer", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    unit_id: Mapped[uuid.UUID]
    personnummer: Mapped[str]
    first_name: Mapped[str]
    last_name: Mapped[str]
    protected_identity: Mapped[bool] = mapped_column(server_default=text("false"))
    archived: Mapped[bool] = mapped_column(server_default=text("false"))
    never_archive: Mapped[bool] = mapped_column(server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Note(TenantMixin, Base):
    __tablename__ = "notes"
    __table_args__ = (
        tenant_key(),
        tenant_reference("student_id", "students"),
        tenant_reference("folder_id", "folders"),
        Index("ix_notes_org_id_student_id_folder_id", "org_id", "student_id", "folder_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    student_id: Mapped[uuid.UUID]
    folder_id: Mapped[uuid.UUID]
    author_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    event_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str]
    signed_by: Mapped[uuid.UUID | None]
    signed_at: Mapped[datetime | None]
    case_id: Mapped[uuid.UUID | None]
    visible_to_case_members: Mapped[bool] = mapped_column(server_default=text("false"))


class NoteRow(TenantMixin, Base):
    __tablename__ = "note_rows"
    __table_args__ = (PrimaryKeyConstraint("note_id", "position"), tenant_reference("note_id", "notes"))

    note_id: Mapped[uuid.UUID]
    position: Mapped[int]
    heading: Mapped[str]
    row_type: Mapped[str]
    value: Mapped[dict[str, Any]]


class AccessLogEntry(TenantMixin, Base):
    """Every read of student data and every denied attempt. Append-only (a trigger refuses changes).

    No foreign keys, on purpose: the log is evidence that must outlive what it names (a destroyed journal's
    student, a removed folder) and must never stop a read or a denial from being logged."""

    __tablename__ = "access_log"
    __table_args__ = (
        Index("ix_access_log_org_id_student_id_at", "org_id", "student_id", "at"),
        Index("ix_access_log_org_id_user_id_at", "org_id", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    user_id: Mapped[uuid.UUID]
    student_id: Mapped[uuid.UUID]
    folder_id: Mapped[uuid.UUID | None]
    unit_id: Mapped[uuid.UUID]
    action: Mapped[str]
    outcome: Mapped[str]
    reason: Mapped[str]
    note_count: Mapped[int] = mapped_column(server_default=text("0"))
    trace_id: Mapped[str]
