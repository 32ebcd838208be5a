"""memory notes: a user's own notes about a student, without history; a delete removes the row

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 18:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

SCHEMA = "records"

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "memory_notes",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=False),
        sa.Column("student_id", sa.UUID(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.CheckConstraint("char_length(text) BETWEEN 1 AND 10000", name=op.f("ck_memory_notes_text_length")),
        sa.ForeignKeyConstraint(
            ["org_id", "student_id"],
            [f"{SCHEMA}.students.org_id", f"{SCHEMA}.students.id"],
            name=op.f("fk_memory_notes_org_id_student_id_students"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memory_notes")),
        sa.UniqueConstraint("org_id", "id", name=op.f("uq_memory_notes_org_id_id")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_memory_notes_org_id_author_id_student_id",
        "memory_notes",
        ["org_id", "author_id", "student_id", "created_at"],
        unique=False,
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_index("ix_memory_notes_org_id_author_id_student_id", table_name="memory_notes", schema=SCHEMA)
    op.drop_table("memory_notes", schema=SCHEMA)
