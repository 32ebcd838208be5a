"""initial imports schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 16:17:02.366244
"""

import sqlalchemy as sa
from alembic import op

from services.common.migrations import create_kit_tables_v1, drop_kit_tables_v1

SCHEMA = "imports"

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables_v1(op, SCHEMA)
    op.create_table(
        "user_import_runs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("started_by", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("file_read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active_users", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("inactive_users", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("manually_managed_users", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_users", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_users", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("activated_users", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("deactivated_users", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("updated_users", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("faulty_users", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("error_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("warning_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("consistency_token", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_import_runs")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_user_import_runs_org_id_created_at",
        "user_import_runs",
        ["org_id", "created_at"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_table(
        "user_import_files",
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            [f"{SCHEMA}.user_import_runs.id"],
            name=op.f("fk_user_import_files_run_id_user_import_runs"),
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_user_import_files")),
        schema=SCHEMA,
    )
    op.create_table(
        "user_import_log",
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            [f"{SCHEMA}.user_import_runs.id"],
            name=op.f("fk_user_import_log_run_id_user_import_runs"),
        ),
        sa.PrimaryKeyConstraint("run_id", "seq", name=op.f("pk_user_import_log")),
        schema=SCHEMA,
    )
    op.create_table(
        "user_import_messages",
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("severity", sa.Text(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("ignored", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            [f"{SCHEMA}.user_import_runs.id"],
            name=op.f("fk_user_import_messages_run_id_user_import_runs"),
        ),
        sa.PrimaryKeyConstraint("run_id", "seq", name=op.f("pk_user_import_messages")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("user_import_messages", schema=SCHEMA)
    op.drop_table("user_import_log", schema=SCHEMA)
    op.drop_table("user_import_files", schema=SCHEMA)
    op.drop_index("ix_user_import_runs_org_id_created_at", table_name="user_import_runs", schema=SCHEMA)
    op.drop_table("user_import_runs", schema=SCHEMA)
    drop_kit_tables_v1(op, SCHEMA)
