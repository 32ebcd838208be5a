"""Identity over gRPC against real PostgreSQL: login, units, roles, users, assignments, tenancy, events."""

import uuid
from datetime import date

import pytest
from elevhalsa.identity.v1 import identity_pb2 as pb
from sqlalchemy import text

from services.common.auth import TokenVerifier
from services.common.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied, Unauthenticated
from services.common.grpc_client import call
from tests.support.orgs import PASSWORD, new_org


async def test_a_user_logs_in_with_email_and_password_and_gets_a_token_naming_them(org, key_pair):
    user, email = await org.user()
    token = await org.login(email.upper())
    caller = TokenVerifier(key_pair[1], issuer="elevhalsa-identity", audience="elevhalsa").verify(token)
    assert (caller.user_id, caller.org_id, caller.permission_level) == (user.id, org.org_id, "member")


async def test_a_wrong_password_an_unknown_email_and_an_inactive_user_all_get_the_same_refusal(org):
    _, email = await org.user()
    _, inactive_email = await org.user(active=False)
    messages = set()
    for login, password in [
        (email, "wrong password!"),
        ("nobody@test.elevhalsa.se", PASSWORD),
        (inactive_email, PASSWORD),
    ]:
        with pytest.raises(Unauthenticated) as refused:
            await org.login(login, password)
        messages.add(refused.value.message)
    assert len(messages) == 1


async def test_calls_without_a_valid_token_are_refused(org):
    with pytest.raises(Unauthenticated):
        await call(org.identity.ListUnits, pb.ListUnitsRequest(), token="not-a-token")
    with pytest.raises(Unauthenticated):
        await call(org.identity.ListUnits, pb.ListUnitsRequest(), anonymous=True)


async def test_an_administrator_creates_a_unit_role_user_and_assignment_that_the_user_can_list(org):
    unit = await org.unit("Sätraskolan")
    role = await org.role("Skolsköterska")
    user, email = await org.user()
    assignment = await org.assign(
        user.id, role.id, unit.id, valid_from=date(2026, 1, 1), valid_to=date(2026, 12, 31)
    )
    own_token = await org.login(email)
    listed = await call(
        org.identity.ListAssignments, pb.ListAssignmentsRequest(user_id=user.id), token=own_token
    )
    assert [(a.id, a.role_id, a.unit_id, a.valid_to.year) for a in listed.assignments] == [
        (assignment.id, role.id, unit.id, 2026)
    ]


async def test_each_change_publishes_its_event_through_the_outbox(org, engine):
    unit = await org.unit()
    role = await org.role()
    user, _ = await org.user()
    assignment = await org.assign(user.id, role.id, unit.id)
    await call(
        org.identity.RevokeAssignment,
        pb.RevokeAssignmentRequest(assignment_id=assignment.id),
        token=org.admin,
    )
    async with engine.connect() as conn:
        subjects = (
            (
                await conn.execute(
                    text("SELECT subject FROM identity.outbox WHERE org_id = :org ORDER BY id"),
                    {"org": org.org_id},
                )
            )
            .scalars()
            .all()
        )
    assert [s.rsplit(".", 1)[1] for s in subjects] == [
        "OrganisationCreated",
        "UserChanged",
        "UnitCreated",
        "UserRoleCreated",
        "UserChanged",
        "AssignmentGranted",
        "AssignmentRevoked",
    ]


async def test_an_assignment_is_either_on_one_unit_or_on_all_units_and_ends_after_it_starts(org):
    role = await org.role()
    user, _ = await org.user()
    unit = await org.unit()
    both = pb.CreateAssignmentRequest(user_id=user.id, role_id=role.id, unit_id=unit.id, all_units=True)
    with pytest.raises(InvalidArgument) as refused:
        await call(org.identity.CreateAssignment, both, token=org.admin)
    assert refused.value.field == "unit_id"
    with pytest.raises(InvalidArgument) as refused:
        await org.assign(user.id, role.id, unit.id, valid_from=date(2026, 6, 1), valid_to=date(2026, 5, 1))
    assert refused.value.field == "valid_to"
    assigned = await call(
        org.identity.ListAssignments, pb.ListAssignmentsRequest(user_id=user.id), token=org.admin
    )
    assert list(assigned.assignments) == []


async def test_another_organisations_ids_are_not_found_and_reveal_nothing(services, org):
    other = await new_org(services)
    their_unit = await other.unit("Deras skola")
    their_role = await other.role()
    their_user, _ = await other.user()
    with pytest.raises(NotFound):
        await call(org.identity.GetUnit, pb.GetUnitRequest(unit_id=their_unit.id), token=org.admin)
    with pytest.raises(NotFound):
        await call(org.identity.GetUser, pb.GetUserRequest(user_id=their_user.id), token=org.admin)
    my_user, _ = await org.user()
    with pytest.raises(NotFound) as role_of_other_org:
        await org.assign(my_user.id, their_role.id, (await org.unit()).id)
    assert role_of_other_org.value.field == "role_id"
    names = [
        u.name for u in (await call(org.identity.ListUnits, pb.ListUnitsRequest(), token=org.admin)).units
    ]
    assert "Deras skola" not in names


async def test_members_cannot_administer_and_duplicates_are_refused(org):
    user, email = await org.user()
    member = await org.login(email)
    with pytest.raises(PermissionDenied):
        await call(org.identity.CreateUnit, pb.CreateUnitRequest(name="Ny skola"), token=member)
    await org.unit("Samma namn")
    with pytest.raises(AlreadyExists):
        await org.unit("Samma namn")


async def test_malformed_ids_are_simply_not_found(org):
    with pytest.raises(NotFound):
        await call(org.identity.GetUnit, pb.GetUnitRequest(unit_id="../../etc"), token=org.admin)
    with pytest.raises(NotFound):
        await call(org.identity.GetUnit, pb.GetUnitRequest(unit_id=str(uuid.uuid4())), token=org.admin)


async def test_only_administrators_hand_users_to_the_import_with_an_external_id(org):
    _, email = await org.user(level=pb.PERMISSION_LEVEL_SUBADMIN)
    subadmin = await org.login(email)
    request = pb.CreateUserRequest(first_name="A", last_name="B", external_id="hr-9", active=True)
    with pytest.raises(PermissionDenied) as refused:
        await call(org.identity.CreateUser, request, token=subadmin)
    assert refused.value.field == "external_id"


async def test_when_an_import_changes_a_users_email_their_password_login_follows(org):
    user, old_email = await org.user(external_id="hr-77")
    new_email = f"ny-{old_email}"
    change = pb.ImportedUser(
        external_id="hr-77", first_name="Test", last_name="Användare", email=new_email, active=True
    )
    await call(
        org.identity.ApplyImportedUsers, pb.ApplyImportedUsersRequest(upserts=[change]), token=org.admin
    )
    assert await org.login(new_email)
    with pytest.raises(Unauthenticated):
        await org.login(old_email)


async def test_an_import_may_only_name_roles_and_units_of_the_organisation(services, org):
    their_role = await (await new_org(services)).role()
    wanted = pb.ImportedUser(
        external_id="hr-1",
        first_name="A",
        last_name="B",
        active=True,
        assignments=[pb.ImportedAssignment(role_id=their_role.id, all_units=True)],
    )
    with pytest.raises(NotFound):
        await call(
            org.identity.ApplyImportedUsers, pb.ApplyImportedUsersRequest(upserts=[wanted]), token=org.admin
        )


async def test_login_refuses_absurd_input_alike_with_unknown_emails_and_wrong_passwords(org):
    """The caller cannot tell an absurd request from a plain wrong guess: same status, same message, no field.
    (That absurd input is refused before it costs a password hash is shown in tests/unit/identity/test_login.py.)"""
    _, email = await org.user()
    refusals = set()
    for login, password in [
        ("nobody@test.elevhalsa.se", PASSWORD),
        (email, "wrong password!"),
        ("a" * 10_000 + "@x.se", "whatever-password"),
        (email, "p" * 100_000),
    ]:
        with pytest.raises(Unauthenticated) as refused:
            await org.login(login, password)
        refusals.add((type(refused.value), refused.value.message, refused.value.field))
    assert len(refusals) == 1
