"""event integrity: the inbox records revisions; quarantine

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 12:00:00.000000
"""

from alembic import op

from services.common.migrations import create_kit_tables_v2, drop_kit_tables_v2

SCHEMA = "records"

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables_v2(op, SCHEMA)


def downgrade() -> None:
    drop_kit_tables_v2(op, SCHEMA)
