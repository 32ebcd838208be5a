"""Integration tests: each service against real PostgreSQL (real migrations) and real NATS, in-process."""

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.db import create_engine
from services.common.migrations import upgrade
from tests.support.orgs import new_org
from tests.support.services import InProcessServices

SERVICES = ("identity", "authz", "records", "imports")


@pytest.fixture(scope="session")
def database_url(postgres) -> str:
    """A fresh database with every service's migrations applied."""
    url = postgres.new_database("integration")
    for service in SERVICES:
        upgrade(service, url)
    return url


@pytest.fixture(scope="session")
async def services(database_url, nats_server, key_pair):
    running = InProcessServices(database_url, nats_server, *key_pair)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def org(services):
    """An organisation of this test's own, so tests never see each other's data."""
    return await new_org(services)


@pytest.fixture(scope="session")
async def engine(database_url):
    engine = create_engine(database_url, application_name="tests", pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db_session(engine):
    """A session whose work is rolled back when the test ends (commits become savepoints)."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()
