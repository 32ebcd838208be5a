"""Authz's tables in the `authz` schema: grants (owned here) and the read model built from events."""

import uuid
from datetime import date, datetime

from sqlalchemy import Date, Index, PrimaryKeyConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from services.common.orm import declarative_base

SCHEMA = "authz"


Base, KIT = declarative_base(SCHEMA)


class Grant(Base):
    """Role × folder → access and restriction. Source of truth."""

    __tablename__ = "grants"
    __table_args__ = (PrimaryKeyConstraint("org_id", "role_id", "folder_id"),)

    org_id: Mapped[uuid.UUID]
    role_id: Mapped[uuid.UUID]
    folder_id: Mapped[uuid.UUID]
    access: Mapped[str]
    restriction: Mapped[str]
    template_menu_id: Mapped[uuid.UUID | None]  # the menu the role writes with in the folder
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class KnownUser(Base):
    """Read model (identity): a user's active flag, permission level and whether they may sign notes."""

    __tablename__ = "users"
    __table_args__ = (PrimaryKeyConstraint("org_id", "user_id"),)

    org_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    active: Mapped[bool]
    permission_level: Mapped[str]
    # Rows projected before identity sent the flag are of users identity lets sign (its default).
    may_sign_notes: Mapped[bool] = mapped_column(server_default=text("true"))


class KnownRole(Base):
    """Read model (identity): the organisation's user roles."""

    __tablename__ = "roles"
    __table_args__ = (PrimaryKeyConstraint("org_id", "role_id"),)

    org_id: Mapped[uuid.UUID]
    role_id: Mapped[uuid.UUID]


class KnownUnit(Base):
    """Read model (identity): the organisation's units."""

    __tablename__ = "units"
    __table_args__ = (PrimaryKeyConstraint("org_id", "unit_id"),)

    org_id: Mapped[uuid.UUID]
    unit_id: Mapped[uuid.UUID]
    active: Mapped[bool]


class KnownFolder(Base):
    """Read model (records): the organisation's folders."""

    __tablename__ = "folders"
    __table_args__ = (PrimaryKeyConstraint("org_id", "folder_id"),)

    org_id: Mapped[uuid.UUID]
    folder_id: Mapped[uuid.UUID]


class KnownTemplateMenu(Base):
    """Read model (records): the organisation's template menus, which grants may name."""

    __tablename__ = "template_menus"
    __table_args__ = (PrimaryKeyConstraint("org_id", "menu_id"),)

    org_id: Mapped[uuid.UUID]
    menu_id: Mapped[uuid.UUID]


class KnownAssignment(Base):
    """Read model (identity): assignments that have not been revoked."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_org_id_user_id", "org_id", "user_id"),)

    assignment_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    org_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    role_id: Mapped[uuid.UUID]
    unit_id: Mapped[uuid.UUID | None]
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class ModuleLevelRow(Base):
    """An organisation's minimum permission level of one module, where it changed the default. Source of truth."""

    __tablename__ = "module_levels"
    __table_args__ = (PrimaryKeyConstraint("org_id", "module"),)

    org_id: Mapped[uuid.UUID]
    module: Mapped[str]
    level: Mapped[str]
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class ManageableRole(Base):
    """Subadmin scope: holders of `role_id` may manage assignments of `manageable_role_id`. Source of truth."""

    __tablename__ = "manageable_roles"
    __table_args__ = (PrimaryKeyConstraint("org_id", "role_id", "manageable_role_id"),)

    org_id: Mapped[uuid.UUID]
    role_id: Mapped[uuid.UUID]
    manageable_role_id: Mapped[uuid.UUID]
