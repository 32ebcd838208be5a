"""tenant keys: (org_id, id) on tenant tables, references that cannot cross organisations

Credentials gain org_id (backfilled from their users) so that they too reference their user within the
organisation.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

SCHEMA = "identity"

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TENANT_TABLES = ("units", "user_roles", "users", "assignments")
# (table, column, referred table): each reference becomes (org_id, column) → referred(org_id, id).
REFERENCES = (
    ("assignments", "user_id", "users"),
    ("assignments", "role_id", "user_roles"),
    ("assignments", "unit_id", "units"),
    ("credentials", "user_id", "users"),
)


def upgrade() -> None:
    for table in TENANT_TABLES:
        op.create_unique_constraint(f"uq_{table}_org_id_id", table, ["org_id", "id"], schema=SCHEMA)
    op.add_column("credentials", sa.Column("org_id", sa.UUID(), nullable=True), schema=SCHEMA)
    op.execute(
        f"UPDATE {SCHEMA}.credentials AS c SET org_id = u.org_id FROM {SCHEMA}.users AS u WHERE u.id = c.user_id"
    )
    op.alter_column("credentials", "org_id", nullable=False, schema=SCHEMA)
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
    op.drop_column("credentials", "org_id", schema=SCHEMA)
    for table in TENANT_TABLES:
        op.drop_constraint(f"uq_{table}_org_id_id", table, type_="unique", schema=SCHEMA)
