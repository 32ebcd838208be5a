"""Notes written before versions existed become their own first version, and survive a downgrade and upgrade."""

import uuid

from alembic import command
from sqlalchemy import create_engine, text

from services.common.db import sqlalchemy_url
from services.common.migrations import alembic_config, upgrade
from tests.integration.records.test_tenant_keys import insert_note_with_a_row

ORG = uuid.uuid4()
VERSIONS = "SELECT version, status, event_date::text FROM records.note_versions WHERE note_id = :note"
ROWS = "SELECT version, heading FROM records.note_rows WHERE note_id = :note"
NOTE = "SELECT state, current_version, latest_version, revision FROM records.notes WHERE id = :note"


def test_an_existing_note_becomes_version_one_of_itself_down_and_up(postgres):
    url = postgres.new_database("records_note_versions")
    upgrade("records", url, "0003")
    engine = create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:
        note = insert_note_with_a_row(conn, student_org=ORG, folder_org=ORG, note_org=ORG, row_org=ORG)
    upgrade("records", url, "0006")
    with engine.connect() as conn:
        assert conn.execute(text(VERSIONS), {"note": note}).all() == [(1, "draft", "2026-11-28")]
        assert conn.execute(text(ROWS), {"note": note}).all() == [(1, "Besök")]
        assert conn.execute(text(NOTE), {"note": note}).one() == ("draft", 1, 1, 1)
    command.downgrade(alembic_config("records", url), "0005")
    with engine.connect() as conn:
        status = "SELECT status FROM records.notes WHERE id = :note"
        assert conn.execute(text(status), {"note": note}).scalar_one() == "draft"
        assert conn.execute(
            text("SELECT heading FROM records.note_rows WHERE note_id = :note"), {"note": note}
        ).all() == [("Besök",)]
    upgrade("records", url, "0006")
    with engine.connect() as conn:
        assert conn.execute(text(VERSIONS), {"note": note}).all() == [(1, "draft", "2026-11-28")]
    engine.dispose()
