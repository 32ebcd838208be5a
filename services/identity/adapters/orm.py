"""Identity's tables, in the `identity` schema: organisations, their settings and their tenant tables."""

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, func, text
from sqlalchemy.orm import Mapped, mapped_column

from services.common.orm import TenantMixin, declarative_base, tenant_key, tenant_reference

SCHEMA = "identity"

Base, KIT = declarative_base(SCHEMA)


class Organisation(Base):
    """The tenant itself: every other table's `org_id` points here."""

    __tablename__ = "organisations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class OrganisationSettings(TenantMixin, Base):
    """The rules an organisation chose for its journal; no row means it never chose, so the defaults hold."""

    __tablename__ = "organisation_settings"

    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), primary_key=True)
    prevent_editing_own_signed_notes: Mapped[bool] = mapped_column(server_default=text("false"))
    subadmins_manage_templates: Mapped[bool] = mapped_column(server_default=text("false"))
    memory_notes_allowed: Mapped[bool] = mapped_column(server_default=text("false"))
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class Unit(TenantMixin, Base):
    __tablename__ = "units"
    __table_args__ = (
        tenant_key(),
        Index("uq_units_org_id_external_id", "org_id", "external_id", unique=True),
        Index("uq_units_org_id_name", "org_id", "name", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str]
    kind: Mapped[str]
    school_level: Mapped[str]
    external_id: Mapped[uuid.UUID | None]
    active: Mapped[bool] = mapped_column(server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class UserRole(TenantMixin, Base):
    __tablename__ = "user_roles"
    __table_args__ = (
        tenant_key(),
        Index("uq_user_roles_org_id_external_id", "org_id", "external_id", unique=True),
        Index("uq_user_roles_org_id_name", "org_id", "name", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str]
    external_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class User(TenantMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        tenant_key(),
        Index("uq_users_org_id_external_id", "org_id", "external_id", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    external_id: Mapped[str | None]
    first_name: Mapped[str]
    last_name: Mapped[str]
    email: Mapped[str | None]
    active: Mapped[bool]
    permission_level: Mapped[str]
    manually_managed: Mapped[bool] = mapped_column(server_default=text("false"))
    may_sign_notes: Mapped[bool] = mapped_column(server_default=text("true"))  # får signera anteckningar
    use_memory_notes: Mapped[bool] = mapped_column(server_default=text("false"))  # minnesanteckningar
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class Credential(TenantMixin, Base):
    """A password login. Users without one (imported, or signing in through an external issuer) have none.

    The login e-mail is unique across organisations: a login names no organisation, the e-mail finds it."""

    __tablename__ = "credentials"
    __table_args__ = (tenant_reference("user_id", "users"),)

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    org_id: Mapped[uuid.UUID]
    login_email: Mapped[str] = mapped_column(unique=True)
    password_hash: Mapped[str]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class Assignment(TenantMixin, Base):
    __tablename__ = "assignments"
    __table_args__ = (
        tenant_key(),
        tenant_reference("user_id", "users"),
        tenant_reference("role_id", "user_roles"),
        tenant_reference("unit_id", "units"),
        CheckConstraint("all_units = (unit_id IS NULL)", name="unit_or_all_units"),
        CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from", name="period"),
        Index(
            "ix_assignments_org_id_user_id", "org_id", "user_id", postgresql_where=text("revoked_at IS NULL")
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[uuid.UUID]
    role_id: Mapped[uuid.UUID]
    unit_id: Mapped[uuid.UUID | None]
    all_units: Mapped[bool]
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    revoked_at: Mapped[datetime | None]
