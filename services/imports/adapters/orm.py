"""Imports' tables, in the `imports` schema."""

import uuid
from datetime import datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from services.common.db import kit_tables, make_metadata

SCHEMA = "imports"


class Base(DeclarativeBase):
    metadata = make_metadata(SCHEMA)
    type_annotation_map = {
        uuid.UUID: UUID(as_uuid=True),
        str: Text,
        datetime: DateTime(timezone=True),
        int: Integer,
    }


KIT = kit_tables(Base.metadata)


class UserImportRun(Base):
    __tablename__ = "user_import_runs"
    __table_args__ = (Index("ix_user_import_runs_org_id_created_at", "org_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    org_id: Mapped[uuid.UUID]
    status: Mapped[str]
    filename: Mapped[str]
    started_by: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    started_at: Mapped[datetime | None]
    file_read_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # Renewed while the run works; a queued or running run whose heartbeat stopped is failed by a janitor.
    heartbeat_at: Mapped[datetime | None]
    active_users: Mapped[int] = mapped_column(server_default=text("0"))
    inactive_users: Mapped[int] = mapped_column(server_default=text("0"))
    manually_managed_users: Mapped[int] = mapped_column(server_default=text("0"))
    total_users: Mapped[int] = mapped_column(server_default=text("0"))
    created_users: Mapped[int] = mapped_column(server_default=text("0"))
    activated_users: Mapped[int] = mapped_column(server_default=text("0"))
    deactivated_users: Mapped[int] = mapped_column(server_default=text("0"))
    updated_users: Mapped[int] = mapped_column(server_default=text("0"))
    faulty_users: Mapped[int] = mapped_column(server_default=text("0"))
    error_count: Mapped[int] = mapped_column(server_default=text("0"))
    warning_count: Mapped[int] = mapped_column(server_default=text("0"))
    consistency_token: Mapped[str] = mapped_column(server_default=text("''"))


class UserImportFile(Base):
    """The uploaded file, kept for reruns and for reading what was imported."""

    __tablename__ = "user_import_files"

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_import_runs.id"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str]


class UserImportMessage(Base):
    __tablename__ = "user_import_messages"
    __table_args__ = (PrimaryKeyConstraint("run_id", "seq"),)

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_import_runs.id"))
    seq: Mapped[int]
    code: Mapped[int]
    severity: Mapped[str]
    external_id: Mapped[str | None]
    detail: Mapped[str]
    ignored: Mapped[bool] = mapped_column(server_default=text("false"))


class UserImportLogLine(Base):
    __tablename__ = "user_import_log"
    __table_args__ = (PrimaryKeyConstraint("run_id", "seq"),)

    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_import_runs.id"))
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    level: Mapped[str]
    message: Mapped[str]
