"""Each service's Alembic history builds exactly what its models describe, in its own schema, and unwinds."""

import importlib

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from services.common.db import sqlalchemy_url
from services.common.migrations import alembic_config, upgrade

SERVICES = ("identity", "authz", "records", "imports")


@pytest.fixture(scope="module")
def fresh_url(postgres) -> str:
    return postgres.new_database("migrations")


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_build_what_the_models_describe_and_keep_their_version_in_the_service_schema(
    fresh_url, service
):
    upgrade(service, fresh_url)
    metadata = importlib.import_module(f"services.{service}.adapters.orm").Base.metadata
    engine = create_engine(sqlalchemy_url(fresh_url))
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "include_schemas": True,
                "include_name": lambda name, type_, _: type_ != "schema" or name == service,
                "include_object": lambda obj, name, type_, *_: not (
                    type_ == "table" and name == "alembic_version"
                ),
                "compare_type": True,
            },
        )
        assert compare_metadata(context, metadata) == []
        version = conn.execute(text(f'SELECT version_num FROM "{service}".alembic_version')).scalar_one()
    engine.dispose()
    assert version == ScriptDirectory.from_config(alembic_config(service, fresh_url)).get_current_head()


@pytest.mark.parametrize("service", SERVICES)
def test_migrations_go_down_to_nothing_and_up_again(postgres, service):
    url = postgres.new_database("roundtrip")
    upgrade(service, url)
    command.downgrade(alembic_config(service, url), "base")
    engine = create_engine(sqlalchemy_url(url))
    assert inspect(engine).get_table_names(schema=service) == ["alembic_version"]
    engine.dispose()
    upgrade(service, url)
