"""Administrative permissions over gRPC: authz decides every administrative change from the caller's live
level and assignments, the organisation's module levels and the subadmin scopes, as fresh as the token."""

import pytest
from elevhalsa.authz.v1 import authz_pb2 as pb
from elevhalsa.identity.v1 import identity_pb2 as ipb
from elevhalsa.identity.v1 import identity_pb2_grpc
from elevhalsa.records.v1 import records_pb2 as rpb

from deploy.local.infra import free_port
from services.authz.adapters.admin_snapshot import load_snapshot
from services.authz.domain.admin import module_levels
from services.authz.domain.memory import AuthzModel
from services.common.auth import PermissionLevel
from services.common.errors import InvalidFields, NotFound, PermissionDenied, Unavailable
from services.common.grpc_client import call, open_channel
from services.identity.entrypoints.app import build_runtime as build_identity
from tests.support.orgs import PASSWORD, new_org, valid_personnummer

STUDENTS = pb.ADMIN_MODULE_STUDENTS


async def authorize(org, token: str, consistency: str = "", **question) -> pb.AuthorizeAdminResponse:
    request = pb.AuthorizeAdminRequest(
        module=question.pop("module", pb.ADMIN_MODULE_ASSIGNMENTS), consistency_token=consistency, **question
    )
    return await call(org.authz.AuthorizeAdmin, request, token=token)


async def set_scope(org, role_id: str, *manageable: str) -> str:
    request = pb.SetManageableRolesRequest(
        role_id=role_id, manageable_role_ids=list(manageable), consistency_token=org.token
    )
    return (await org.as_admin(org.authz.SetManageableRoles, request)).consistency_token


@pytest.fixture
async def scoped(org):
    """Two schools, nurse and doctor roles, and a subadmin holding a role on school A that manages nurses."""
    a, b = await org.unit("Skola A"), await org.unit("Skola B")
    nurse, doctor, coordinator = (
        await org.role("Skolsköterska"),
        await org.role("Skolläkare"),
        await org.role("Elevhälsosamordnare"),
    )
    subadmin, email = await org.user(level=ipb.PERMISSION_LEVEL_SUBADMIN)
    await org.assign(subadmin.id, coordinator.id, a.id)
    await set_scope(org, coordinator.id, nurse.id)
    employee, _ = await org.user()
    return {
        "a": a,
        "b": b,
        "nurse": nurse,
        "doctor": doctor,
        "coordinator": coordinator,
        "subadmin": subadmin,
        "token": await org.login(email),
        "employee": employee,
    }


def assignment(s: dict, role: str, unit: str = "", **more) -> ipb.CreateAssignmentRequest:
    unit_id = s[unit].id if unit else ""
    return ipb.CreateAssignmentRequest(
        user_id=s["employee"].id, role_id=s[role].id, unit_id=unit_id, all_units=not unit_id, **more
    )


async def test_authz_allows_a_subadmin_only_the_roles_and_units_of_their_scope(org, scoped):
    s, token = scoped, org.token
    nurse_on_a = await authorize(
        org, s["token"], token, target_role_id=s["nurse"].id, target_unit_id=s["a"].id
    )
    doctor_on_a = await authorize(
        org, s["token"], token, target_role_id=s["doctor"].id, target_unit_id=s["a"].id
    )
    nurse_on_b = await authorize(
        org, s["token"], token, target_role_id=s["nurse"].id, target_unit_id=s["b"].id
    )
    everywhere = await authorize(org, s["token"], token, target_role_id=s["nurse"].id, all_units=True)
    assert nurse_on_a.allowed
    assert [(r.allowed, r.field) for r in (doctor_on_a, nurse_on_b, everywhere)] == [
        (False, "role_id"),
        (False, "unit_id"),
        (False, "all_units"),
    ]


async def test_a_scoped_subadmin_gives_and_ends_a_nurse_assignment_on_their_school_through_identity(
    org, scoped
):
    s = scoped
    given = await call(
        org.identity.CreateAssignment,
        assignment(s, "nurse", "a", consistency_token=org.token),
        token=s["token"],
    )
    revoke = ipb.RevokeAssignmentRequest(assignment_id=given.assignment.id, consistency_token=org.token)
    assert (await call(org.identity.RevokeAssignment, revoke, token=s["token"])).consistency_token


@pytest.mark.parametrize(
    "role, unit, field, named",
    [
        ("doctor", "a", "role_id", "Skolläkare"),
        ("nurse", "b", "unit_id", "Skola B"),
        ("nurse", "", "all_units", "all units"),
    ],
    ids=["another-role", "another-school", "all-units"],
)
async def test_identity_refuses_a_subadmin_outside_their_scope_naming_what(
    org, scoped, role, unit, field, named
):
    s = scoped
    with pytest.raises(PermissionDenied) as refused:
        await call(
            org.identity.CreateAssignment,
            assignment(s, role, unit, consistency_token=org.token),
            token=s["token"],
        )
    assert refused.value.field == field and named in refused.value.message
    listed = await call(
        org.identity.ListAssignments, ipb.ListAssignmentsRequest(user_id=s["employee"].id), token=org.admin
    )
    assert list(listed.assignments) == []


async def test_a_subadmin_may_not_end_an_assignment_outside_their_scope(org, scoped):
    s = scoped
    doctors = await org.assign(s["employee"].id, s["doctor"].id, s["a"].id)
    request = ipb.RevokeAssignmentRequest(assignment_id=doctors.id, consistency_token=org.token)
    with pytest.raises(PermissionDenied) as refused:
        await call(org.identity.RevokeAssignment, request, token=s["token"])
    assert refused.value.field == "role_id"


async def test_a_demoted_subadmin_is_refused_at_the_first_call_carrying_the_demotions_token(org, scoped):
    s = scoped
    demote = ipb.UpdateUserRequest(user_id=s["subadmin"].id, permission_level=ipb.PERMISSION_LEVEL_MEMBER)
    demoted = await org.as_admin(org.identity.UpdateUser, demote)
    answer = await authorize(
        org, s["token"], demoted.consistency_token, target_role_id=s["nurse"].id, target_unit_id=s["a"].id
    )
    assert not answer.allowed and "yours is member" in answer.reason


async def test_an_assignment_ended_takes_the_subadmins_school_with_it_at_once(org, scoped):
    s = scoped
    listed = await call(
        org.identity.ListAssignments, ipb.ListAssignmentsRequest(user_id=s["subadmin"].id), token=org.admin
    )
    [held] = listed.assignments
    revoked = await org.as_admin(
        org.identity.RevokeAssignment, ipb.RevokeAssignmentRequest(assignment_id=held.id)
    )
    answer = await authorize(
        org, s["token"], revoked.consistency_token, target_role_id=s["nurse"].id, target_unit_id=s["a"].id
    )
    assert not answer.allowed and answer.field == "role_id"


async def test_a_raised_students_module_refuses_a_subadmins_student_change_with_its_token(org, scoped):
    s = scoped
    new_student = rpb.CreateStudentRequest(
        unit_id=s["a"].id, personnummer=valid_personnummer(11), first_name="Elev", last_name="Ett"
    )
    await call(org.records.CreateStudent, new_student, token=s["token"])
    raise_students = pb.SetModuleLevelsRequest(
        levels=[pb.ModuleLevel(module=STUDENTS, level=pb.PERMISSION_LEVEL_ADMIN)]
    )
    raised = await org.as_admin(org.authz.SetModuleLevels, raise_students)
    again = rpb.CreateStudentRequest(
        unit_id=s["a"].id,
        personnummer=valid_personnummer(12),
        first_name="Elev",
        last_name="Två",
        consistency_token=raised.consistency_token,
    )
    with pytest.raises(PermissionDenied) as refused:
        await call(org.records.CreateStudent, again, token=s["token"])
    assert "students module needs the permission level admin" in refused.value.message


async def test_module_levels_list_every_module_and_module_levels_itself_never_goes_below_admin(org):
    listed = await call(org.authz.ListModuleLevels, pb.ListModuleLevelsRequest(), token=org.admin)
    levels = {item.module: item.level for item in listed.levels}
    assert len(levels) == len(pb.AdminModule.values()) - 1
    assert levels[STUDENTS] == pb.PERMISSION_LEVEL_SUBADMIN
    lock_out = pb.SetModuleLevelsRequest(
        levels=[pb.ModuleLevel(module=pb.ADMIN_MODULE_MODULE_LEVELS, level=pb.PERMISSION_LEVEL_SUBADMIN)]
    )
    with pytest.raises(InvalidFields) as refused:
        await call(org.authz.SetModuleLevels, lock_out, token=org.admin)
    assert refused.value.problems[0].field == "levels.module_levels"


async def test_a_subadmin_neither_reads_nor_changes_module_levels_or_scopes(org, scoped):
    s = scoped
    with pytest.raises(PermissionDenied):
        await call(org.authz.ListModuleLevels, pb.ListModuleLevelsRequest(), token=s["token"])
    widen = pb.SetManageableRolesRequest(
        role_id=s["coordinator"].id, manageable_role_ids=[s["doctor"].id], consistency_token=org.token
    )
    with pytest.raises(PermissionDenied):
        await call(org.authz.SetManageableRoles, widen, token=s["token"])


async def test_roles_of_another_organisation_are_not_found_for_a_scope(services, org, scoped):
    other = await new_org(services)
    theirs = await other.role("Deras roll")
    for role_id, manageable in ((theirs.id, [scoped["nurse"].id]), (scoped["coordinator"].id, [theirs.id])):
        request = pb.SetManageableRolesRequest(
            role_id=role_id, manageable_role_ids=manageable, consistency_token=org.token
        )
        with pytest.raises(NotFound):
            await call(org.authz.SetManageableRoles, request, token=org.admin)
    with pytest.raises(NotFound):
        await call(
            org.authz.ListManageableRoles, pb.ListManageableRolesRequest(role_id=theirs.id), token=org.admin
        )


async def test_module_levels_and_scopes_are_loaded_from_authzs_tables_at_start(org, scoped, engine):
    raise_students = pb.SetModuleLevelsRequest(
        levels=[pb.ModuleLevel(module=STUDENTS, level=pb.PERMISSION_LEVEL_ADMIN)]
    )
    await org.as_admin(org.authz.SetModuleLevels, raise_students)
    model = AuthzModel()
    async with engine.connect() as conn:
        await load_snapshot(conn, model)
    loaded = model.org(org.org_id)
    assert module_levels(loaded)["students"] is PermissionLevel.ADMIN
    assert loaded.manageable_roles[scoped["coordinator"].id] == {scoped["nurse"].id}


async def test_identity_starts_and_logs_users_in_without_authz_but_refuses_administration(services, org):
    runtime = await build_identity(services.identity_settings(authz_addr=f"127.0.0.1:{free_port()}"))
    await runtime.start()
    channel = open_channel(f"127.0.0.1:{runtime.port}")
    try:
        identity = identity_pb2_grpc.IdentityServiceStub(channel)
        login = ipb.IssueTokenRequest(email=org.admin_email, password=PASSWORD)
        token = (await call(identity.IssueToken, login, anonymous=True)).access_token
        with pytest.raises(Unavailable):
            await call(identity.CreateUnit, ipb.CreateUnitRequest(name="Utan authz"), token=token)
        units = await call(identity.ListUnits, ipb.ListUnitsRequest(), token=token)
        assert "Utan authz" not in [unit.name for unit in units.units]
    finally:
        await channel.close()
        await runtime.stop()
