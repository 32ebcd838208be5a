"""post-its: personal working notes, tied to no student, without history

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 02:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

SCHEMA = "records"

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "post_its",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.CheckConstraint("char_length(text) BETWEEN 1 AND 10000", name=op.f("ck_post_its_text_length")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_its")),
        sa.UniqueConstraint("org_id", "id", name=op.f("uq_post_its_org_id_id")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_post_its_org_id_owner_id_created_at",
        "post_its",
        ["org_id", "owner_id", "created_at"],
        unique=False,
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_index("ix_post_its_org_id_owner_id_created_at", table_name="post_its", schema=SCHEMA)
    op.drop_table("post_its", schema=SCHEMA)
