"""Migrating a populated identity schema to tenant keys: credentials learn their organisation, and back."""

import uuid

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from services.common.db import sqlalchemy_url
from services.common.migrations import alembic_config, upgrade

BEFORE_TENANT_KEYS = "0001"


@pytest.fixture
def populated_before_tenant_keys(postgres):
    """A database at the schema before tenant keys, holding one organisation's user with a password login."""
    url = postgres.new_database("tenant_keys")
    upgrade("identity", url, BEFORE_TENANT_KEYS)
    org_id, user_id = uuid.uuid4(), uuid.uuid4()
    engine = create_engine(sqlalchemy_url(url))
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO identity.organisations (id, name) VALUES (:id, 'Solna')"), {"id": org_id}
        )
        conn.execute(
            text(
                "INSERT INTO identity.users (id, org_id, first_name, last_name, active, permission_level)"
                " VALUES (:id, :org, 'Stina', 'Sköterska', true, 'member')"
            ),
            {"id": user_id, "org": org_id},
        )
        conn.execute(
            text(
                "INSERT INTO identity.credentials (user_id, login_email, password_hash)"
                " VALUES (:id, 'stina@solna.se', 'hash')"
            ),
            {"id": user_id},
        )
    yield url, engine, org_id
    engine.dispose()


def test_existing_logins_keep_working_with_their_users_organisation_and_the_downgrade_keeps_them(
    populated_before_tenant_keys,
):
    url, engine, org_id = populated_before_tenant_keys
    upgrade("identity", url)
    with engine.connect() as conn:
        login = conn.execute(text("SELECT org_id, login_email FROM identity.credentials")).one()
    assert tuple(login) == (org_id, "stina@solna.se")
    command.downgrade(alembic_config("identity", url), BEFORE_TENANT_KEYS)
    with engine.connect() as conn:
        logins = conn.execute(text("SELECT login_email FROM identity.credentials")).scalars().all()
    columns = {column["name"] for column in inspect(engine).get_columns("credentials", schema="identity")}
    assert (logins, "org_id" in columns) == (["stina@solna.se"], False)
