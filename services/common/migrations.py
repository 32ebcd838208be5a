"""Alembic per service: the version table lives in the service's own schema; migrations run under a lock."""

import zlib
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, text
from sqlalchemy.dialects import postgresql

from services.common.db import sqlalchemy_url

SERVICES_DIR = Path(__file__).resolve().parent.parent


def alembic_config(service: str, database_url: str) -> Config:
    """The Alembic configuration of one service, pointed at a database."""
    config = Config()
    config.set_main_option("script_location", str(SERVICES_DIR / service / "migrations"))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    config.attributes["database_url"] = database_url
    return config


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    """Apply a service's migrations up to `revision`."""
    command.upgrade(alembic_config(service, database_url), revision)


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's migrations/env.py (online mode only)."""
    schema = target_metadata.schema
    url = context.config.attributes["database_url"]
    engine = create_engine(sqlalchemy_url(url), poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        # Two migration jobs for the same service must not interleave.
        connection.execute(
            text("SELECT pg_advisory_lock(:key)"), {"key": zlib.crc32(f"migrate:{schema}".encode())}
        )
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=schema,
            include_schemas=True,
            include_name=lambda name, type_, _: type_ != "schema" or name == schema,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    engine.dispose()


def create_kit_tables_v1(op, schema: str) -> None:
    """The kit tables (outbox, revisions, inbox, positions) as of version 1; never edit, add a v2."""
    uuid = postgresql.UUID(as_uuid=True)
    now = sa.text("now()")
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, autoincrement=True, nullable=False),
        sa.Column("event_id", uuid, nullable=False),
        sa.Column("org_id", uuid, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("headers", postgresql.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
        schema=schema,
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        schema=schema,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "revisions",
        sa.Column("org_id", uuid, nullable=False),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("org_id", name="pk_revisions"),
        schema=schema,
    )
    op.create_table(
        "inbox",
        sa.Column("event_id", uuid, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.PrimaryKeyConstraint("event_id", name="pk_inbox"),
        schema=schema,
    )
    op.create_table(
        "positions",
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("org_id", uuid, nullable=False),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("source", "org_id", name="pk_positions"),
        schema=schema,
    )


def drop_kit_tables_v1(op, schema: str) -> None:
    """Undo `create_kit_tables_v1`."""
    for table in ("positions", "inbox", "revisions", "outbox"):
        op.drop_table(table, schema=schema)


def create_kit_tables_v2(op, schema: str) -> None:
    """Version 2 on top of version 1: the inbox records each event's revision; the quarantine table."""
    uuid = postgresql.UUID(as_uuid=True)
    op.add_column("inbox", sa.Column("source", sa.Text), schema=schema)
    op.add_column("inbox", sa.Column("org_id", uuid), schema=schema)
    op.add_column("inbox", sa.Column("revision", sa.BigInteger), schema=schema)
    op.create_index(
        "ix_inbox_source_org_id_revision", "inbox", ["source", "org_id", "revision"], schema=schema
    )
    op.create_table(
        "quarantine",
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("org_id", uuid, nullable=False),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("applied_event_id", uuid),
        sa.Column("seen_event_id", uuid, nullable=False),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.PrimaryKeyConstraint("source", "org_id", name="pk_quarantine"),
        schema=schema,
    )


def drop_kit_tables_v2(op, schema: str) -> None:
    """Undo `create_kit_tables_v2`, back to version 1."""
    op.drop_table("quarantine", schema=schema)
    op.drop_index("ix_inbox_source_org_id_revision", table_name="inbox", schema=schema)
    for column in ("revision", "org_id", "source"):
        op.drop_column("inbox", column, schema=schema)


# A reference between tenant tables, as (table, column, referred table).
Reference = tuple[str, str, str]


def add_tenant_keys_v1(op, schema: str, tables: Iterable[str]) -> None:
    """The `(org_id, id)` unique key on each table, for composite references to point at."""
    for table in tables:
        op.create_unique_constraint(f"uq_{table}_org_id_id", table, ["org_id", "id"], schema=schema)


def drop_tenant_keys_v1(op, schema: str, tables: Iterable[str]) -> None:
    """Undo `add_tenant_keys_v1`."""
    for table in tables:
        op.drop_constraint(f"uq_{table}_org_id_id", table, type_="unique", schema=schema)


def add_org_id_from_parent_v1(op, schema: str, table: str, column: str, parent: str) -> None:
    """Give a child table the organisation of its parent row, filled in before the column refuses NULL."""
    op.add_column(table, sa.Column("org_id", postgresql.UUID(as_uuid=True), nullable=True), schema=schema)
    op.execute(
        f"UPDATE {schema}.{table} AS c SET org_id = p.org_id FROM {schema}.{parent} AS p WHERE p.id = c.{column}"
    )
    op.alter_column(table, "org_id", nullable=False, schema=schema)


def bind_references_to_tenant_v1(op, schema: str, references: Iterable[Reference]) -> None:
    """Replace each `column → referred(id)` by `(org_id, column) → referred(org_id, id)`."""
    for table, column, referred in references:
        op.drop_constraint(f"fk_{table}_{column}_{referred}", table, type_="foreignkey", schema=schema)
        op.create_foreign_key(
            f"fk_{table}_org_id_{column}_{referred}",
            table,
            referred,
            ["org_id", column],
            ["org_id", "id"],
            source_schema=schema,
            referent_schema=schema,
        )


def unbind_references_from_tenant_v1(op, schema: str, references: Iterable[Reference]) -> None:
    """Undo `bind_references_to_tenant_v1`."""
    for table, column, referred in references:
        op.drop_constraint(f"fk_{table}_org_id_{column}_{referred}", table, type_="foreignkey", schema=schema)
        op.create_foreign_key(
            f"fk_{table}_{column}_{referred}",
            table,
            referred,
            [column],
            ["id"],
            source_schema=schema,
            referent_schema=schema,
        )
