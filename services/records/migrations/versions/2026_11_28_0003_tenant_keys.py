"""tenant keys: (org_id, id) on students, folders and notes; references between them cannot cross organisations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 12:00:00.000000
"""

from alembic import op

from services.common.migrations import (
    add_org_id_from_parent_v1,
    add_tenant_keys_v1,
    bind_references_to_tenant_v1,
    drop_tenant_keys_v1,
    unbind_references_from_tenant_v1,
)

SCHEMA = "records"

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TENANT_TABLES = ("folders", "students", "notes")
# (table, column, referred table): the single-column reference each composite one replaces.
REFERENCES = (
    ("notes", "student_id", "students"),
    ("notes", "folder_id", "folders"),
    ("note_rows", "note_id", "notes"),
)


def upgrade() -> None:
    add_tenant_keys_v1(op, SCHEMA, TENANT_TABLES)
    add_org_id_from_parent_v1(op, SCHEMA, "note_rows", "note_id", "notes")
    bind_references_to_tenant_v1(op, SCHEMA, REFERENCES)


def downgrade() -> None:
    unbind_references_from_tenant_v1(op, SCHEMA, REFERENCES)
    op.drop_column("note_rows", "org_id", schema=SCHEMA)
    drop_tenant_keys_v1(op, SCHEMA, TENANT_TABLES)
