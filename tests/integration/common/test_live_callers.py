"""The user's live state decides, not the token's claims: an administrator deactivated by the user import,
or demoted, cannot go on using the token they already hold, in any service."""

import uuid

import pytest
from elevhalsa.authz.v1 import authz_pb2 as apb
from elevhalsa.identity.v1 import identity_pb2 as ipb
from elevhalsa.imports.v1 import imports_pb2
from elevhalsa.records.v1 import records_pb2 as rpb

from services.common.errors import PermissionDenied, Unauthenticated
from services.common.grpc_client import call
from tests.support.orgs import PASSWORD


async def second_admin(org) -> tuple[ipb.User, str, str]:
    """An imported administrator who has signed in: (user, e-mail, access token)."""
    email = f"admin-{uuid.uuid4().hex[:8]}@test.elevhalsa.se"
    request = ipb.CreateUserRequest(
        external_id=f"hr-{uuid.uuid4().hex[:8]}",
        first_name="Andra",
        last_name="Administratör",
        email=email,
        active=True,
        permission_level=ipb.PERMISSION_LEVEL_ADMIN,
        password=PASSWORD,
    )
    user = (await org.as_admin(org.identity.CreateUser, request)).user
    return user, email, await org.login(email)


def new_unit() -> ipb.CreateUnitRequest:
    return ipb.CreateUnitRequest(name=f"Skola {uuid.uuid4().hex[:6]}", kind="school")


def new_admin() -> ipb.CreateUserRequest:
    return ipb.CreateUserRequest(
        first_name="Ny",
        last_name="Administratör",
        email=f"new-{uuid.uuid4().hex[:8]}@test.elevhalsa.se",
        active=True,
        permission_level=ipb.PERMISSION_LEVEL_ADMIN,
    )


async def deactivated_by_import(org, user: ipb.User, email: str) -> str:
    """The consistency token of an import run that marks the user inactive."""
    incoming = ipb.ImportedUser(
        external_id=user.external_id,
        first_name=user.first_name,
        last_name=user.last_name,
        email=email,
        active=False,
    )
    request = ipb.ApplyImportedUsersRequest(upserts=[incoming])
    reply = await call(org.identity.ApplyImportedUsers, request, token=org.admin)
    assert [r.outcome for r in reply.results] == [ipb.IMPORT_OUTCOME_DEACTIVATED]
    return reply.consistency_token


async def test_an_admin_deactivated_by_the_import_is_refused_everywhere_with_their_old_token(org):
    unit = await org.unit()
    student = await org.student(unit.id)
    user, email, old_token = await second_admin(org)
    assert (await call(org.identity.CreateUnit, new_unit(), token=old_token)).unit.id
    assert (
        await call(org.records.CreateFolder, rpb.CreateFolderRequest(name="Före"), token=old_token)
    ).folder

    deactivation = await deactivated_by_import(org, user, email)

    with pytest.raises(Unauthenticated, match="not active"):
        await call(org.identity.CreateUnit, new_unit(), token=old_token)
    with pytest.raises(Unauthenticated, match="not active"):
        await call(org.identity.CreateUser, new_admin(), token=old_token)
    # Records learns of it through authz; the deactivation's token makes authz at least that fresh.
    read = rpb.GetStudentRequest(student_id=student.id, consistency_token=deactivation)
    with pytest.raises(Unauthenticated, match="not active"):
        await call(org.records.GetStudent, read, token=old_token)
    with pytest.raises(Unauthenticated, match="not active"):
        await call(org.records.CreateFolder, rpb.CreateFolderRequest(name="Efter"), token=old_token)
    with pytest.raises(Unauthenticated, match="not active"):
        await call(org.imports.ListUserImportRuns, imports_pb2.ListUserImportRunsRequest(), token=old_token)
    with pytest.raises(Unauthenticated, match="not active"):
        await call(org.authz.ListGrants, apb.ListGrantsRequest(), token=old_token)
    resolved = await call(
        org.authz.ResolveCaller, apb.ResolveCallerRequest(consistency_token=deactivation), token=old_token
    )
    assert not resolved.active


async def test_the_organisation_s_other_administrator_is_not_affected(org):
    user, email, _ = await second_admin(org)
    deactivation = await deactivated_by_import(org, user, email)
    assert (await call(org.identity.CreateUnit, new_unit(), token=org.admin)).unit.id
    resolved = await call(
        org.authz.ResolveCaller, apb.ResolveCallerRequest(consistency_token=deactivation), token=org.admin
    )
    assert (resolved.active, resolved.permission_level) == (True, "admin")


async def test_a_demoted_admin_is_refused_administration_with_their_old_admin_token(org):
    user, _, old_token = await second_admin(org)
    demote = ipb.UpdateUserRequest(user_id=user.id, permission_level=ipb.PERMISSION_LEVEL_MEMBER)
    demotion = (await org.as_admin(org.identity.UpdateUser, demote)).consistency_token
    unit, admin = new_unit(), new_admin()
    unit.consistency_token = admin.consistency_token = demotion
    with pytest.raises(PermissionDenied):
        await call(org.identity.CreateUnit, unit, token=old_token)
    with pytest.raises(PermissionDenied):
        await call(org.identity.CreateUser, admin, token=old_token)
    folder = rpb.CreateFolderRequest(name="Efter", consistency_token=demotion)
    with pytest.raises(PermissionDenied):
        await call(org.records.CreateFolder, folder, token=old_token)


async def test_a_user_created_moments_ago_is_served_by_records_given_the_creation_s_token(org):
    unit, role, folder = await org.unit(), await org.role(), await org.folder()
    await org.grant(role.id, folder.id)
    student = await org.student(unit.id)
    _, token = await org.member_with_role(role.id, unit.id)
    read = rpb.GetStudentRequest(student_id=student.id, consistency_token=org.token)
    assert (await call(org.records.GetStudent, read, token=token)).id == student.id
