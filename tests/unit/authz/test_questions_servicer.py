"""Authz's questions over its gRPC servicer, on an organisation's facts in memory: batches answer in order and
are bounded, lookups name the units, explain and who-can-see are for the user themself, administrators (by
their live level) and readers of the folder."""

import uuid
from datetime import timedelta

import pytest
from elevhalsa.authz.v1 import authz_pb2 as pb

from services.authz.domain.memory import AuthzModel, OrgGrant
from services.authz.domain.model import Access, GrantRule, Restriction
from services.authz.entrypoints.questions_servicer import QuestionsServicer
from services.authz.service_layer.projections import Changes
from services.common.auth import Caller, PermissionLevel, bind_caller, unbind_caller
from services.common.clock import today
from services.common.convert import date_from_proto
from services.common.errors import InvalidArgument, PermissionDenied

ORG, OTHER_ORG = str(uuid.uuid4()), str(uuid.uuid4())
SCHOOL, OTHER_SCHOOL, THEIR_SCHOOL = (str(uuid.uuid4()) for _ in range(3))
NURSE, COUNSELLOR = str(uuid.uuid4()), str(uuid.uuid4())
MEDICAL, COUNSELLOR_FILE = str(uuid.uuid4()), str(uuid.uuid4())
ADMIN, ANNA, BERIT, CARL = (str(uuid.uuid4()) for _ in range(4))
ANNA_NURSE, BERIT_EVERYWHERE, CARL_ENDED = (str(uuid.uuid4()) for _ in range(3))
ENDED_ON = today() - timedelta(days=10)


def rows(**tables) -> Changes:
    return Changes(
        **{name: {index: row for index, row in enumerate(found)} for name, found in tables.items()}
    )


def a_user(org, user_id, level="member", active=True) -> dict:
    return {
        "org_id": org,
        "user_id": user_id,
        "active": active,
        "permission_level": level,
        "may_sign_notes": True,
    }


def an_assignment(assignment_id, user_id, role, unit_id, valid_to=None, org=ORG) -> dict:
    return {
        "assignment_id": assignment_id,
        "org_id": org,
        "user_id": user_id,
        "role_id": role,
        "unit_id": unit_id,
        "valid_from": None,
        "valid_to": valid_to,
    }


def organisation() -> AuthzModel:
    """Anna is the nurse of the school, Berit a nurse on all units, Carl's nurse assignment ended ten days ago;
    the administrator holds no assignment. Another organisation has a school of its own."""
    model = AuthzModel()
    units = [{"org_id": ORG, "unit_id": u, "active": True} for u in (SCHOOL, OTHER_SCHOOL)]
    users = [a_user(ORG, ADMIN, "admin")] + [a_user(ORG, u) for u in (ANNA, BERIT, CARL)]
    assignments = [
        an_assignment(ANNA_NURSE, ANNA, NURSE, SCHOOL),
        an_assignment(BERIT_EVERYWHERE, BERIT, NURSE, None),
        an_assignment(CARL_ENDED, CARL, NURSE, SCHOOL, valid_to=ENDED_ON),
    ]
    model.apply(
        rows(
            units=units + [{"org_id": OTHER_ORG, "unit_id": THEIR_SCHOOL, "active": True}],
            users=users,
            assignments=assignments,
        ),
        [
            OrgGrant(ORG, GrantRule(NURSE, MEDICAL, Access.READ_WRITE, Restriction.NONE, "menu")),
            OrgGrant(ORG, GrantRule(COUNSELLOR, COUNSELLOR_FILE, Access.READ, Restriction.CASE_MEMBER)),
        ],
    )
    return model


class FakeLive:
    """The live model's one method, remembering what it was asked."""

    def __init__(self, model: AuthzModel):
        self.model = model
        self.asked: list[tuple[str, str, float | None]] = []

    async def fresh(self, org_id: str, consistency_token: str, deadline: float | None = None):
        self.asked.append((org_id, consistency_token, deadline))
        return self.model.org(org_id)


class Servicer(QuestionsServicer):
    def __init__(self, live: FakeLive):
        self._live = live


class Context:
    def time_remaining(self) -> float:
        return 2.5


@pytest.fixture
def live() -> FakeLive:
    return FakeLive(organisation())


@pytest.fixture
def servicer(live) -> Servicer:
    return Servicer(live)


async def ask(method, request, user_id: str, level: PermissionLevel = PermissionLevel.MEMBER):
    """The method's answer to the request, asked by the user (with the level their token claims)."""
    reset = bind_caller(Caller(user_id, ORG, level, "token"))
    try:
        return await method(request, Context())
    finally:
        unbind_caller(reset)


def item(unit_id=SCHOOL, folder_id=MEDICAL, action=pb.ACTION_READ, case_id="") -> pb.CheckItem:
    return pb.CheckItem(unit_id=unit_id, folder_id=folder_id, action=action, case_id=case_id)


# --- CheckBatch -------------------------------------------------------------------------------------------


async def test_a_batch_answers_each_check_in_the_order_asked(servicer, live):
    items = [item(), item(OTHER_SCHOOL), item(action=pb.ACTION_WRITE), item(folder_id=COUNSELLOR_FILE)]
    request = pb.CheckBatchRequest(items=items, consistency_token="ct1.token")
    reply = await ask(servicer.CheckBatch, request, ANNA)
    assert [r.allowed for r in reply.results] == [True, False, True, False]
    assert list(reply.results[2].template_menu_ids) == ["menu"]
    assert reply.results[1].reason == "no assignment valid today covers the student's unit"
    assert live.asked == [(ORG, "ct1.token", 2.5)]


async def test_a_batch_of_more_than_a_thousand_checks_is_refused_naming_the_limit(servicer):
    with pytest.raises(InvalidArgument) as refused:
        await ask(servicer.CheckBatch, pb.CheckBatchRequest(items=[item()] * 1001), ANNA)
    assert refused.value.field == "items" and "1,000" in refused.value.message
    reply = await ask(servicer.CheckBatch, pb.CheckBatchRequest(items=[item()] * 1000), ANNA)
    assert len(reply.results) == 1000


async def test_a_malformed_item_is_named_by_its_index(servicer):
    with pytest.raises(InvalidArgument) as refused:
        await ask(
            servicer.CheckBatch, pb.CheckBatchRequest(items=[item(), item(folder_id="not-an-id")]), ANNA
        )
    assert refused.value.field == "items[1].folder_id"
    with pytest.raises(InvalidArgument) as no_action:
        await ask(servicer.CheckBatch, pb.CheckBatchRequest(items=[item(action=pb.ACTION_UNSPECIFIED)]), ANNA)
    assert no_action.value.field == "items[0].action"


# --- LookupStudents ---------------------------------------------------------------------------------------


async def test_lookup_names_the_visible_students_in_order_and_the_units_seen(servicer):
    students = [str(uuid.uuid4()) for _ in range(3)]
    refs = [
        pb.StudentRef(student_id=students[0], unit_id=OTHER_SCHOOL),
        pb.StudentRef(student_id=students[1], unit_id=SCHOOL),
        pb.StudentRef(student_id=students[2], unit_id=SCHOOL),
    ]
    reply = await ask(servicer.LookupStudents, pb.LookupStudentsRequest(students=refs), ANNA)
    assert list(reply.visible_student_ids) == students[1:]
    assert list(reply.unit_ids) == [SCHOOL] and not reply.all_units


async def test_an_all_units_assignment_sees_every_unit_of_the_organisation_only(servicer):
    refs = [pb.StudentRef(student_id=str(uuid.uuid4()), unit_id=THEIR_SCHOOL)]
    reply = await ask(servicer.LookupStudents, pb.LookupStudentsRequest(students=refs), BERIT)
    assert list(reply.visible_student_ids) == []
    assert list(reply.unit_ids) == sorted([SCHOOL, OTHER_SCHOOL]) and reply.all_units


async def test_a_lookup_is_bounded_too(servicer):
    refs = [pb.StudentRef(student_id=str(uuid.uuid4()), unit_id=SCHOOL)] * 1001
    with pytest.raises(InvalidArgument) as refused:
        await ask(servicer.LookupStudents, pb.LookupStudentsRequest(students=refs), ANNA)
    assert refused.value.field == "students"


# --- Explain ----------------------------------------------------------------------------------------------


def explain(user_id="", unit_id=SCHOOL, folder_id=MEDICAL, action=pb.ACTION_READ) -> pb.ExplainRequest:
    return pb.ExplainRequest(user_id=user_id, unit_id=unit_id, folder_id=folder_id, action=action)


async def test_a_user_explains_their_own_access_by_the_assignment_and_grant_that_allow_it(servicer):
    reply = await ask(servicer.Explain, explain(), ANNA)
    assert (reply.allowed, reply.reason, reply.user_id) == (True, "granted", ANNA)
    assert (reply.assignment_id, reply.role_id, reply.grant.folder_id) == (ANNA_NURSE, NURSE, MEDICAL)
    assert reply.grant.access == pb.ACCESS_READ_WRITE
    assert (reply.unit_id, reply.all_units) == (SCHOOL, False)


async def test_an_administrator_explains_an_expired_assignment_by_its_end_date(servicer):
    reply = await ask(servicer.Explain, explain(CARL), ADMIN, PermissionLevel.ADMIN)
    assert not reply.allowed
    assert reply.reason == f"the assignment on the unit ended on {ENDED_ON.isoformat()}"
    assert reply.assignment_id == CARL_ENDED
    assert date_from_proto(reply.valid_to, "valid_to") == ENDED_ON


async def test_a_member_may_not_explain_someone_elses_access(servicer):
    with pytest.raises(PermissionDenied) as refused:
        await ask(servicer.Explain, explain(BERIT), ANNA)
    assert refused.value.message == "only administrators may explain another user's access"


async def test_the_live_level_counts_not_the_tokens(servicer, live):
    live.model.apply(rows(users=[a_user(ORG, ADMIN, "member")]))
    with pytest.raises(PermissionDenied):
        await ask(servicer.Explain, explain(CARL), ADMIN, PermissionLevel.ADMIN)


async def test_explain_agrees_with_the_batch_on_every_action(servicer):
    for user_id in (ANNA, BERIT, CARL, ADMIN):
        for unit_id in (SCHOOL, OTHER_SCHOOL, THEIR_SCHOOL):
            for folder_id in (MEDICAL, COUNSELLOR_FILE, ""):
                for action in (pb.ACTION_READ, pb.ACTION_WRITE, pb.ACTION_SIGN):
                    request = explain(user_id, unit_id, folder_id, action)
                    explained = await ask(servicer.Explain, request, ADMIN, PermissionLevel.ADMIN)
                    batch = pb.CheckBatchRequest(items=[item(unit_id, folder_id, action)])
                    checked = (await ask(servicer.CheckBatch, batch, user_id)).results[0]
                    assert explained.allowed == checked.allowed, (user_id, unit_id, folder_id, action)


# --- WhoCanSee --------------------------------------------------------------------------------------------


def who(unit_id=SCHOOL, folder_id=MEDICAL) -> pb.WhoCanSeeRequest:
    return pb.WhoCanSeeRequest(unit_id=unit_id, folder_id=folder_id)


async def test_an_administrator_sees_who_can_read_with_the_assignment_that_lets_them(servicer):
    reply = await ask(servicer.WhoCanSee, who(), ADMIN, PermissionLevel.ADMIN)
    seen = {(s.user_id, s.assignment_id, s.unit_id, s.all_units) for s in reply.seers}
    assert seen == {(ANNA, ANNA_NURSE, SCHOOL, False), (BERIT, BERIT_EVERYWHERE, "", True)}
    assert all(s.grant.access == pb.ACCESS_READ_WRITE for s in reply.seers)


async def test_a_reader_of_the_folder_may_ask_and_others_may_not(servicer):
    assert len((await ask(servicer.WhoCanSee, who(), ANNA)).seers) == 2
    with pytest.raises(PermissionDenied):
        await ask(servicer.WhoCanSee, who(OTHER_SCHOOL), ANNA)
    with pytest.raises(PermissionDenied):
        await ask(servicer.WhoCanSee, who(), CARL)


async def test_another_organisations_unit_has_nobody_who_can_see_it(servicer):
    assert list((await ask(servicer.WhoCanSee, who(THEIR_SCHOOL), ADMIN, PermissionLevel.ADMIN)).seers) == []
