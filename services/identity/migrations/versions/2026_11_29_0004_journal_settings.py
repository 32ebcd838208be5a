"""journal settings: users may sign notes; organisation settings

Existing users keep signing as before (the column's default is true). An organisation without a settings row
has the defaults.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

SCHEMA = "identity"

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("may_sign_notes", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        schema=SCHEMA,
    )
    op.create_table(
        "organisation_settings",
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column(
            "prevent_editing_own_signed_notes", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column(
            "subadmins_manage_templates", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            [f"{SCHEMA}.organisations.id"],
            name=op.f("fk_organisation_settings_org_id_organisations"),
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_organisation_settings")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("organisation_settings", schema=SCHEMA)
    op.drop_column("users", "may_sign_notes", schema=SCHEMA)
