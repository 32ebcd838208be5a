"""Tenancy in records' schema: existing note rows learn their organisation, and no reference crosses one."""

import uuid

import pytest
from alembic import command
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from services.common.db import sqlalchemy_url
from services.common.migrations import alembic_config, upgrade

ORG, OTHER_ORG = uuid.uuid4(), uuid.uuid4()


def insert_note_with_a_row(conn, *, student_org, folder_org, note_org, row_org=None) -> uuid.UUID:
    """A student, a folder, a note about them and one row, each in the organisation given."""
    student, folder, note = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    conn.execute(
        text(
            "INSERT INTO records.students (id, org_id, unit_id, personnummer, first_name, last_name)"
            " VALUES (:id, :org, :unit, '201503122382', 'Alva', 'Andersson')"
        ),
        {"id": student, "org": student_org, "unit": uuid.uuid4()},
    )
    conn.execute(
        text("INSERT INTO records.folders (id, org_id, name) VALUES (:id, :org, :name)"),
        {"id": folder, "org": folder_org, "name": f"Mapp {folder}"},
    )
    conn.execute(
        text(
            "INSERT INTO records.notes (id, org_id, student_id, folder_id, author_id, event_date, status)"
            " VALUES (:id, :org, :student, :folder, :author, '2026-11-28', 'draft')"
        ),
        {"id": note, "org": note_org, "student": student, "folder": folder, "author": uuid.uuid4()},
    )
    columns, values = ("note_id, position, heading, row_type, value", ":note, 0, 'Besök', 'free_text', '{}'")
    if row_org is not None:
        columns, values = f"org_id, {columns}", f":org, {values}"
    conn.execute(
        text(f"INSERT INTO records.note_rows ({columns}) VALUES ({values})"), {"note": note, "org": row_org}
    )
    return note


def test_rows_written_before_the_tenant_keys_get_their_notes_organisation_and_keep_it_down_and_up(postgres):
    url = postgres.new_database("records_tenant_keys")
    upgrade("records", url, "0001")
    engine = create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:
        note = insert_note_with_a_row(conn, student_org=ORG, folder_org=ORG, note_org=ORG)
    upgrade("records", url, "0003")
    row_org = "SELECT org_id FROM records.note_rows WHERE note_id = :note"
    with engine.connect() as conn:
        assert conn.execute(text(row_org), {"note": note}).scalar_one() == ORG
    command.downgrade(alembic_config("records", url), "0003-1")
    with engine.connect() as conn:
        count = "SELECT count(*) FROM records.note_rows WHERE note_id = :note"
        assert conn.execute(text(count), {"note": note}).scalar_one() == 1
    upgrade("records", url, "0003")
    with engine.connect() as conn:
        assert conn.execute(text(row_org), {"note": note}).scalar_one() == ORG
    engine.dispose()


@pytest.mark.parametrize(
    "organisations",
    [
        {"student_org": OTHER_ORG, "folder_org": ORG, "note_org": ORG},
        {"student_org": ORG, "folder_org": OTHER_ORG, "note_org": ORG},
        {"student_org": ORG, "folder_org": ORG, "note_org": ORG, "row_org": OTHER_ORG},
    ],
    ids=[
        "note-about-another-organisations-student",
        "note-in-another-organisations-folder",
        "row-of-another",
    ],
)
def test_the_database_refuses_a_reference_to_another_organisations_row(database_url, organisations):
    engine = create_engine(sqlalchemy_url(database_url))
    with engine.connect() as conn, pytest.raises(IntegrityError, match="foreign key"):
        insert_versioned_note_with_a_row(conn, **{"row_org": ORG, **organisations})
    engine.dispose()


def insert_versioned_note_with_a_row(conn, *, student_org, folder_org, note_org, row_org) -> None:
    """As `insert_note_with_a_row`, in today's layout: the row belongs to the note's first version."""
    student, folder, note = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    conn.execute(
        text(
            "INSERT INTO records.students (id, org_id, unit_id, personnummer, first_name, last_name)"
            " VALUES (:id, :org, :unit, '201503122382', 'Alva', 'Andersson')"
        ),
        {"id": student, "org": student_org, "unit": uuid.uuid4()},
    )
    conn.execute(
        text("INSERT INTO records.folders (id, org_id, name) VALUES (:id, :org, :name)"),
        {"id": folder, "org": folder_org, "name": f"Mapp {folder}"},
    )
    author = uuid.uuid4()
    conn.execute(
        text(
            "INSERT INTO records.notes (id, org_id, student_id, folder_id, author_id, event_date, state)"
            " VALUES (:id, :org, :student, :folder, :author, '2026-11-28', 'draft')"
        ),
        {"id": note, "org": note_org, "student": student, "folder": folder, "author": author},
    )
    conn.execute(
        text(
            "INSERT INTO records.note_versions (org_id, note_id, version, author_id, event_date, status)"
            " VALUES (:org, :note, 1, :author, '2026-11-28', 'draft')"
        ),
        {"org": note_org, "note": note, "author": author},
    )
    conn.execute(
        text(
            "INSERT INTO records.note_rows (org_id, note_id, version, position, heading, row_type, value)"
            " VALUES (:org, :note, 1, 0, 'Besök', 'free_text', '\"Text\"')"
        ),
        {"note": note, "org": row_org},
    )
