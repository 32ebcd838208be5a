"""Async SQLAlchemy on psycopg 3: engines, one schema per service, and the kit tables every schema has."""

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from services.common.telemetry import instrument_engine

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def make_metadata(schema: str) -> MetaData:
    """Metadata for one service's schema with the shared constraint naming convention."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def sqlalchemy_url(url: str) -> str:
    """The URL with the psycopg 3 driver, whatever postgres scheme it was given with."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def libpq_url(url: str) -> str:
    """The URL as libpq (plain psycopg) understands it."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def create_engine(
    url: str, *, application_name: str, pool_size: int = 10, autocommit: bool = False
) -> AsyncEngine:
    """A pooled, traced async engine. `autocommit` suits single-statement reads: no BEGIN/ROLLBACK round trips."""
    engine = create_async_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        # Parameters are personal data (personnummer, e-mail): never in error texts or logs.
        hide_parameters=True,
        connect_args={"application_name": application_name},
    )
    instrument_engine(engine)
    return engine


def autocommit(engine: AsyncEngine) -> AsyncEngine:
    """The same pool without transactions, for single-statement reads: no BEGIN/ROLLBACK round trips."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


@dataclass(frozen=True)
class KitTables:
    """Tables of the shared kit that live in every service schema."""

    outbox: Table  # events waiting to be (or already) published, written with the change
    revisions: Table  # per organisation: the revision of the latest event this service published
    inbox: Table  # ids of events this service has consumed, written with their effect
    positions: Table  # per source service and organisation: the highest revision consumed
    quarantine: Table  # (source, organisation) whose events disagree with what was applied: not trusted

    @property
    def schema(self) -> str:
        return self.outbox.schema


def kit_tables(metadata: MetaData) -> KitTables:
    """Declare the kit tables on a service's metadata."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("org_id", UUID(as_uuid=True), nullable=False),
        Column("subject", Text, nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
        Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    )
    revisions = Table(
        "revisions",
        metadata,
        Column("org_id", UUID(as_uuid=True), primary_key=True),
        Column("revision", BigInteger, nullable=False),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("subject", Text, nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        # Which revision the event was applied as; empty for events consumed before this was recorded.
        Column("source", Text),
        Column("org_id", UUID(as_uuid=True)),
        Column("revision", BigInteger),
        Index("ix_inbox_source_org_id_revision", "source", "org_id", "revision"),
    )
    positions = Table(
        "positions",
        metadata,
        Column("source", Text, nullable=False),
        Column("org_id", UUID(as_uuid=True), nullable=False),
        Column("revision", BigInteger, nullable=False),
        PrimaryKeyConstraint("source", "org_id"),
    )
    quarantine = Table(
        "quarantine",
        metadata,
        Column("source", Text, nullable=False),
        Column("org_id", UUID(as_uuid=True), nullable=False),
        Column("revision", BigInteger, nullable=False),
        Column("applied_event_id", UUID(as_uuid=True)),
        Column("seen_event_id", UUID(as_uuid=True), nullable=False),
        Column("detected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("source", "org_id"),
    )
    return KitTables(
        outbox=outbox, revisions=revisions, inbox=inbox, positions=positions, quarantine=quarantine
    )


def outbox_channel(schema: str) -> str:
    """The LISTEN/NOTIFY channel that wakes a service's outbox relay."""
    return f"{schema}_outbox"
