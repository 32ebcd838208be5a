"""note versions: signed versions are immutable and hash-chained per student folder; notes link to each other

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 01:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

SCHEMA = "records"

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_versions_from_notes()
    move_rows_under_versions()
    op.create_table(
        "note_links",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("from_note_id", sa.UUID(), nullable=False),
        sa.Column("to_note_id", sa.UUID(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.CheckConstraint("from_note_id <> to_note_id", name=op.f("ck_note_links_not_to_itself")),
        sa.ForeignKeyConstraint(
            ["org_id", "from_note_id"],
            [f"{SCHEMA}.notes.org_id", f"{SCHEMA}.notes.id"],
            name=op.f("fk_note_links_org_id_from_note_id_notes"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "to_note_id"],
            [f"{SCHEMA}.notes.org_id", f"{SCHEMA}.notes.id"],
            name=op.f("fk_note_links_org_id_to_note_id_notes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_note_links")),
        sa.UniqueConstraint(
            "org_id", "from_note_id", "to_note_id", name=op.f("uq_note_links_org_id_from_note_id_to_note_id")
        ),
        sa.UniqueConstraint("org_id", "id", name=op.f("uq_note_links_org_id_id")),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_note_links_org_id_to_note_id", "note_links", ["org_id", "to_note_id"], unique=False, schema=SCHEMA
    )
    op.create_table(
        "folder_chains",
        sa.Column("student_id", sa.UUID(), nullable=False),
        sa.Column("folder_id", sa.UUID(), nullable=False),
        sa.Column("length", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("head_hash", sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id", "folder_id"],
            [f"{SCHEMA}.folders.org_id", f"{SCHEMA}.folders.id"],
            name=op.f("fk_folder_chains_org_id_folder_id_folders"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id", "student_id"],
            [f"{SCHEMA}.students.org_id", f"{SCHEMA}.students.id"],
            name=op.f("fk_folder_chains_org_id_student_id_students"),
        ),
        sa.PrimaryKeyConstraint("org_id", "student_id", "folder_id", name=op.f("pk_folder_chains")),
        schema=SCHEMA,
    )
    create_immutability_triggers()


def create_versions_from_notes() -> None:
    """Each existing note becomes its own version 1 (notes could not be signed before this revision)."""
    op.create_table(
        "note_versions",
        sa.Column("note_id", sa.UUID(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("template_version_id", sa.UUID(), nullable=True),
        sa.Column("author_id", sa.UUID(), nullable=False),
        sa.Column("responsible_user_id", sa.UUID(), nullable=True),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("contact_type_id", sa.UUID(), nullable=True),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("signed_by", sa.UUID(), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("chain_position", sa.Integer(), nullable=True),
        sa.Column("previous_hash", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.Text(), nullable=True),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id", "note_id"],
            [f"{SCHEMA}.notes.org_id", f"{SCHEMA}.notes.id"],
            name=op.f("fk_note_versions_org_id_note_id_notes"),
        ),
        sa.PrimaryKeyConstraint("note_id", "version", name=op.f("pk_note_versions")),
        sa.UniqueConstraint(
            "org_id", "note_id", "version", name=op.f("uq_note_versions_org_id_note_id_version")
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_note_versions_org_id_note_id_chain_position",
        "note_versions",
        ["org_id", "note_id", "chain_position"],
        unique=False,
        schema=SCHEMA,
    )
    op.execute(
        f"""
        INSERT INTO {SCHEMA}.note_versions
            (org_id, note_id, version, author_id, event_date, status, created_at, updated_at, signed_by, signed_at)
        SELECT org_id, id, 1, author_id, event_date, status, created_at, created_at, signed_by, signed_at
        FROM {SCHEMA}.notes
        """
    )
    op.add_column("notes", sa.Column("template_id", sa.UUID(), nullable=True), schema=SCHEMA)
    op.alter_column("notes", "status", new_column_name="state", schema=SCHEMA)
    for column in ("current_version", "latest_version", "revision"):
        op.add_column(
            "notes",
            sa.Column(column, sa.Integer(), server_default=sa.text("1"), nullable=False),
            schema=SCHEMA,
        )
    op.drop_column("notes", "signed_by", schema=SCHEMA)
    op.drop_column("notes", "signed_at", schema=SCHEMA)
    op.drop_index("ix_notes_org_id_student_id_folder_id", table_name="notes", schema=SCHEMA)
    op.create_index(
        "ix_notes_org_id_student_id_folder_id_event_date_created_at_id",
        "notes",
        ["org_id", "student_id", "folder_id", "event_date", "created_at", "id"],
        unique=False,
        schema=SCHEMA,
    )


def move_rows_under_versions() -> None:
    """Rows belong to a version of their note; the existing rows are version 1's."""
    op.add_column(
        "note_rows",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        schema=SCHEMA,
    )
    op.alter_column("note_rows", "version", server_default=None, schema=SCHEMA)
    op.add_column("note_rows", sa.Column("template_row_id", sa.Text(), nullable=True), schema=SCHEMA)
    op.drop_constraint("fk_note_rows_org_id_note_id_notes", "note_rows", type_="foreignkey", schema=SCHEMA)
    op.drop_constraint("pk_note_rows", "note_rows", type_="primary", schema=SCHEMA)
    op.create_primary_key("pk_note_rows", "note_rows", ["note_id", "version", "position"], schema=SCHEMA)
    op.create_foreign_key(
        "fk_note_rows_org_id_note_id_version_note_versions",
        "note_rows",
        "note_versions",
        ["org_id", "note_id", "version"],
        ["org_id", "note_id", "version"],
        source_schema=SCHEMA,
        referent_schema=SCHEMA,
    )


def create_immutability_triggers() -> None:
    """patientdatalagen: a signed entry is never changed or removed, only amended with a new version."""
    op.execute(
        f"""
        CREATE FUNCTION {SCHEMA}.refuse_signed_version_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE' OR OLD.status = 'signed' THEN
                RAISE EXCEPTION 'a signed note version cannot be changed or removed'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$;
        CREATE TRIGGER note_versions_signed_immutable BEFORE UPDATE OR DELETE ON {SCHEMA}.note_versions
            FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.refuse_signed_version_change();
        CREATE TRIGGER note_versions_no_truncate BEFORE TRUNCATE ON {SCHEMA}.note_versions
            FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.refuse_signed_version_change();

        CREATE FUNCTION {SCHEMA}.refuse_signed_row_change() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            row_of RECORD;
        BEGIN
            IF TG_OP = 'TRUNCATE' THEN
                RAISE EXCEPTION 'the rows of signed note versions cannot be removed'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            row_of := CASE WHEN TG_OP = 'INSERT' THEN NEW ELSE OLD END;
            IF EXISTS (
                SELECT 1 FROM {SCHEMA}.note_versions v
                WHERE v.note_id = row_of.note_id AND v.version = row_of.version AND v.status = 'signed'
            ) THEN
                RAISE EXCEPTION 'the rows of a signed note version cannot be changed'
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        END $$;
        CREATE TRIGGER note_rows_signed_immutable BEFORE INSERT OR UPDATE OR DELETE ON {SCHEMA}.note_rows
            FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.refuse_signed_row_change();
        CREATE TRIGGER note_rows_no_truncate BEFORE TRUNCATE ON {SCHEMA}.note_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.refuse_signed_row_change();
        """
    )


def downgrade() -> None:
    op.execute(
        f"""
        DROP TRIGGER note_rows_no_truncate ON {SCHEMA}.note_rows;
        DROP TRIGGER note_rows_signed_immutable ON {SCHEMA}.note_rows;
        DROP FUNCTION {SCHEMA}.refuse_signed_row_change();
        DROP TRIGGER note_versions_no_truncate ON {SCHEMA}.note_versions;
        DROP TRIGGER note_versions_signed_immutable ON {SCHEMA}.note_versions;
        DROP FUNCTION {SCHEMA}.refuse_signed_version_change();
        """
    )
    op.drop_table("folder_chains", schema=SCHEMA)
    op.drop_index("ix_note_links_org_id_to_note_id", table_name="note_links", schema=SCHEMA)
    op.drop_table("note_links", schema=SCHEMA)
    # Only the first version of each note can be kept in the older layout.
    op.execute(f"DELETE FROM {SCHEMA}.note_rows WHERE version <> 1")
    op.drop_constraint(
        "fk_note_rows_org_id_note_id_version_note_versions", "note_rows", type_="foreignkey", schema=SCHEMA
    )
    op.drop_constraint("pk_note_rows", "note_rows", type_="primary", schema=SCHEMA)
    op.create_primary_key("pk_note_rows", "note_rows", ["note_id", "position"], schema=SCHEMA)
    op.create_foreign_key(
        "fk_note_rows_org_id_note_id_notes",
        "note_rows",
        "notes",
        ["org_id", "note_id"],
        ["org_id", "id"],
        source_schema=SCHEMA,
        referent_schema=SCHEMA,
    )
    op.drop_column("note_rows", "template_row_id", schema=SCHEMA)
    op.drop_column("note_rows", "version", schema=SCHEMA)
    op.drop_index(
        "ix_notes_org_id_student_id_folder_id_event_date_created_at_id", table_name="notes", schema=SCHEMA
    )
    op.create_index(
        "ix_notes_org_id_student_id_folder_id",
        "notes",
        ["org_id", "student_id", "folder_id"],
        unique=False,
        schema=SCHEMA,
    )
    op.add_column("notes", sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True), schema=SCHEMA)
    op.add_column("notes", sa.Column("signed_by", sa.UUID(), nullable=True), schema=SCHEMA)
    op.execute(
        f"""
        UPDATE {SCHEMA}.notes n SET signed_by = v.signed_by, signed_at = v.signed_at,
            state = CASE WHEN v.status = 'signed' THEN 'signed' ELSE 'draft' END
        FROM {SCHEMA}.note_versions v WHERE v.note_id = n.id AND v.version = 1
        """
    )
    for column in ("revision", "latest_version", "current_version", "template_id"):
        op.drop_column("notes", column, schema=SCHEMA)
    op.alter_column("notes", "state", new_column_name="status", schema=SCHEMA)
    op.drop_index("ix_note_versions_org_id_note_id_chain_position", table_name="note_versions", schema=SCHEMA)
    op.drop_table("note_versions", schema=SCHEMA)
