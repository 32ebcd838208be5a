"""Identity over gRPC: the organisation's settings, and whether a user may sign notes."""

import uuid

import pytest
from elevhalsa.identity.v1 import events_pb2
from elevhalsa.identity.v1 import identity_pb2 as pb
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from services.common.auth import Caller, PermissionLevel, bind_caller, unbind_caller
from services.common.db import session_factory
from services.common.errors import NotFound, PermissionDenied
from services.common.grpc_client import call
from services.identity.adapters.repository import IdentityRepository
from services.identity.service_layer.replay import current_state
from services.records.adapters.clients import IdentityClient, OrganisationSettings
from tests.support.orgs import new_org

BOTH_OFF = pb.UpdateSettingsRequest(prevent_editing_own_signed_notes=False, subadmins_manage_templates=False)


def flags(settings: pb.OrganisationSettings) -> tuple[bool, bool]:
    return settings.prevent_editing_own_signed_notes, settings.subadmins_manage_templates


async def member_of(org, level=pb.PERMISSION_LEVEL_MEMBER) -> str:
    _, email = await org.user(level=level)
    return await org.login(email)


async def published_user_changes(engine, org_id: str, user_id: str) -> list[events_pb2.UserChanged]:
    """The UserChanged events identity's outbox holds for the user, oldest first."""
    query = text(
        "SELECT payload FROM identity.outbox WHERE org_id = :org AND subject LIKE '%.UserChanged' ORDER BY id"
    )
    async with engine.connect() as conn:
        payloads = (await conn.execute(query, {"org": org_id})).scalars().all()
    events = [events_pb2.UserChanged.FromString(payload) for payload in payloads]
    return [event for event in events if event.user_id == user_id]


# --- settings ---------------------------------------------------------------------------------------


async def test_every_member_reads_the_settings_and_a_new_organisation_has_the_defaults(org):
    member = await member_of(org)
    settings = await call(org.identity.GetSettings, pb.GetSettingsRequest(), token=member)
    assert flags(settings) == (False, False)


async def test_an_administrator_changes_one_setting_and_members_read_it(org):
    changed = await call(
        org.identity.UpdateSettings,
        pb.UpdateSettingsRequest(prevent_editing_own_signed_notes=True),
        token=org.admin,
    )
    assert flags(changed) == (True, False)
    changed = await call(
        org.identity.UpdateSettings,
        pb.UpdateSettingsRequest(subadmins_manage_templates=True),
        token=org.admin,
    )
    assert flags(changed) == (True, True)
    read = await call(org.identity.GetSettings, pb.GetSettingsRequest(), token=await member_of(org))
    assert flags(read) == (True, True)


@pytest.mark.parametrize("level", [pb.PERMISSION_LEVEL_MEMBER, pb.PERMISSION_LEVEL_SUBADMIN])
async def test_only_administrators_change_settings(org, level):
    with pytest.raises(PermissionDenied):
        await call(
            org.identity.UpdateSettings,
            pb.UpdateSettingsRequest(subadmins_manage_templates=True),
            token=await member_of(org, level),
        )
    assert flags(await call(org.identity.GetSettings, pb.GetSettingsRequest(), token=org.admin)) == (
        False,
        False,
    )


async def test_one_organisations_settings_do_not_change_anothers(services, org):
    other = await new_org(services)
    await call(
        org.identity.UpdateSettings,
        pb.UpdateSettingsRequest(prevent_editing_own_signed_notes=True),
        token=org.admin,
    )
    theirs = await call(other.identity.GetSettings, pb.GetSettingsRequest(), token=other.admin)
    assert flags(theirs) == (False, False)


async def test_settings_being_changed_stay_locked_until_the_change_ends(org, engine):
    """So that two administrators changing different settings at once both keep their change."""
    await call(org.identity.UpdateSettings, BOTH_OFF, token=org.admin)  # the row exists
    sessions, org_id = session_factory(engine), uuid.UUID(org.org_id)
    async with sessions() as first, sessions() as second:
        await IdentityRepository(first, org_id).locked_settings()
        await second.execute(text("SET LOCAL lock_timeout = '200ms'"))
        with pytest.raises(DBAPIError, match="lock timeout"):
            await IdentityRepository(second, org_id).locked_settings()


async def test_records_reads_the_settings_as_the_user(services, org):
    await call(
        org.identity.UpdateSettings,
        pb.UpdateSettingsRequest(subadmins_manage_templates=True),
        token=org.admin,
    )
    user, email = await org.user()
    member = Caller(user.id, org.org_id, PermissionLevel.MEMBER, await org.login(email))
    reset = bind_caller(member)
    try:
        settings = await IdentityClient(services.channels["identity"], timeout=5).settings()
    finally:
        unbind_caller(reset)
    assert settings == OrganisationSettings(
        prevent_editing_own_signed_notes=False, subadmins_manage_templates=True, memory_notes_allowed=False
    )


# --- may sign notes ---------------------------------------------------------------------------------


async def test_a_user_may_sign_notes_unless_created_otherwise(org):
    signing, _ = await org.user()
    silent = await call(
        org.identity.CreateUser,
        pb.CreateUserRequest(first_name="Ida", last_name="Ingen", active=True, may_sign_notes=False),
        token=org.admin,
    )
    assert signing.may_sign_notes and not silent.user.may_sign_notes
    read = await call(org.identity.GetUser, pb.GetUserRequest(user_id=silent.user.id), token=org.admin)
    assert not read.may_sign_notes


async def test_an_administrator_changes_whether_a_user_may_sign_and_the_change_is_published(org, engine):
    user, _ = await org.user()
    stopped = await call(
        org.identity.UpdateUser, pb.UpdateUserRequest(user_id=user.id, may_sign_notes=False), token=org.admin
    )
    assert not stopped.user.may_sign_notes and stopped.consistency_token
    kept = await call(org.identity.UpdateUser, pb.UpdateUserRequest(user_id=user.id), token=org.admin)
    assert not kept.user.may_sign_notes
    changes = await published_user_changes(engine, org.org_id, user.id)
    assert [event.may_sign_notes for event in changes] == [True, False]


async def test_a_member_does_not_change_whether_a_user_may_sign_but_a_subadmin_with_the_users_module_does(
    org,
):
    user, _ = await org.user()
    stop = pb.UpdateUserRequest(user_id=user.id, may_sign_notes=False, consistency_token=org.token)
    with pytest.raises(PermissionDenied):
        await call(org.identity.UpdateUser, stop, token=await member_of(org, pb.PERMISSION_LEVEL_MEMBER))
    changed = await call(
        org.identity.UpdateUser, stop, token=await member_of(org, pb.PERMISSION_LEVEL_SUBADMIN)
    )
    assert not changed.user.may_sign_notes


async def test_a_user_of_another_organisation_or_a_malformed_id_is_not_found(services, org):
    theirs, _ = await (await new_org(services)).user()
    for user_id in (theirs.id, "not-a-uuid", str(uuid.uuid4())):
        with pytest.raises(NotFound) as refused:
            await call(
                org.identity.UpdateUser,
                pb.UpdateUserRequest(user_id=user_id, may_sign_notes=False),
                token=org.admin,
            )
        assert refused.value.field == "user_id"


async def test_an_import_creates_users_who_may_sign_and_leaves_the_flag_of_users_it_knows(org, engine):
    created = await call(
        org.identity.ApplyImportedUsers,
        pb.ApplyImportedUsersRequest(
            upserts=[pb.ImportedUser(external_id="hr-1", first_name="Ny", last_name="Person", active=True)]
        ),
        token=org.admin,
    )
    [result] = created.results
    assert (
        await call(org.identity.GetUser, pb.GetUserRequest(user_id=result.user_id), token=org.admin)
    ).may_sign_notes
    await call(
        org.identity.UpdateUser,
        pb.UpdateUserRequest(user_id=result.user_id, may_sign_notes=False),
        token=org.admin,
    )
    for active in (False, True):  # deactivated, then activated with a new name: both publish UserChanged
        upsert = pb.ImportedUser(external_id="hr-1", first_name="Nytt", last_name="Namn", active=active)
        await call(
            org.identity.ApplyImportedUsers, pb.ApplyImportedUsersRequest(upserts=[upsert]), token=org.admin
        )
    user = await call(org.identity.GetUser, pb.GetUserRequest(user_id=result.user_id), token=org.admin)
    assert (user.first_name, user.active, user.may_sign_notes) == ("Nytt", True, False)
    changes = await published_user_changes(engine, org.org_id, result.user_id)
    assert [(event.active, event.may_sign_notes) for event in changes] == [
        (True, True),
        (True, False),
        (False, False),
        (True, False),
    ]


async def test_replay_org_tells_whether_each_user_may_sign(org, db_session):
    silent, _ = await org.user()
    await call(
        org.identity.UpdateUser,
        pb.UpdateUserRequest(user_id=silent.id, may_sign_notes=False),
        token=org.admin,
    )
    replayed = {
        event.user_id: event.may_sign_notes
        for event in await current_state(db_session, uuid.UUID(org.org_id))
        if isinstance(event, events_pb2.UserChanged)
    }
    assert replayed[silent.id] is False
    assert set(replayed.values()) == {True, False}  # the administrator still may
