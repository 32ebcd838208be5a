"""Records' tables, in the `records` schema."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Index,
    PrimaryKeyConstraint,
    SmallInteger,
    Text,
    column,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, ExcludeConstraint
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
        # The unit's student list, in its order (last name, first name, id), by archived or not.
        Index(
            "ix_students_org_id_unit_id_archived_names",
            "org_id",
            "unit_id",
            "archived",
            "last_name",
            "first_name",
            "id",
        ),
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
    # Contact data; shown to nobody but admins when the student has a protected identity.
    street_address: Mapped[str | None]
    postcode: Mapped[str | None]
    city: Mapped[str | None]
    country: Mapped[str | None]
    phone_numbers: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    email: Mapped[str | None]


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


class SchoolYear(TenantMixin, Base):
    """A läsår. The school years of an organisation never overlap, so a day is in at most one of them."""

    __tablename__ = "school_years"
    __table_args__ = (
        tenant_key(),
        Index("uq_school_years_org_id_name", "org_id", "name", unique=True),
        CheckConstraint("starts_on <= ends_on", name="dates_in_order"),
        # Race-free: two concurrent inserts of overlapping years cannot both commit (btree_gist for org_id).
        ExcludeConstraint(
            (column("org_id"), "="),
            (func.daterange(column("starts_on"), column("ends_on"), text("'[]'")), "&&"),
            name="ex_school_years_org_id_dates",
            using="gist",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str]
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class SchoolClass(TenantMixin, Base):
    """A skolklass: a name at a unit in one school year."""

    __tablename__ = "classes"
    __table_args__ = (
        tenant_key(),
        tenant_reference("school_year_id", "school_years"),
        Index(
            "uq_classes_org_id_unit_id_school_year_id_name",
            "org_id",
            "unit_id",
            "school_year_id",
            "name",
            unique=True,
        ),
        Index("ix_classes_org_id_school_year_id", "org_id", "school_year_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    unit_id: Mapped[uuid.UUID]
    school_year_id: Mapped[uuid.UUID]
    name: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class StudentGroup(TenantMixin, Base):
    """An elevgrupp at a unit, e.g. a teaching group; `external_id` is its id in the source system."""

    __tablename__ = "student_groups"
    __table_args__ = (
        tenant_key(),
        Index("uq_student_groups_org_id_external_id", "org_id", "external_id", unique=True),
        Index("ix_student_groups_org_id_unit_id", "org_id", "unit_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    unit_id: Mapped[uuid.UUID]
    name: Mapped[str]
    external_id: Mapped[str | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class StudentGroupMember(TenantMixin, Base):
    __tablename__ = "student_group_members"
    __table_args__ = (
        PrimaryKeyConstraint("group_id", "student_id"),
        tenant_reference("group_id", "student_groups"),
        tenant_reference("student_id", "students"),
        Index("ix_student_group_members_org_id_student_id", "org_id", "student_id"),
    )

    group_id: Mapped[uuid.UUID]
    student_id: Mapped[uuid.UUID]


class Placement(TenantMixin, Base):
    """A student's class and grade in one school year; earlier years' placements stay as history."""

    __tablename__ = "placements"
    __table_args__ = (
        PrimaryKeyConstraint("student_id", "school_year_id"),
        tenant_reference("student_id", "students"),
        tenant_reference("school_year_id", "school_years"),
        tenant_reference("class_id", "classes"),
        CheckConstraint("grade BETWEEN 0 AND 13", name="grade_in_range"),
        Index("ix_placements_org_id_school_year_id_class_id", "org_id", "school_year_id", "class_id"),
    )

    student_id: Mapped[uuid.UUID]
    school_year_id: Mapped[uuid.UUID]
    class_id: Mapped[uuid.UUID | None]
    grade: Mapped[int | None] = mapped_column(SmallInteger)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
