"""initial authz schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 16:13:38.700553
"""

import sqlalchemy as sa
from alembic import op

from services.common.migrations import create_kit_tables_v1, drop_kit_tables_v1

SCHEMA = "authz"

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables_v1(op, SCHEMA)
    op.create_table(
        "assignments",
        sa.Column("assignment_id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("role_id", sa.UUID(), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("assignment_id", name=op.f("pk_assignments")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_assignments_org_id_user_id", "assignments", ["org_id", "user_id"], unique=False, schema=SCHEMA
    )
    op.create_table(
        "folders",
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("folder_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "folder_id", name=op.f("pk_folders")),
        schema=SCHEMA,
    )
    op.create_table(
        "grants",
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("role_id", sa.UUID(), nullable=False),
        sa.Column("folder_id", sa.UUID(), nullable=False),
        sa.Column("access", sa.Text(), nullable=False),
        sa.Column("restriction", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "role_id", "folder_id", name=op.f("pk_grants")),
        schema=SCHEMA,
    )
    op.create_table(
        "roles",
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("role_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "role_id", name=op.f("pk_roles")),
        schema=SCHEMA,
    )
    op.create_table(
        "units",
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "unit_id", name=op.f("pk_units")),
        schema=SCHEMA,
    )
    op.create_table(
        "users",
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("permission_level", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "user_id", name=op.f("pk_users")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("users", schema=SCHEMA)
    op.drop_table("units", schema=SCHEMA)
    op.drop_table("roles", schema=SCHEMA)
    op.drop_table("grants", schema=SCHEMA)
    op.drop_table("folders", schema=SCHEMA)
    op.drop_index("ix_assignments_org_id_user_id", table_name="assignments", schema=SCHEMA)
    op.drop_table("assignments", schema=SCHEMA)
    drop_kit_tables_v1(op, SCHEMA)
