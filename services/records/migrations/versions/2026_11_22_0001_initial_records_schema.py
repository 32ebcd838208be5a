"""initial records schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 16:14:46.752082
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from services.common.migrations import create_kit_tables_v1, drop_kit_tables_v1

SCHEMA = "records"

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables_v1(op, SCHEMA)
    op.create_table(
        "access_log",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("student_id", sa.UUID(), nullable=False),
        sa.Column("folder_id", sa.UUID(), nullable=True),
        sa.Column("unit_id", sa.UUID(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("note_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("trace_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_log")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_access_log_org_id_student_id_at",
        "access_log",
        ["org_id", "student_id", "at"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_index(
        "ix_access_log_org_id_user_id_at",
        "access_log",
        ["org_id", "user_id", "at"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_table(
        "folders",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("group_notes_allowed", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_folders")),
        schema=SCHEMA,
    )
    op.create_index("uq_folders_org_id_name", "folders", ["org_id", "name"], unique=True, schema=SCHEMA)
    op.create_table(
        "students",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("unit_id", sa.UUID(), nullable=False),
        sa.Column("personnummer", sa.Text(), nullable=False),
        sa.Column("first_name", sa.Text(), nullable=False),
        sa.Column("last_name", sa.Text(), nullable=False),
        sa.Column("protected_identity", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("never_archive", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_students")),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_students_org_id_unit_id_personnummer",
        "students",
        ["org_id", "unit_id", "personnummer"],
        unique=True,
        schema=SCHEMA,
    )
    op.create_table(
        "notes",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("student_id", sa.UUID(), nullable=False),
        sa.Column("folder_id", sa.UUID(), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("signed_by", sa.UUID(), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("case_id", sa.UUID(), nullable=True),
        sa.Column("visible_to_case_members", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["folder_id"], [f"{SCHEMA}.folders.id"], name=op.f("fk_notes_folder_id_folders")
        ),
        sa.ForeignKeyConstraint(
            ["student_id"], [f"{SCHEMA}.students.id"], name=op.f("fk_notes_student_id_students")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_notes_org_id_student_id_folder_id",
        "notes",
        ["org_id", "student_id", "folder_id"],
        unique=False,
        schema=SCHEMA,
    )
    op.create_table(
        "note_rows",
        sa.Column("note_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("heading", sa.Text(), nullable=False),
        sa.Column("row_type", sa.Text(), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(["note_id"], [f"{SCHEMA}.notes.id"], name=op.f("fk_note_rows_note_id_notes")),
        sa.PrimaryKeyConstraint("note_id", "position", name=op.f("pk_note_rows")),
        schema=SCHEMA,
    )
    # The access log is evidence (HSLF-FS 2016:40): rows may be added, never changed or removed.
    op.execute(
        f"""
        CREATE FUNCTION {SCHEMA}.refuse_access_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the access log is append-only' USING ERRCODE = 'insufficient_privilege';
        END $$;
        CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON {SCHEMA}.access_log
            FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.refuse_access_log_change();
        CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON {SCHEMA}.access_log
            FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.refuse_access_log_change();
        """
    )


def downgrade() -> None:
    op.drop_table("note_rows", schema=SCHEMA)
    op.drop_index("ix_notes_org_id_student_id_folder_id", table_name="notes", schema=SCHEMA)
    op.drop_table("notes", schema=SCHEMA)
    op.drop_index("uq_students_org_id_unit_id_personnummer", table_name="students", schema=SCHEMA)
    op.drop_table("students", schema=SCHEMA)
    op.drop_index("uq_folders_org_id_name", table_name="folders", schema=SCHEMA)
    op.drop_table("folders", schema=SCHEMA)
    op.drop_index("ix_access_log_org_id_user_id_at", table_name="access_log", schema=SCHEMA)
    op.drop_index("ix_access_log_org_id_student_id_at", table_name="access_log", schema=SCHEMA)
    op.drop_table("access_log", schema=SCHEMA)
    op.execute(f"DROP FUNCTION {SCHEMA}.refuse_access_log_change()")
    drop_kit_tables_v1(op, SCHEMA)
