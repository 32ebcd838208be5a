"""Imports' tables, in the `imports` schema."""

import uuid
from datetime import datetime

from sqlalchemy import Index, PrimaryKeyConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from services.common.orm import TenantMixin, declarative_base, tenant_key, tenant_reference

SCHEMA = "imports"

Base, KIT = declarative_base(SCHEMA)


class UserImportRun(TenantMixin, Base):
    __tablename__ = "user_import_runs"
    __table_args__ = (Index("ix_user_import_runs_org_id_created_at", "org_id", "created_at"), tenant_key())

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    status: Mapped[str]  # a RunStatus
    filename: Mapped[str]
    sha256: Mapped[str] = mapped_column(server_default=text("''"))
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


class HeldDeactivation(TenantMixin, Base):
    """A user a run would deactivate, held back until an administrator confirms the run."""

    __tablename__ = "held_deactivations"
    __table_args__ = (
        PrimaryKeyConstraint("run_id", "user_id"),
        tenant_reference("run_id", f"{SCHEMA}.user_import_runs", ondelete="CASCADE"),
    )

    run_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]


class UserImportMessage(TenantMixin, Base):
    __tablename__ = "user_import_messages"
    __table_args__ = (
        PrimaryKeyConstraint("run_id", "seq"),
        tenant_reference("run_id", f"{SCHEMA}.user_import_runs"),
    )

    run_id: Mapped[uuid.UUID]
    seq: Mapped[int]
    code: Mapped[int]
    severity: Mapped[str]  # a Severity
    external_id: Mapped[str | None]
    detail: Mapped[str]
    ignored: Mapped[bool] = mapped_column(server_default=text("false"))


class UserImportLogLine(TenantMixin, Base):
    __tablename__ = "user_import_log"
    __table_args__ = (
        PrimaryKeyConstraint("run_id", "seq"),
        tenant_reference("run_id", f"{SCHEMA}.user_import_runs"),
    )

    run_id: Mapped[uuid.UUID]
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    level: Mapped[str]
    message: Mapped[str]
