"""memory notes: a user flag and an organisation setting, both off by default

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 18:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

SCHEMA = "identity"

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("use_memory_notes", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        schema=SCHEMA,
    )
    op.add_column(
        "organisation_settings",
        sa.Column("memory_notes_allowed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_column("organisation_settings", "memory_notes_allowed", schema=SCHEMA)
    op.drop_column("users", "use_memory_notes", schema=SCHEMA)
