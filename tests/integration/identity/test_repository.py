"""Identity's repository against real PostgreSQL, each test in a transaction that is rolled back."""

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from services.common.errors import NotFound
from services.identity.adapters.orm import Assignment, Organisation, Unit, User, UserRole
from services.identity.adapters.repository import NO_ORGANISATION, IdentityRepository


async def organisation(session, name: str | None = None) -> IdentityRepository:
    """A new organisation, with a name no other test uses, and its repository."""
    repo = IdentityRepository(session, uuid.uuid4())
    repo.add_organisation(name or f"Kommun {uuid.uuid4().hex[:8]}")
    await repo.flush()
    return repo


def unit(org_id: uuid.UUID, name: str) -> Unit:
    return Unit(
        id=uuid.uuid4(), org_id=org_id, name=name, kind="school", school_level="unspecified", active=True
    )


def user(org_id: uuid.UUID, external_id: str | None = None, email: str | None = None) -> User:
    return User(
        id=uuid.uuid4(),
        org_id=org_id,
        external_id=external_id,
        first_name="A",
        last_name="B",
        email=email,
        active=True,
        permission_level="member",
    )


async def test_a_repository_sees_only_its_own_organisations_rows(db_session):
    ours, theirs = await organisation(db_session), await organisation(db_session)
    their_unit = unit(theirs.org_id, "Deras skola")
    ours.add(unit(ours.org_id, "Vår skola"))
    theirs.add(their_unit)
    await db_session.flush()
    assert [u.name for u in await ours.units()] == ["Vår skola"]
    with pytest.raises(NotFound):
        await ours.unit(their_unit.id)


async def test_users_are_found_by_external_id_within_the_organisation(db_session):
    repo = await organisation(db_session)
    repo.add(user(repo.org_id, external_id="hr-1"))
    await repo.flush()
    assert list(await repo.users_by_external_ids(["hr-1", "hr-2"])) == ["hr-1"]
    assert await IdentityRepository(db_session, uuid.uuid4()).user_by_external_id("hr-1") is None


async def test_a_login_is_found_from_any_organisation_by_its_email_alone(db_session):
    repo = await organisation(db_session)
    person = user(repo.org_id, email="stina@kommun.se")
    repo.add(person)
    assert await repo.add_credential(person, f"stina-{repo.org_id}@kommun.se", "hash")
    credential, found = await IdentityRepository(db_session, NO_ORGANISATION).login_of(
        f"stina-{repo.org_id}@kommun.se"
    )
    assert (found.id, found.org_id, credential.org_id) == (person.id, repo.org_id, repo.org_id)


async def test_a_login_email_is_taken_whichever_organisation_holds_it(db_session):
    ours, theirs = await organisation(db_session), await organisation(db_session)
    login = f"delad-{ours.org_id}@kommun.se"
    their_user, our_user = user(theirs.org_id, email=login), user(ours.org_id, email=login)
    theirs.add(their_user)
    ours.add(our_user)
    assert await theirs.add_credential(their_user, login, "hash")
    assert not await ours.add_credential(our_user, login, "hash")
    assert await ours.login_email_taken(login, by_other_than=our_user.id)
    assert not await theirs.login_email_taken(login, by_other_than=their_user.id)


async def test_the_schema_refuses_an_assignment_that_points_into_another_organisation(db_session):
    ours, theirs = await organisation(db_session), await organisation(db_session)
    our_user = user(ours.org_id)
    their_role = UserRole(id=uuid.uuid4(), org_id=theirs.org_id, name="Deras roll")
    ours.add(our_user)
    theirs.add(their_role)
    await db_session.flush()
    ours.add(
        Assignment(
            id=uuid.uuid4(),
            org_id=ours.org_id,
            user_id=our_user.id,
            role_id=their_role.id,
            all_units=True,
            source="manual",
        )
    )
    with pytest.raises(IntegrityError, match="fk_assignments_org_id_role_id_user_roles"):
        await db_session.flush()


async def test_what_a_test_writes_is_gone_when_it_ends(engine, db_session):
    """Writes in db_session are invisible to every other connection, and were never committed."""
    name = f"Kommun {uuid.uuid4().hex[:8]}"
    await organisation(db_session, name)
    assert await db_session.scalar(select(func.count()).where(Organisation.name == name)) == 1
    async with engine.connect() as other:
        seen = await other.scalar(
            select(func.count()).select_from(Organisation).where(Organisation.name == name)
        )
    assert seen == 0
