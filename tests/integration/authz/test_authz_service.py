"""Authz over gRPC: grants, decisions from the event-built read model, and consistency tokens."""

import uuid

import pytest
from elevhalsa.authz.v1 import authz_pb2 as pb
from elevhalsa.identity.v1 import identity_pb2 as ipb

from services.common.consistency import ConsistencyToken
from services.common.errors import InvalidArgument, NotFound, PermissionDenied, Unavailable
from services.common.grpc_client import call
from tests.support.orgs import new_org


async def check(
    org, token: str, unit_id: str, folder_id: str, action=pb.ACTION_READ, consistency: str = ""
) -> bool:
    request = pb.CheckRequest(
        unit_id=unit_id, folder_id=folder_id, action=action, consistency_token=consistency or org.token
    )
    return (await call(org.authz.Check, request, token=token)).allowed


@pytest.fixture
async def school(org):
    """Two schools, a nurse role with read/write on a medical journal, and a nurse on school A."""
    a, b = await org.unit("Skola A"), await org.unit("Skola B")
    nurse_role, medical, counsellor_file = (
        await org.role("Skolsköterska"),
        await org.folder("Medicinsk journal"),
        await org.folder("Kuratorsakt"),
    )
    await org.grant(nurse_role.id, medical.id)
    nurse, nurse_token = await org.member_with_role(nurse_role.id, a.id)
    return {
        "a": a,
        "b": b,
        "role": nurse_role,
        "medical": medical,
        "counsellor_file": counsellor_file,
        "nurse": nurse,
        "token": nurse_token,
    }


async def test_a_nurse_may_read_and_write_the_medical_journal_of_her_own_school_only(org, school):
    s = school
    assert await check(org, s["token"], s["a"].id, s["medical"].id)
    assert await check(org, s["token"], s["a"].id, s["medical"].id, pb.ACTION_WRITE)
    assert not await check(org, s["token"], s["b"].id, s["medical"].id)
    assert not await check(org, s["token"], s["a"].id, s["counsellor_file"].id)


async def test_a_read_only_grant_does_not_allow_writing(org, school):
    await org.grant(school["role"].id, school["medical"].id, pb.ACCESS_READ)
    assert await check(org, school["token"], school["a"].id, school["medical"].id)
    assert not await check(org, school["token"], school["a"].id, school["medical"].id, pb.ACTION_WRITE)


async def test_an_all_units_assignment_covers_every_unit_including_ones_created_later(org, school):
    doctor, doctor_token = await org.member_with_role(school["role"].id)
    later = await org.unit("Ny skola")
    assert await check(org, doctor_token, school["b"].id, school["medical"].id)
    assert await check(org, doctor_token, later.id, school["medical"].id)


async def test_filter_notes_answers_for_the_whole_list_in_one_call(org, school):
    notes = [pb.NoteRef(note_id=str(uuid.uuid4())) for _ in range(50)] + [
        pb.NoteRef(note_id=str(uuid.uuid4()), case_id=str(uuid.uuid4()))
    ]
    request = pb.FilterNotesRequest(
        unit_id=school["a"].id, folder_id=school["medical"].id, notes=notes, consistency_token=org.token
    )
    reply = await call(org.authz.FilterNotes, request, token=school["token"])
    assert reply.folder_readable and list(reply.allowed_note_ids) == [n.note_id for n in notes]
    request.unit_id = school["b"].id
    denied = await call(org.authz.FilterNotes, request, token=school["token"])
    assert not denied.folder_readable and list(denied.allowed_note_ids) == []


async def test_a_revoke_with_its_token_is_never_followed_by_an_allowed_read(org, school):
    for _ in range(5):
        assignment = await org.assign(school["nurse"].id, school["role"].id, school["b"].id)
        assert await check(org, school["token"], school["b"].id, school["medical"].id)
        revoked = await call(
            org.identity.RevokeAssignment,
            ipb.RevokeAssignmentRequest(assignment_id=assignment.id),
            token=org.admin,
        )
        # Immediately, with the token: the read model must have applied the revoke before answering.
        assert not await check(
            org, school["token"], school["b"].id, school["medical"].id, consistency=revoked.consistency_token
        )


async def test_a_deactivated_user_is_denied_everything(org, school):
    imported, email = await org.user(external_id=f"hr-{uuid.uuid4().hex[:6]}")
    await org.assign(imported.id, school["role"].id, school["a"].id)
    token = await org.login(email)
    assert await check(org, token, school["a"].id, school["medical"].id)
    deactivate = ipb.ApplyImportedUsersRequest(run_id="test", deactivate_user_ids=[imported.id])
    reply = await call(org.identity.ApplyImportedUsers, deactivate, token=org.admin)
    assert [r.outcome for r in reply.results] == [ipb.IMPORT_OUTCOME_DEACTIVATED]
    assert not await check(
        org, token, school["a"].id, school["medical"].id, consistency=reply.consistency_token
    )


async def test_an_import_cannot_deactivate_a_user_it_does_not_manage(org, school):
    deactivate = ipb.ApplyImportedUsersRequest(run_id="test", deactivate_user_ids=[school["nurse"].id])
    reply = await call(org.identity.ApplyImportedUsers, deactivate, token=org.admin)
    assert list(reply.results) == []
    assert await check(org, school["token"], school["a"].id, school["medical"].id)


async def test_a_token_naming_changes_authz_does_not_follow_is_refused_at_once(org, school):
    token = ConsistencyToken(org.org_id, {"imports": 1}).encode()
    with pytest.raises(InvalidArgument) as refused:
        await check(org, school["token"], school["a"].id, school["medical"].id, consistency=token)
    assert refused.value.field == "consistency_token"


async def test_a_token_the_read_model_cannot_reach_fails_closed_instead_of_answering(org, school):
    ahead = ConsistencyToken(org.org_id, {"identity": 10**9}).encode()
    with pytest.raises(Unavailable):
        await check(org, school["token"], school["a"].id, school["medical"].id, consistency=ahead)


async def test_tokens_that_are_malformed_or_of_another_organisation_are_refused(services, org, school):
    other = await new_org(services)
    await other.unit()
    with pytest.raises(InvalidArgument) as garbage:
        await check(org, school["token"], school["a"].id, school["medical"].id, consistency="ct1.garbage")
    assert garbage.value.field == "consistency_token"
    with pytest.raises(InvalidArgument):
        await check(org, school["token"], school["a"].id, school["medical"].id, consistency=other.token)


async def test_grants_name_roles_and_folders_of_the_callers_organisation_only(services, org, school):
    other = await new_org(services)
    their_folder = await other.folder()
    their_role = await other.role()
    with pytest.raises(NotFound) as folder:
        await org.grant(school["role"].id, their_folder.id)
    assert folder.value.field == "folder_id"
    with pytest.raises(NotFound) as role:
        await org.grant(their_role.id, school["medical"].id)
    assert role.value.field == "role_id"


async def test_only_administrators_set_grants(org, school):
    with pytest.raises(PermissionDenied):
        grant = pb.Grant(role_id=school["role"].id, folder_id=school["medical"].id, access=pb.ACCESS_READ)
        await call(org.authz.SetGrant, pb.SetGrantRequest(grant=grant), token=school["token"])
    listed = await call(org.authz.ListGrants, pb.ListGrantsRequest(), token=org.admin)
    assert [(g.role_id, g.access) for g in listed.grants] == [(school["role"].id, pb.ACCESS_READ_WRITE)]
