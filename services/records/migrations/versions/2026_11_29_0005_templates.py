"""note templates with versions, template menus, the address book and contact types

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

SCHEMA = "records"

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def tenant_columns() -> list[sa.Column]:
    return [sa.Column("id", sa.UUID(), nullable=False), sa.Column("org_id", sa.UUID(), nullable=False)]


def now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "note_templates",
        *tenant_columns(),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default=sa.text("'active'"), nullable=False),
        sa.Column("current_version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=now(), nullable=False),
        sa.CheckConstraint("status IN ('active', 'retired')", name="ck_note_templates_status"),
        sa.PrimaryKeyConstraint("id", name="pk_note_templates"),
        sa.UniqueConstraint("org_id", "id", name="uq_note_templates_org_id_id"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_note_templates_org_id_name", "note_templates", ["org_id", "name"], unique=True, schema=SCHEMA
    )
    op.create_table(
        "template_versions",
        *tenant_columns(),
        sa.Column("template_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("rows", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=False),
        sa.Column("in_use", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id", "template_id"],
            [f"{SCHEMA}.note_templates.org_id", f"{SCHEMA}.note_templates.id"],
            name="fk_template_versions_org_id_template_id_note_templates",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_template_versions"),
        sa.UniqueConstraint("org_id", "id", name="uq_template_versions_org_id_id"),
        sa.UniqueConstraint("template_id", "version", name="uq_template_versions_template_id_version"),
        schema=SCHEMA,
    )
    op.create_table(
        "template_menus",
        *tenant_columns(),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("items", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=now(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_template_menus"),
        sa.UniqueConstraint("org_id", "id", name="uq_template_menus_org_id_id"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_template_menus_org_id_name", "template_menus", ["org_id", "name"], unique=True, schema=SCHEMA
    )
    op.create_table(
        "address_book",
        *tenant_columns(),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("organisation", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("address", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_address_book"),
        sa.UniqueConstraint("org_id", "id", name="uq_address_book_org_id_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_address_book_org_id_name", "address_book", ["org_id", "name"], schema=SCHEMA)
    op.create_table(
        "contact_types",
        *tenant_columns(),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contact_types"),
        sa.UniqueConstraint("org_id", "id", name="uq_contact_types_org_id_id"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_contact_types_org_id_name", "contact_types", ["org_id", "name"], unique=True, schema=SCHEMA
    )


def downgrade() -> None:
    op.drop_index("uq_contact_types_org_id_name", table_name="contact_types", schema=SCHEMA)
    op.drop_table("contact_types", schema=SCHEMA)
    op.drop_index("ix_address_book_org_id_name", table_name="address_book", schema=SCHEMA)
    op.drop_table("address_book", schema=SCHEMA)
    op.drop_index("uq_template_menus_org_id_name", table_name="template_menus", schema=SCHEMA)
    op.drop_table("template_menus", schema=SCHEMA)
    op.drop_table("template_versions", schema=SCHEMA)
    op.drop_index("uq_note_templates_org_id_name", table_name="note_templates", schema=SCHEMA)
    op.drop_table("note_templates", schema=SCHEMA)
