"""school: school years, classes, student groups, placements, and the students' contact data

School years of an organisation must not overlap; an exclusion constraint says so, race-free, which needs the
btree_gist extension (a trusted extension: the owner of the database may create it, no superuser needed).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 01:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

SCHEMA = "records"

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def tenant_columns() -> list[sa.Column]:
    return [
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
    ]


def created_at() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def reference(table: str, column: str, referred: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["org_id", column],
        [f"{SCHEMA}.{referred}.org_id", f"{SCHEMA}.{referred}.id"],
        name=f"fk_{table}_org_id_{column}_{referred}",
    )


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "school_years",
        *tenant_columns(),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        created_at(),
        postgresql.ExcludeConstraint(
            (sa.column("org_id"), "="),
            (sa.text("daterange(starts_on, ends_on, '[]')"), "&&"),
            using="gist",
            name="ex_school_years_org_id_dates",
        ),
        sa.CheckConstraint("starts_on <= ends_on", name="ck_school_years_dates_in_order"),
        sa.PrimaryKeyConstraint("id", name="pk_school_years"),
        sa.UniqueConstraint("org_id", "id", name="uq_school_years_org_id_id"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_school_years_org_id_name", "school_years", ["org_id", "name"], unique=True, schema=SCHEMA
    )

    op.create_table(
        "classes",
        *tenant_columns(),
        sa.Column("unit_id", sa.UUID(), nullable=False),
        sa.Column("school_year_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        created_at(),
        reference("classes", "school_year_id", "school_years"),
        sa.PrimaryKeyConstraint("id", name="pk_classes"),
        sa.UniqueConstraint("org_id", "id", name="uq_classes_org_id_id"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_classes_org_id_unit_id_school_year_id_name",
        "classes",
        ["org_id", "unit_id", "school_year_id", "name"],
        unique=True,
        schema=SCHEMA,
    )
    op.create_index(
        "ix_classes_org_id_school_year_id", "classes", ["org_id", "school_year_id"], schema=SCHEMA
    )

    op.create_table(
        "student_groups",
        *tenant_columns(),
        sa.Column("unit_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=True),
        created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_student_groups"),
        sa.UniqueConstraint("org_id", "id", name="uq_student_groups_org_id_id"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_student_groups_org_id_external_id",
        "student_groups",
        ["org_id", "external_id"],
        unique=True,
        schema=SCHEMA,
    )
    op.create_index(
        "ix_student_groups_org_id_unit_id", "student_groups", ["org_id", "unit_id"], schema=SCHEMA
    )

    op.create_table(
        "student_group_members",
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("group_id", sa.UUID(), nullable=False),
        sa.Column("student_id", sa.UUID(), nullable=False),
        reference("student_group_members", "group_id", "student_groups"),
        reference("student_group_members", "student_id", "students"),
        sa.PrimaryKeyConstraint("group_id", "student_id", name="pk_student_group_members"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_student_group_members_org_id_student_id",
        "student_group_members",
        ["org_id", "student_id"],
        schema=SCHEMA,
    )

    op.create_table(
        "placements",
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("student_id", sa.UUID(), nullable=False),
        sa.Column("school_year_id", sa.UUID(), nullable=False),
        sa.Column("class_id", sa.UUID(), nullable=True),
        sa.Column("grade", sa.SmallInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("grade BETWEEN 0 AND 13", name="ck_placements_grade_in_range"),
        reference("placements", "class_id", "classes"),
        reference("placements", "school_year_id", "school_years"),
        reference("placements", "student_id", "students"),
        sa.PrimaryKeyConstraint("student_id", "school_year_id", name="pk_placements"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_placements_org_id_school_year_id_class_id",
        "placements",
        ["org_id", "school_year_id", "class_id"],
        schema=SCHEMA,
    )

    for name in ("street_address", "postcode", "city", "country"):
        op.add_column("students", sa.Column(name, sa.Text(), nullable=True), schema=SCHEMA)
    op.add_column(
        "students",
        sa.Column(
            "phone_numbers", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        schema=SCHEMA,
    )
    op.add_column("students", sa.Column("email", sa.Text(), nullable=True), schema=SCHEMA)
    op.create_index(
        "ix_students_org_id_unit_id_archived_names",
        "students",
        ["org_id", "unit_id", "archived", "last_name", "first_name", "id"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    # btree_gist stays: other schemas of the database may use it.
    op.drop_index("ix_students_org_id_unit_id_archived_names", table_name="students", schema=SCHEMA)
    for name in ("email", "phone_numbers", "country", "city", "postcode", "street_address"):
        op.drop_column("students", name, schema=SCHEMA)
    op.drop_table("placements", schema=SCHEMA)
    op.drop_table("student_group_members", schema=SCHEMA)
    op.drop_table("student_groups", schema=SCHEMA)
    op.drop_table("classes", schema=SCHEMA)
    op.drop_table("school_years", schema=SCHEMA)
