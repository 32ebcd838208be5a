"""Identity's repository against real PostgreSQL, each test in a transaction that is rolled back."""

import uuid

import pytest
from sqlalchemy import func, select

from services.common.errors import NotFound
from services.identity.adapters.orm import Organisation, Unit, User
from services.identity.adapters.repository import IdentityRepository


async def organisation(session, name: str) -> uuid.UUID:
    org = Organisation(id=uuid.uuid4(), name=name)
    session.add(org)
    await session.flush()
    return org.id


def unit(org_id: uuid.UUID, name: str) -> Unit:
    return Unit(
        id=uuid.uuid4(), org_id=org_id, name=name, kind="school", school_level="unspecified", active=True
    )


async def test_a_repository_sees_only_its_own_organisations_rows(db_session):
    ours, theirs = (
        await organisation(db_session, "Vår kommun"),
        await organisation(db_session, "Deras kommun"),
    )
    their_unit = unit(theirs, "Deras skola")
    db_session.add_all([unit(ours, "Vår skola"), their_unit])
    await db_session.flush()
    repo = IdentityRepository(db_session, ours)
    assert [u.name for u in await repo.units()] == ["Vår skola"]
    with pytest.raises(NotFound):
        await repo.unit(their_unit.id)


async def test_users_are_found_by_external_id_within_the_organisation(db_session):
    org = await organisation(db_session, "Kommunen")
    db_session.add(
        User(
            id=uuid.uuid4(),
            org_id=org,
            external_id="hr-1",
            first_name="A",
            last_name="B",
            active=True,
            permission_level="member",
        )
    )
    await db_session.flush()
    repo = IdentityRepository(db_session, org)
    assert list(await repo.users_by_external_ids(["hr-1", "hr-2"])) == ["hr-1"]
    assert await IdentityRepository(db_session, uuid.uuid4()).user_by_external_id("hr-1") is None


async def test_what_a_test_wrote_is_gone_afterwards(db_session):
    """Runs after the tests above: their organisations were rolled back."""
    count = await db_session.scalar(
        select(func.count()).select_from(Organisation).where(Organisation.name == "Vår kommun")
    )
    assert count == 0
