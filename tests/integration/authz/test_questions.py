"""Authz's questions over gRPC, on facts that came as events: CheckBatch, LookupStudents, Explain and WhoCanSee.
Batches answer in order and are bounded, explanations name what allowed or what is missing, only
administrators explain others and list readers with the readers themselves, and no answer names anything of
another organisation."""

import uuid
from datetime import timedelta

import pytest
from elevhalsa.authz.v1 import authz_pb2 as pb
from elevhalsa.identity.v1 import identity_pb2 as ipb

from services.common.clock import today
from services.common.convert import date_from_proto
from services.common.errors import InvalidArgument, PermissionDenied
from services.common.grpc_client import call
from tests.support.orgs import new_org

ENDED = today() - timedelta(days=30)


@pytest.fixture
async def school(org):
    """Two schools; a nurse at A with read/write on the medical journal; a counsellor at A with the counsellor
    file only; a former nurse whose assignment at A ended a month ago; a doctor on all units."""
    a, b = await org.unit("Skola A"), await org.unit("Skola B")
    nurse_role, counsellor_role = await org.role("Skolsköterska"), await org.role("Kurator")
    medical, counsellor_file = await org.folder("Medicinsk journal"), await org.folder("Kuratorsakt")
    await org.grant(nurse_role.id, medical.id)
    await org.grant(counsellor_role.id, counsellor_file.id, pb.ACCESS_READ)
    nurse, nurse_token = await org.member_with_role(nurse_role.id, a.id)
    counsellor, counsellor_token = await org.member_with_role(counsellor_role.id, a.id)
    former, former_email = await org.user()
    ended = await org.assign(
        former.id, nurse_role.id, a.id, valid_from=ENDED - timedelta(days=300), valid_to=ENDED
    )
    doctor, doctor_token = await org.member_with_role(nurse_role.id)
    return {
        "a": a.id,
        "b": b.id,
        "nurse_role": nurse_role.id,
        "medical": medical.id,
        "counsellor_file": counsellor_file.id,
        "nurse": nurse.id,
        "nurse_token": nurse_token,
        "counsellor": counsellor.id,
        "counsellor_token": counsellor_token,
        "former": former.id,
        "former_token": await org.login(former_email),
        "ended": ended.id,
        "doctor": doctor.id,
        "doctor_token": doctor_token,
    }


def item(unit_id: str, folder_id: str = "", action=pb.ACTION_READ) -> pb.CheckItem:
    return pb.CheckItem(unit_id=unit_id, folder_id=folder_id, action=action)


async def batch(org, token: str, items: list[pb.CheckItem]) -> list[bool]:
    request = pb.CheckBatchRequest(items=items, consistency_token=org.token)
    return [result.allowed for result in (await call(org.authz.CheckBatch, request, token=token)).results]


async def explain(
    org, token: str, unit_id: str, folder_id: str = "", user_id: str = "", action=pb.ACTION_READ
):
    request = pb.ExplainRequest(
        user_id=user_id, unit_id=unit_id, folder_id=folder_id, action=action, consistency_token=org.token
    )
    return await call(org.authz.Explain, request, token=token)


async def who_can_see(org, token: str, unit_id: str, folder_id: str) -> list[pb.Seer]:
    request = pb.WhoCanSeeRequest(unit_id=unit_id, folder_id=folder_id, consistency_token=org.token)
    return list((await call(org.authz.WhoCanSee, request, token=token)).seers)


# --- CheckBatch -------------------------------------------------------------------------------------------


async def test_a_batch_answers_every_check_in_the_order_asked_as_check_does(org, school):
    s = school
    items = [
        item(s["a"], s["medical"]),
        item(s["b"], s["medical"]),
        item(s["a"], s["medical"], pb.ACTION_WRITE),
        item(s["a"], s["counsellor_file"]),
        item(s["a"]),
    ]
    assert await batch(org, s["nurse_token"], items) == [True, False, True, False, True]
    assert await batch(org, s["counsellor_token"], items) == [False, False, False, True, True]
    for checked in items:
        single = pb.CheckRequest(
            unit_id=checked.unit_id,
            folder_id=checked.folder_id,
            action=checked.action,
            consistency_token=org.token,
        )
        alone = (await call(org.authz.Check, single, token=s["nurse_token"])).allowed
        assert [alone] == await batch(org, s["nurse_token"], [checked])


async def test_a_batch_holds_at_most_a_thousand_checks(org, school):
    thousand = [item(school["a"], school["medical"])] * 1000
    assert await batch(org, school["nurse_token"], thousand) == [True] * 1000
    with pytest.raises(InvalidArgument) as refused:
        await batch(org, school["nurse_token"], thousand + [item(school["a"])])
    assert refused.value.field == "items" and "at most 1,000" in refused.value.message


async def test_a_malformed_item_is_named_by_its_place_in_the_batch(org, school):
    with pytest.raises(InvalidArgument) as refused:
        await batch(org, school["nurse_token"], [item(school["a"]), item(school["a"]), item("skola-a")])
    assert refused.value.field == "items[2].unit_id"


# --- LookupStudents ---------------------------------------------------------------------------------------


async def test_lookup_answers_a_page_of_students_and_the_units_seen_in_one_call(org, school):
    students = [(str(uuid.uuid4()), unit) for unit in (school["b"], school["a"], school["b"], school["a"])]
    request = pb.LookupStudentsRequest(
        students=[pb.StudentRef(student_id=s, unit_id=u) for s, u in students], consistency_token=org.token
    )
    nurse = await call(org.authz.LookupStudents, request, token=school["nurse_token"])
    assert list(nurse.visible_student_ids) == [students[1][0], students[3][0]]
    assert list(nurse.unit_ids) == [school["a"]] and not nurse.all_units
    doctor = await call(org.authz.LookupStudents, request, token=school["doctor_token"])
    assert list(doctor.visible_student_ids) == [s for s, _ in students]
    assert list(doctor.unit_ids) == sorted([school["a"], school["b"]]) and doctor.all_units
    former = await call(org.authz.LookupStudents, request, token=school["former_token"])
    assert list(former.visible_student_ids) == [] and list(former.unit_ids) == []


# --- Explain ----------------------------------------------------------------------------------------------


async def test_a_user_explains_their_own_access_by_the_assignment_and_grant(org, school):
    s = school
    own = await explain(org, s["nurse_token"], s["a"], s["medical"], action=pb.ACTION_WRITE)
    assert (own.allowed, own.reason, own.user_id, own.unit_id) == (True, "granted", s["nurse"], s["a"])
    assert (own.role_id, own.grant.folder_id, own.grant.access) == (
        s["nurse_role"],
        s["medical"],
        pb.ACCESS_READ_WRITE,
    )
    elsewhere = await explain(org, s["nurse_token"], s["b"], s["medical"])
    assert (elsewhere.allowed, elsewhere.reason, elsewhere.assignment_id) == (
        False,
        "no assignment on the unit",
        "",
    )
    read_only = await explain(
        org, s["counsellor_token"], s["a"], s["counsellor_file"], action=pb.ACTION_WRITE
    )
    assert (read_only.allowed, read_only.reason) == (False, "the grant allows read only")
    no_grant = await explain(org, s["counsellor_token"], s["a"], s["medical"])
    assert (no_grant.allowed, no_grant.reason) == (False, "the role has no grant on the folder")


async def test_an_expired_assignment_is_named_with_the_day_it_ended(org, school):
    ended = await explain(org, school["former_token"], school["a"], school["medical"])
    assert not ended.allowed
    assert ended.reason == f"the assignment on the unit ended on {ENDED.isoformat()}"
    assert ended.assignment_id == school["ended"]
    assert date_from_proto(ended.valid_to, "valid_to") == ENDED


async def test_an_administrator_explains_anyones_access_and_a_member_only_their_own(org, school):
    s = school
    by_admin = await explain(org, org.admin, s["a"], s["medical"], user_id=s["former"])
    assert by_admin.user_id == s["former"] and by_admin.assignment_id == s["ended"]
    with pytest.raises(PermissionDenied) as refused:
        await explain(org, s["nurse_token"], s["a"], s["medical"], user_id=s["counsellor"])
    assert refused.value.message == "only administrators may explain another user's access"
    same = await explain(org, s["nurse_token"], s["a"], s["medical"], user_id=s["nurse"])
    assert same.allowed


async def test_a_deactivated_administrator_may_no_longer_explain_others_with_the_token_of_the_change(
    org, school
):
    second, email = await org.user(level=ipb.PERMISSION_LEVEL_ADMIN, external_id=f"hr-{uuid.uuid4().hex[:6]}")
    token = await org.login(email)
    assert (await explain(org, token, school["a"], school["medical"], user_id=school["nurse"])).allowed
    deactivate = ipb.ApplyImportedUsersRequest(run_id="test", deactivate_user_ids=[second.id])
    org.remember(await call(org.identity.ApplyImportedUsers, deactivate, token=org.admin))
    # The access token still says admin; the live facts, as fresh as the change, do not.
    with pytest.raises(PermissionDenied):
        await explain(org, token, school["a"], school["medical"], user_id=school["nurse"])


async def test_explain_allows_exactly_what_check_allows(org, school):
    s = school
    tokens = {
        s["nurse"]: s["nurse_token"],
        s["counsellor"]: s["counsellor_token"],
        s["former"]: s["former_token"],
        s["doctor"]: s["doctor_token"],
    }
    for user_id, token in tokens.items():
        for unit_id in (s["a"], s["b"]):
            for folder_id in (s["medical"], s["counsellor_file"], ""):
                for action in (pb.ACTION_READ, pb.ACTION_WRITE, pb.ACTION_SIGN):
                    explained = await explain(org, org.admin, unit_id, folder_id, user_id, action)
                    [checked] = await batch(org, token, [item(unit_id, folder_id, action)])
                    assert explained.allowed == checked, (user_id, unit_id, folder_id, action)


# --- WhoCanSee --------------------------------------------------------------------------------------------


async def test_who_can_see_names_every_reader_with_the_assignment_that_lets_them(org, school):
    s = school
    seers = await who_can_see(org, org.admin, s["a"], s["medical"])
    assert {(x.user_id, x.unit_id, x.all_units) for x in seers} == {
        (s["nurse"], s["a"], False),
        (s["doctor"], "", True),
    }
    assert all(
        (x.grant.access, x.grant.restriction) == (pb.ACCESS_READ_WRITE, pb.RESTRICTION_NONE) for x in seers
    )
    assert [x.user_id for x in await who_can_see(org, org.admin, s["b"], s["medical"])] == [s["doctor"]]


async def test_who_can_see_is_for_administrators_and_readers_of_the_folder(org, school):
    s = school
    assert len(await who_can_see(org, s["nurse_token"], s["a"], s["medical"])) == 2
    for token in (s["counsellor_token"], s["former_token"]):
        with pytest.raises(PermissionDenied):
            await who_can_see(org, token, s["a"], s["medical"])
    with pytest.raises(PermissionDenied):
        await who_can_see(org, s["nurse_token"], s["b"], s["medical"])


# --- tenancy ----------------------------------------------------------------------------------------------


async def test_another_organisations_ids_are_never_answered_for(services, org, school):
    other = await new_org(services)
    their_unit = await other.unit()
    their_role, their_folder = await other.role(), await other.folder()
    await other.grant(their_role.id, their_folder.id)
    _, their_token = await other.member_with_role(their_role.id)
    s = school
    # Their administrator asking about our unit, folder and users learns nothing.
    theirs = pb.WhoCanSeeRequest(unit_id=s["a"], folder_id=s["medical"], consistency_token=other.token)
    assert list((await call(other.authz.WhoCanSee, theirs, token=other.admin)).seers) == []
    request = pb.ExplainRequest(
        user_id=s["nurse"],
        unit_id=s["a"],
        folder_id=s["medical"],
        action=pb.ACTION_READ,
        consistency_token=other.token,
    )
    explained = await call(other.authz.Explain, request, token=other.admin)
    assert (explained.allowed, explained.reason, explained.assignment_id) == (
        False,
        "the user is inactive or unknown",
        "",
    )
    # Their all-units reader sees none of our units, and we see nobody of theirs.
    lookup = pb.LookupStudentsRequest(
        students=[pb.StudentRef(student_id=str(uuid.uuid4()), unit_id=s["a"])], consistency_token=other.token
    )
    seen = await call(other.authz.LookupStudents, lookup, token=their_token)
    assert list(seen.visible_student_ids) == [] and list(seen.unit_ids) == [their_unit.id]
    assert await who_can_see(org, org.admin, their_unit.id, their_folder.id) == []
    assert await batch(org, s["doctor_token"], [item(their_unit.id, their_folder.id)]) == [False]
