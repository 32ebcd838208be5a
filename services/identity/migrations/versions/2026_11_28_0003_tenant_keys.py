"""tenant keys: (org_id, id) on tenant tables, references that cannot cross organisations

Credentials gain org_id (backfilled from their users) so that they too reference their user within the
organisation.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 12:00:00.000000
"""

from alembic import op

from services.common.migrations import (
    add_org_id_from_parent_v1,
    add_tenant_keys_v1,
    bind_references_to_tenant_v1,
    drop_tenant_keys_v1,
    unbind_references_from_tenant_v1,
)

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
    add_tenant_keys_v1(op, SCHEMA, TENANT_TABLES)
    add_org_id_from_parent_v1(op, SCHEMA, "credentials", "user_id", "users")
    bind_references_to_tenant_v1(op, SCHEMA, REFERENCES)


def downgrade() -> None:
    unbind_references_from_tenant_v1(op, SCHEMA, REFERENCES)
    op.drop_column("credentials", "org_id", schema=SCHEMA)
    drop_tenant_keys_v1(op, SCHEMA, TENANT_TABLES)
