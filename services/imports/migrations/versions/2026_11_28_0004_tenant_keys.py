"""tenant keys; held-back deactivations; uploaded files leave the database

Runs get the `(org_id, id)` key; messages and log lines get `org_id` (backfilled from their run) and reference
their run through it. Uploaded files now live on disk only while their run works, so their table goes and the
file's checksum moves to the run. Deactivations a run holds back for review get a table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

from services.common.migrations import (
    add_org_id_from_parent_v1,
    add_tenant_keys_v1,
    bind_references_to_tenant_v1,
    drop_tenant_keys_v1,
    unbind_references_from_tenant_v1,
)

SCHEMA = "imports"
RUNS = f"{SCHEMA}.user_import_runs"
CHILDREN = ("user_import_messages", "user_import_log")
REFERENCES = tuple((table, "run_id", "user_import_runs") for table in CHILDREN)

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_tenant_keys_v1(op, SCHEMA, ["user_import_runs"])
    op.add_column(
        "user_import_runs",
        sa.Column("sha256", sa.Text(), server_default=sa.text("''"), nullable=False),
        schema=SCHEMA,
    )
    op.execute(
        f"UPDATE {RUNS} r SET sha256 = f.sha256 FROM {SCHEMA}.user_import_files f WHERE f.run_id = r.id"
    )
    op.drop_table("user_import_files", schema=SCHEMA)
    for table in CHILDREN:
        add_org_id_from_parent_v1(op, SCHEMA, table, "run_id", "user_import_runs")
    bind_references_to_tenant_v1(op, SCHEMA, REFERENCES)
    op.create_table(
        "held_deactivations",
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id", "run_id"],
            [f"{RUNS}.org_id", f"{RUNS}.id"],
            name="fk_held_deactivations_org_id_run_id_user_import_runs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "user_id", name="pk_held_deactivations"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("held_deactivations", schema=SCHEMA)
    # A run waiting for review has no place in the older schema: it ends as it stands, without deactivations.
    op.execute(f"UPDATE {RUNS} SET status = 'succeeded' WHERE status = 'needs_review'")
    unbind_references_from_tenant_v1(op, SCHEMA, REFERENCES)
    for table in CHILDREN:
        op.drop_column(table, "org_id", schema=SCHEMA)
    # The files themselves are gone; the table comes back empty.
    op.create_table(
        "user_import_files",
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], [f"{RUNS}.id"], name="fk_user_import_files_run_id_user_import_runs"
        ),
        sa.PrimaryKeyConstraint("run_id", name="pk_user_import_files"),
        schema=SCHEMA,
    )
    op.drop_column("user_import_runs", "sha256", schema=SCHEMA)
    drop_tenant_keys_v1(op, SCHEMA, ["user_import_runs"])
