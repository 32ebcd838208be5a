"""Records' tables, in the `records` schema."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKeyConstraint,
    Index,
    PrimaryKeyConstraint,
    SmallInteger,
    Text,
    UniqueConstraint,
    column,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, ExcludeConstraint
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
    """A note's lasting facts and what readers see of it: the current version's event date and the state."""

    __tablename__ = "notes"
    __table_args__ = (
        tenant_key(),
        tenant_reference("student_id", "students"),
        tenant_reference("folder_id", "folders"),
        Index(
            "ix_notes_org_id_student_id_folder_id_event_date_created_at_id",
            "org_id",
            "student_id",
            "folder_id",
            "event_date",
            "created_at",
            "id",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    student_id: Mapped[uuid.UUID]
    folder_id: Mapped[uuid.UUID]
    author_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    template_id: Mapped[uuid.UUID | None]
    event_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str]
    current_version: Mapped[int] = mapped_column(server_default=text("1"))
    latest_version: Mapped[int] = mapped_column(server_default=text("1"))
    # Bumped by every change, so an edit based on an older read is refused (ETag / If-Match).
    revision: Mapped[int] = mapped_column(server_default=text("1"))
    case_id: Mapped[uuid.UUID | None]
    visible_to_case_members: Mapped[bool] = mapped_column(server_default=text("false"))


class NoteVersion(TenantMixin, Base):
    """One version of a note. Signed versions are immutable: a trigger refuses their UPDATE and DELETE."""

    __tablename__ = "note_versions"
    __table_args__ = (
        PrimaryKeyConstraint("note_id", "version"),
        UniqueConstraint("org_id", "note_id", "version"),
        tenant_reference("note_id", "notes"),
        Index("ix_note_versions_org_id_note_id_chain_position", "org_id", "note_id", "chain_position"),
    )

    note_id: Mapped[uuid.UUID]
    version: Mapped[int]
    template_version_id: Mapped[uuid.UUID | None]
    author_id: Mapped[uuid.UUID]
    responsible_user_id: Mapped[uuid.UUID | None]
    event_date: Mapped[date] = mapped_column(Date)
    contact_type_id: Mapped[uuid.UUID | None]
    status: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    signed_by: Mapped[uuid.UUID | None]
    signed_at: Mapped[datetime | None]
    # The version's place in its student folder's hash chain, and the hashes that bind it there.
    chain_position: Mapped[int | None]
    previous_hash: Mapped[str | None]
    content_hash: Mapped[str | None]


class NoteRow(TenantMixin, Base):
    __tablename__ = "note_rows"
    __table_args__ = (
        PrimaryKeyConstraint("note_id", "version", "position"),
        ForeignKeyConstraint(
            ["org_id", "note_id", "version"],
            ["note_versions.org_id", "note_versions.note_id", "note_versions.version"],
        ),
    )

    note_id: Mapped[uuid.UUID]
    version: Mapped[int]
    position: Mapped[int]
    template_row_id: Mapped[str | None]
    heading: Mapped[str]
    row_type: Mapped[str]
    value: Mapped[Any] = mapped_column(JSONB)


class NoteLink(TenantMixin, Base):
    """A note that follows up another note of the same student (anteckningslänk)."""

    __tablename__ = "note_links"
    __table_args__ = (
        tenant_key(),
        tenant_reference("from_note_id", "notes"),
        tenant_reference("to_note_id", "notes"),
        UniqueConstraint("org_id", "from_note_id", "to_note_id"),
        Index("ix_note_links_org_id_to_note_id", "org_id", "to_note_id"),
        CheckConstraint("from_note_id <> to_note_id", name="not_to_itself"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    from_note_id: Mapped[uuid.UUID]
    to_note_id: Mapped[uuid.UUID]
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class FolderChain(TenantMixin, Base):
    """The head of a student folder's hash chain: how many versions are signed there and the last hash."""

    __tablename__ = "folder_chains"
    __table_args__ = (
        PrimaryKeyConstraint("org_id", "student_id", "folder_id"),
        tenant_reference("student_id", "students"),
        tenant_reference("folder_id", "folders"),
    )

    student_id: Mapped[uuid.UUID]
    folder_id: Mapped[uuid.UUID]
    length: Mapped[int] = mapped_column(server_default=text("0"))
    head_hash: Mapped[str] = mapped_column(server_default=text("''"))


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


class NoteTemplate(TenantMixin, Base):
    """A note template; its rows are in its versions. Never deleted: notes name their template's version."""

    __tablename__ = "note_templates"
    __table_args__ = (
        tenant_key(),
        Index("uq_note_templates_org_id_name", "org_id", "name", unique=True),
        CheckConstraint("status IN ('active', 'retired')", name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str]
    status: Mapped[str] = mapped_column(server_default=text("'active'"))
    current_version: Mapped[int] = mapped_column(server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class TemplateVersion(TenantMixin, Base):
    """One version of a template's name and rows. Once `in_use` (a note uses it), it never changes again."""

    __tablename__ = "template_versions"
    __table_args__ = (
        tenant_key(),
        tenant_reference("template_id", "note_templates"),
        UniqueConstraint("template_id", "version"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    template_id: Mapped[uuid.UUID]
    version: Mapped[int]
    name: Mapped[str]
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    created_by: Mapped[uuid.UUID]
    in_use: Mapped[bool] = mapped_column(server_default=text("false"))


class TemplateMenu(TenantMixin, Base):
    """A tree of submenus and templates (`items`, JSON), offered when a note is written."""

    __tablename__ = "template_menus"
    __table_args__ = (tenant_key(), Index("uq_template_menus_org_id_name", "org_id", "name", unique=True))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AddressBookEntry(TenantMixin, Base):
    """A recipient of referrals and letters. Deactivated, never deleted; notes keep a snapshot of it."""

    __tablename__ = "address_book"
    __table_args__ = (tenant_key(), Index("ix_address_book_org_id_name", "org_id", "name"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str]
    organisation: Mapped[str] = mapped_column(server_default=text("''"))
    address: Mapped[str] = mapped_column(server_default=text("''"))
    active: Mapped[bool] = mapped_column(server_default=text("true"))


class ContactType(TenantMixin, Base):
    """How a documented contact took place (a visit, a phone call, …)."""

    __tablename__ = "contact_types"
    __table_args__ = (tenant_key(), Index("uq_contact_types_org_id_name", "org_id", "name", unique=True))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str]
    active: Mapped[bool] = mapped_column(server_default=text("true"))
    position: Mapped[int] = mapped_column(server_default=text("0"))


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


class PostIt(TenantMixin, Base):
    """A user's personal working note, tied to no student; an edit overwrites it, a delete removes the row."""

    __tablename__ = "post_its"
    __table_args__ = (
        tenant_key(),
        CheckConstraint("char_length(text) BETWEEN 1 AND 10000", name="text_length"),
        # The owner's list, newest first.
        Index("ix_post_its_org_id_owner_id_created_at", "org_id", "owner_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID]
    text: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class MemoryNote(TenantMixin, Base):
    """A minnesanteckning: the author's own note about a student; an edit overwrites it, a delete removes the row."""

    __tablename__ = "memory_notes"
    __table_args__ = (
        tenant_key(),
        tenant_reference("student_id", "students"),
        CheckConstraint("char_length(text) BETWEEN 1 AND 10000", name="text_length"),
        # The author's list about one student, newest first.
        Index(
            "ix_memory_notes_org_id_author_id_student_id", "org_id", "author_id", "student_id", "created_at"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    author_id: Mapped[uuid.UUID]
    student_id: Mapped[uuid.UUID]
    text: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class CaseType(TenantMixin, Base):
    """An ärendetyp: cases of it are about one student (`student_linked`) or live under a unit; its folder decides
    who may reach them, its template menu what their notes are written from. Deactivated, never deleted."""

    __tablename__ = "case_types"
    __table_args__ = (
        tenant_key(),
        tenant_reference("folder_id", "folders"),
        tenant_reference("template_menu_id", "template_menus"),
        # Unique regardless of case, among active and inactive ones alike.
        Index("uq_case_types_org_id_name", "org_id", func.lower(column("name")), unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str]
    student_linked: Mapped[bool]
    folder_id: Mapped[uuid.UUID]
    template_menu_id: Mapped[uuid.UUID | None]
    active: Mapped[bool] = mapped_column(server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
