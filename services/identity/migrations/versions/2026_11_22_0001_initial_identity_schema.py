"""initial identity schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 16:10:08.975539
"""

import sqlalchemy as sa
from alembic import op

from services.common.migrations import create_kit_tables_v1, drop_kit_tables_v1

SCHEMA = "identity"

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables_v1(op, SCHEMA)
    op.create_table(
        "organisations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
        schema=SCHEMA,
    )
    op.create_table(
        "units",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("school_level", sa.Text(), nullable=False),
        sa.Column("external_id", sa.UUID(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], [f"{SCHEMA}.organisations.id"], name=op.f("fk_units_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_units_org_id_external_id", "units", ["org_id", "external_id"], unique=True, schema=SCHEMA
    )
    op.create_index("uq_units_org_id_name", "units", ["org_id", "name"], unique=True, schema=SCHEMA)
    op.create_table(
        "user_roles",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("external_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], [f"{SCHEMA}.organisations.id"], name=op.f("fk_user_roles_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_roles")),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_user_roles_org_id_external_id",
        "user_roles",
        ["org_id", "external_id"],
        unique=True,
        schema=SCHEMA,
    )
    op.create_index("uq_user_roles_org_id_name", "user_roles", ["org_id", "name"], unique=True, schema=SCHEMA)
    op.create_table(
        "users",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.Column("first_name", sa.Text(), nullable=False),
        sa.Column("last_name", sa.Text(), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("permission_level", sa.Text(), nullable=False),
        sa.Column("manually_managed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], [f"{SCHEMA}.organisations.id"], name=op.f("fk_users_org_id_organisations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        schema=SCHEMA,
    )
    op.create_index(op.f("ix_users_org_id"), "users", ["org_id"], unique=False, schema=SCHEMA)
    op.create_index(
        "uq_users_org_id_external_id", "users", ["org_id", "external_id"], unique=True, schema=SCHEMA
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("role_id", sa.UUID(), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=True),
        sa.Column("all_units", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("all_units = (unit_id IS NULL)", name=op.f("ck_assignments_unit_or_all_units")),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from",
            name=op.f("ck_assignments_period"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], [f"{SCHEMA}.organisations.id"], name=op.f("fk_assignments_org_id_organisations")
        ),
        sa.ForeignKeyConstraint(
            ["role_id"], [f"{SCHEMA}.user_roles.id"], name=op.f("fk_assignments_role_id_user_roles")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], [f"{SCHEMA}.units.id"], name=op.f("fk_assignments_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], [f"{SCHEMA}.users.id"], name=op.f("fk_assignments_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_assignments_org_id_user_id",
        "assignments",
        ["org_id", "user_id"],
        unique=False,
        schema=SCHEMA,
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.create_table(
        "credentials",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("login_email", sa.Text(), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], [f"{SCHEMA}.users.id"], name=op.f("fk_credentials_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("login_email", name=op.f("uq_credentials_login_email")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("credentials", schema=SCHEMA)
    op.drop_index(
        "ix_assignments_org_id_user_id",
        table_name="assignments",
        schema=SCHEMA,
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.drop_table("assignments", schema=SCHEMA)
    op.drop_index("uq_users_org_id_external_id", table_name="users", schema=SCHEMA)
    op.drop_index(op.f("ix_users_org_id"), table_name="users", schema=SCHEMA)
    op.drop_table("users", schema=SCHEMA)
    op.drop_index("uq_user_roles_org_id_name", table_name="user_roles", schema=SCHEMA)
    op.drop_index("uq_user_roles_org_id_external_id", table_name="user_roles", schema=SCHEMA)
    op.drop_table("user_roles", schema=SCHEMA)
    op.drop_index("uq_units_org_id_name", table_name="units", schema=SCHEMA)
    op.drop_index("uq_units_org_id_external_id", table_name="units", schema=SCHEMA)
    op.drop_table("units", schema=SCHEMA)
    op.drop_table("organisations", schema=SCHEMA)
    drop_kit_tables_v1(op, SCHEMA)
