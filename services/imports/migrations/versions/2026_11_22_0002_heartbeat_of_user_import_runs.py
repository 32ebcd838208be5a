"""heartbeat of user import runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 16:45:23.435477
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "user_import_runs",
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        schema="imports",
    )


def downgrade() -> None:
    op.drop_column("user_import_runs", "heartbeat_at", schema="imports")
