"""journal facts: users may sign notes, template menus, the menu a grant names

Users projected before identity sent the may-sign flag get true, identity's default for every user it had.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

SCHEMA = "authz"

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("may_sign_notes", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        schema=SCHEMA,
    )
    op.add_column("grants", sa.Column("template_menu_id", sa.UUID(), nullable=True), schema=SCHEMA)
    op.create_table(
        "template_menus",
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("menu_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "menu_id", name=op.f("pk_template_menus")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("template_menus", schema=SCHEMA)
    op.drop_column("grants", "template_menu_id", schema=SCHEMA)
    op.drop_column("users", "may_sign_notes", schema=SCHEMA)
