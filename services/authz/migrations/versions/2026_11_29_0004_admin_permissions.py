"""admin permissions: module levels and subadmin scopes, per organisation

An organisation without rows has the documented default levels and no subadmin scopes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 18:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

SCHEMA = "authz"

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "module_levels",
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("module", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "module", name=op.f("pk_module_levels")),
        schema=SCHEMA,
    )
    op.create_table(
        "manageable_roles",
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("role_id", sa.UUID(), nullable=False),
        sa.Column("manageable_role_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "role_id", "manageable_role_id", name=op.f("pk_manageable_roles")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("manageable_roles", schema=SCHEMA)
    op.drop_table("module_levels", schema=SCHEMA)
