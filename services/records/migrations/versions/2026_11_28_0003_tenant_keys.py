"""tenant keys: (org_id, id) on students, folders and notes; references between them cannot cross organisations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

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
    for table in TENANT_TABLES:
        op.create_unique_constraint(f"uq_{table}_org_id_id", table, ["org_id", "id"], schema=SCHEMA)
    # A row's organisation is its note's; filled in before the column may refuse NULL.
    op.add_column("note_rows", sa.Column("org_id", sa.UUID(), nullable=True), schema=SCHEMA)
    op.execute(
        f"UPDATE {SCHEMA}.note_rows AS r SET org_id = n.org_id FROM {SCHEMA}.notes AS n WHERE n.id = r.note_id"
    )
    op.alter_column("note_rows", "org_id", nullable=False, schema=SCHEMA)
    for table, column, referred in REFERENCES:
        op.drop_constraint(f"fk_{table}_{column}_{referred}", table, type_="foreignkey", schema=SCHEMA)
        op.create_foreign_key(
            f"fk_{table}_org_id_{column}_{referred}",
            table,
            referred,
            ["org_id", column],
            ["org_id", "id"],
            source_schema=SCHEMA,
            referent_schema=SCHEMA,
        )


def downgrade() -> None:
    for table, column, referred in REFERENCES:
        op.drop_constraint(f"fk_{table}_org_id_{column}_{referred}", table, type_="foreignkey", schema=SCHEMA)
        op.create_foreign_key(
            f"fk_{table}_{column}_{referred}",
            table,
            referred,
            [column],
            ["id"],
            source_schema=SCHEMA,
            referent_schema=SCHEMA,
        )
    op.drop_column("note_rows", "org_id", schema=SCHEMA)
    for table in TENANT_TABLES:
        op.drop_constraint(f"uq_{table}_org_id_id", table, type_="unique", schema=SCHEMA)
