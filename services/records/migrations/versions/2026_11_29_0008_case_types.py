"""case types (ärendetyper): student-linked or not, bound to a folder and optionally a template menu

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 03:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

SCHEMA = "records"

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_types",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("student_linked", sa.Boolean(), nullable=False),
        sa.Column("folder_id", sa.UUID(), nullable=False),
        sa.Column("template_menu_id", sa.UUID(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id", "folder_id"],
            [f"{SCHEMA}.folders.org_id", f"{SCHEMA}.folders.id"],
            name=op.f("fk_case_types_org_id_folder_id_folders"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "template_menu_id"],
            [f"{SCHEMA}.template_menus.org_id", f"{SCHEMA}.template_menus.id"],
            name=op.f("fk_case_types_org_id_template_menu_id_template_menus"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_types")),
        sa.UniqueConstraint("org_id", "id", name=op.f("uq_case_types_org_id_id")),
        schema=SCHEMA,
    )
    # Unique regardless of case, among active and inactive ones alike.
    op.create_index(
        "uq_case_types_org_id_name",
        "case_types",
        ["org_id", sa.text("lower(name)")],
        unique=True,
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_index("uq_case_types_org_id_name", table_name="case_types", schema=SCHEMA)
    op.drop_table("case_types", schema=SCHEMA)
