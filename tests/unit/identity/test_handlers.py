"""Identity's use cases against a fake repository: who may change what, what is refused, what is published."""

import uuid

import pytest

from services.common.auth import Caller, PermissionLevel
from services.common.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from services.identity.adapters.orm import Credential, Unit, User, UserRole
from services.identity.domain.model import (
    AssignmentTerms,
    SchoolLevel,
    Settings,
    SettingsChange,
    UnitKind,
    UserChange,
)
from services.identity.service_layer import handlers
from services.identity.service_layer.bootstrap import bootstrap_organisation
from tests.unit.identity.fakes import FakeStore, FakeUnitOfWork, SpyHasher

ORG = uuid.UUID("00000000-0000-0000-0000-00000000000a")
OTHER_ORG = uuid.UUID("00000000-0000-0000-0000-00000000000b")
PASSWORD = "correct horse battery"


def caller(level: PermissionLevel, org_id: uuid.UUID = ORG, user_id: uuid.UUID | None = None) -> Caller:
    return Caller(user_id=str(user_id or uuid.uuid4()), org_id=str(org_id), permission_level=level, token="t")


ADMIN = caller(PermissionLevel.ADMIN)
SUBADMIN = caller(PermissionLevel.SUBADMIN)
MEMBER = caller(PermissionLevel.MEMBER)


def new_unit(name: str = "Sätraskolan", external_id: uuid.UUID | None = None) -> handlers.NewUnit:
    return handlers.NewUnit(
        name=name, kind=UnitKind.SCHOOL, school_level=SchoolLevel.COMPULSORY, external_id=external_id
    )


def new_user(**changes) -> handlers.NewUser:
    fields = dict(
        external_id=None,
        first_name="Stina",
        last_name="Sköterska",
        email="stina@kommun.se",
        active=True,
        permission_level=PermissionLevel.MEMBER,
        manually_managed=False,
        password=None,
    )
    return handlers.NewUser(**(fields | changes))


def on_all_units(role_id: uuid.UUID) -> AssignmentTerms:
    return AssignmentTerms(str(role_id), None, True, None, None)


def on_unit(role_id: uuid.UUID, unit_id: uuid.UUID) -> AssignmentTerms:
    return AssignmentTerms(str(role_id), str(unit_id), False, None, None)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork(FakeStore())


async def given_unit(uow, name="Sätraskolan", org_id=ORG) -> Unit:
    unit, _ = await handlers.create_unit(uow, caller(PermissionLevel.ADMIN, org_id), new_unit(name))
    return unit


async def given_role(uow, name="Skolsköterska", org_id=ORG) -> UserRole:
    role, _ = await handlers.create_user_role(uow, caller(PermissionLevel.ADMIN, org_id), name, None)
    return role


async def given_user(uow, org_id=ORG, **changes) -> User:
    user, _ = await handlers.create_user(
        uow, caller(PermissionLevel.ADMIN, org_id), new_user(**changes), SpyHasher()
    )
    return user


def committed(uow: FakeUnitOfWork) -> tuple:
    """What others can see of a unit of work: its commits, the stored rows and the published events."""
    return uow.commits, list(uow.store.rows), list(uow.published)


async def test_an_administrator_creates_a_unit_and_its_creation_is_published_with_the_commit(uow):
    unit, token = await handlers.create_unit(uow, ADMIN, new_unit("Sätraskolan"))
    assert [u.name for u in uow.store.of(Unit)] == ["Sätraskolan"]
    assert (uow.event_names(), token) == (["UnitCreated"], "token-1")
    assert uow.published[0][1].unit_id == str(unit.id)


@pytest.mark.parametrize("who", [SUBADMIN, MEMBER], ids=["subadmin", "member"])
async def test_only_administrators_create_units_and_user_roles(uow, who):
    before = committed(uow)
    with pytest.raises(PermissionDenied):
        await handlers.create_unit(uow, who, new_unit())
    with pytest.raises(PermissionDenied):
        await handlers.create_user_role(uow, who, "Skolsköterska", None)
    assert committed(uow) == before


async def test_a_second_unit_with_the_same_name_is_refused_naming_the_field_and_nothing_is_committed(uow):
    await given_unit(uow, "Sätraskolan")
    before = committed(uow)
    with pytest.raises(AlreadyExists) as refused:
        await handlers.create_unit(uow, ADMIN, new_unit("Sätraskolan"))
    assert refused.value.field == "name"
    assert committed(uow) == before and uow.event_names() == ["UnitCreated"]


async def test_a_second_unit_with_the_same_external_id_is_refused_naming_that_field(uow):
    external_id = uuid.uuid4()
    await handlers.create_unit(uow, ADMIN, new_unit("Sätraskolan", external_id))
    with pytest.raises(AlreadyExists) as refused:
        await handlers.create_unit(uow, ADMIN, new_unit("Kvarnbyskolan", external_id))
    assert refused.value.field == "external_id"


async def test_the_same_unit_name_in_another_organisation_is_no_duplicate(uow):
    await given_unit(uow, "Sätraskolan", org_id=OTHER_ORG)
    unit = await given_unit(uow, "Sätraskolan", org_id=ORG)
    assert unit.org_id == ORG and len(uow.store.of(Unit)) == 2


async def test_a_second_user_role_with_the_same_name_is_refused_naming_the_field(uow):
    await given_role(uow, "Skolsköterska")
    with pytest.raises(AlreadyExists) as refused:
        await handlers.create_user_role(uow, ADMIN, "Skolsköterska", None)
    assert refused.value.field == "name"
    assert uow.event_names() == ["UserRoleCreated"]


async def test_a_subadmin_creates_a_member_with_a_password_login(uow):
    hasher = SpyHasher()
    user, _ = await handlers.create_user(uow, SUBADMIN, new_user(password=PASSWORD), hasher)
    [credential] = uow.store.of(Credential)
    assert (credential.user_id, credential.login_email, hasher.hashed) == (
        user.id,
        "stina@kommun.se",
        [PASSWORD],
    )
    assert uow.event_names() == ["UserChanged"]


async def test_a_subadmin_cannot_hand_a_user_to_the_import_even_with_a_password(uow):
    hasher, before = SpyHasher(), committed(uow)
    with pytest.raises(PermissionDenied) as refused:
        await handlers.create_user(uow, SUBADMIN, new_user(external_id="hr-1", password=PASSWORD), hasher)
    assert refused.value.field == "external_id"
    assert committed(uow) == before and hasher.hashed == []


async def test_a_subadmin_cannot_create_an_administrator(uow):
    before = committed(uow)
    with pytest.raises(PermissionDenied) as refused:
        await handlers.create_user(
            uow, SUBADMIN, new_user(permission_level=PermissionLevel.ADMIN), SpyHasher()
        )
    assert refused.value.field == "permission_level"
    assert committed(uow) == before


async def test_two_users_cannot_log_in_with_one_email_even_in_different_organisations(uow):
    await given_user(uow, org_id=OTHER_ORG, password=PASSWORD)
    before = committed(uow)
    with pytest.raises(AlreadyExists) as refused:
        await handlers.create_user(uow, ADMIN, new_user(password=PASSWORD), SpyHasher())
    assert refused.value.field == "email"
    assert committed(uow) == before


async def test_an_assignment_gives_a_role_on_a_unit_and_is_published(uow):
    unit, role, user = await given_unit(uow), await given_role(uow), await given_user(uow)
    assignment, token = await handlers.create_assignment(uow, ADMIN, user.id, on_unit(role.id, unit.id))
    assert (assignment.user_id, assignment.role_id, assignment.unit_id, assignment.source) == (
        user.id,
        role.id,
        unit.id,
        "manual",
    )
    assert uow.event_names()[-1] == "AssignmentGranted" and token == f"token-{uow.commits}"


@pytest.mark.parametrize("missing", ["user_id", "role_id", "unit_id"])
async def test_an_assignment_naming_what_the_organisation_lacks_is_refused_naming_the_field(uow, missing):
    theirs = {
        "user_id": (await given_user(uow, org_id=OTHER_ORG)).id,
        "role_id": (await given_role(uow, org_id=OTHER_ORG)).id,
        "unit_id": (await given_unit(uow, org_id=OTHER_ORG)).id,
    }
    ours = {
        "user_id": (await given_user(uow)).id,
        "role_id": (await given_role(uow)).id,
        "unit_id": (await given_unit(uow)).id,
    }
    ids = ours | {missing: theirs[missing]}
    before = committed(uow)
    with pytest.raises(NotFound) as refused:
        await handlers.create_assignment(uow, ADMIN, ids["user_id"], on_unit(ids["role_id"], ids["unit_id"]))
    assert refused.value.field == missing
    assert committed(uow) == before


async def test_only_administrators_give_assignments(uow):
    role, user = await given_role(uow), await given_user(uow)
    before = committed(uow)
    with pytest.raises(PermissionDenied):
        await handlers.create_assignment(uow, SUBADMIN, user.id, on_all_units(role.id))
    assert committed(uow) == before


async def test_a_revoked_assignment_is_published_and_cannot_be_revoked_again(uow):
    role, user = await given_role(uow), await given_user(uow)
    assignment, _ = await handlers.create_assignment(uow, ADMIN, user.id, on_all_units(role.id))
    await handlers.revoke_assignment(uow, ADMIN, assignment.id)
    assert assignment.revoked_at is not None and uow.event_names()[-1] == "AssignmentRevoked"
    assert await handlers.list_assignments(uow, ADMIN, user.id) == []
    with pytest.raises(NotFound):
        await handlers.revoke_assignment(uow, ADMIN, assignment.id)


async def test_a_member_reads_their_own_user_and_assignments_but_not_anyone_elses(uow):
    me, someone = await given_user(uow, email="me@kommun.se"), await given_user(uow, email="du@kommun.se")
    myself = caller(PermissionLevel.MEMBER, user_id=me.id)
    assert (await handlers.get_user(uow, myself, me.id)).id == me.id
    assert await handlers.list_assignments(uow, myself, me.id) == []
    with pytest.raises(PermissionDenied):
        await handlers.get_user(uow, myself, someone.id)
    with pytest.raises(PermissionDenied):
        await handlers.list_assignments(uow, myself, someone.id)


async def test_every_member_reads_the_organisations_units_and_roles_and_only_those(uow):
    unit, role = await given_unit(uow, "Sätraskolan"), await given_role(uow, "Kurator")
    await given_unit(uow, "Deras skola", org_id=OTHER_ORG)
    await given_role(uow, "Deras roll", org_id=OTHER_ORG)
    assert [u.name for u in await handlers.list_units(uow, MEMBER)] == ["Sätraskolan"]
    assert [r.name for r in await handlers.list_user_roles(uow, MEMBER)] == ["Kurator"]
    assert (await handlers.get_unit(uow, MEMBER, unit.id)).id == unit.id
    their_unit = uow.store.of(Unit)[-1]
    with pytest.raises(NotFound):
        await handlers.get_unit(uow, MEMBER, their_unit.id)
    assert role.org_id == ORG


async def test_a_member_gets_colleagues_names_in_the_order_asked_and_no_one_of_another_organisation(uow):
    anna = await given_user(uow, first_name="Anna", email="anna@skola.se")
    berit = await given_user(uow, first_name="Berit", email="berit@skola.se")
    theirs = await given_user(uow, org_id=OTHER_ORG, first_name="Cecilia", email="cecilia@skola.se")
    asked = [berit.id, theirs.id, uuid.uuid4(), anna.id, berit.id]
    assert [u.first_name for u in await handlers.user_names(uow, MEMBER, asked)] == ["Berit", "Anna"]
    with pytest.raises(InvalidArgument) as too_many:
        await handlers.user_names(uow, MEMBER, [uuid.uuid4() for _ in range(1001)])
    assert too_many.value.field == "user_ids"


def test_the_reads_open_to_every_member_say_why_and_changes_are_not_open():
    reads = (
        handlers.get_unit,
        handlers.list_units,
        handlers.list_user_roles,
        handlers.get_settings,
        handlers.user_names,
    )
    for read in reads:
        assert read.open_to_every_member
    changes = (
        handlers.create_unit,
        handlers.create_user,
        handlers.update_user,
        handlers.create_assignment,
        handlers.get_user,
        handlers.update_settings,
    )
    for change in changes:
        assert not hasattr(change, "open_to_every_member")


async def test_bootstrap_creates_the_organisation_with_an_administrator_who_can_log_in(uow):
    hasher = SpyHasher()
    result = await bootstrap_organisation(
        uow, hasher, name="Solna kommun", admin_email="Admin@Solna.se", admin_password=PASSWORD
    )
    [admin] = uow.store.of(User)
    [credential] = uow.store.of(Credential)
    assert result.created and str(admin.org_id) == result.org_id and admin.permission_level == "admin"
    assert credential.login_email == "admin@solna.se"
    assert uow.event_names() == ["OrganisationCreated", "UserChanged"]


async def test_bootstrapping_an_existing_organisation_changes_nothing(uow):
    first = await bootstrap_organisation(
        uow, SpyHasher(), name="Solna kommun", admin_email="admin@solna.se", admin_password=PASSWORD
    )
    again = await bootstrap_organisation(
        uow, SpyHasher(), name="Solna kommun", admin_email="annan@solna.se", admin_password=PASSWORD
    )
    assert (again.created, again.org_id, again.admin_id) == (False, first.org_id, None)
    assert uow.commits == 1 and len(uow.store.of(User)) == 1


# --- may sign notes ---------------------------------------------------------------------------------


async def test_a_new_user_may_sign_notes_unless_created_otherwise_and_the_event_says_so(uow):
    signing = await given_user(uow, email="a@kommun.se")
    silent = await given_user(uow, email="b@kommun.se", may_sign_notes=False)
    assert (signing.may_sign_notes, silent.may_sign_notes) == (True, False)
    assert [event.may_sign_notes for _, event in uow.published] == [True, False]


async def test_an_administrator_stops_a_user_signing_and_authorization_hears_of_it(uow):
    user = await given_user(uow)
    changed, token = await handlers.update_user(uow, ADMIN, user.id, UserChange(may_sign_notes=False))
    assert changed.may_sign_notes is False and token == f"token-{uow.commits}"
    _, event = uow.published[-1]
    assert (type(event).__name__, event.user_id, event.may_sign_notes) == ("UserChanged", str(user.id), False)


async def test_a_user_change_that_changes_nothing_publishes_nothing(uow):
    user = await given_user(uow)
    before = len(uow.published)
    await handlers.update_user(uow, ADMIN, user.id, UserChange(may_sign_notes=True))
    await handlers.update_user(uow, ADMIN, user.id, UserChange())
    assert len(uow.published) == before and user.may_sign_notes


@pytest.mark.parametrize("who", [SUBADMIN, MEMBER])
async def test_only_administrators_change_whether_a_user_may_sign(uow, who):
    user = await given_user(uow)
    with pytest.raises(PermissionDenied):
        await handlers.update_user(uow, who, user.id, UserChange(may_sign_notes=False))
    assert user.may_sign_notes


async def test_a_user_of_another_organisation_is_not_found_for_a_change(uow):
    theirs = await given_user(uow, org_id=OTHER_ORG)
    with pytest.raises(NotFound) as refused:
        await handlers.update_user(uow, ADMIN, theirs.id, UserChange(may_sign_notes=False))
    assert refused.value.field == "user_id" and theirs.may_sign_notes


# --- organisation settings --------------------------------------------------------------------------


async def test_an_organisation_that_never_chose_has_the_default_settings(uow):
    assert await handlers.get_settings(uow, MEMBER) == Settings(False, False)


async def test_an_administrator_changes_one_setting_and_the_other_stays(uow):
    await handlers.update_settings(uow, ADMIN, SettingsChange(subadmins_manage_templates=True))
    after = await handlers.update_settings(uow, ADMIN, SettingsChange(prevent_editing_own_signed_notes=True))
    assert after == Settings(prevent_editing_own_signed_notes=True, subadmins_manage_templates=True)
    changed = await handlers.update_settings(uow, ADMIN, SettingsChange(subadmins_manage_templates=False))
    assert await handlers.get_settings(uow, MEMBER) == changed == Settings(True, False)


async def test_settings_are_the_organisations_own(uow):
    await handlers.update_settings(uow, ADMIN, SettingsChange(prevent_editing_own_signed_notes=True))
    theirs = caller(PermissionLevel.MEMBER, OTHER_ORG)
    assert await handlers.get_settings(uow, theirs) == Settings()


@pytest.mark.parametrize("who", [SUBADMIN, MEMBER])
async def test_only_administrators_change_settings(uow, who):
    with pytest.raises(PermissionDenied):
        await handlers.update_settings(uow, who, SettingsChange(subadmins_manage_templates=True))
    assert await handlers.get_settings(uow, who) == Settings()
