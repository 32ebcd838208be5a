"""Authz's facts in memory: changes count from the next question on, reasons say what is missing, and a
decision reads only the asking user's facts."""

import uuid
from datetime import date, timedelta

import pytest
from elevhalsa.identity.v1 import events_pb2 as identity_events
from elevhalsa.identity.v1 import identity_pb2

from services.authz.domain.memory import AuthzModel, OrgGrant
from services.authz.domain.model import (
    Access,
    Action,
    AssignmentFact,
    GrantRule,
    NoteFact,
    Restriction,
    folder_access,
)
from services.authz.service_layer.projections import Changes, fold

TODAY = date(2025, 3, 14)
ORG, OTHER_ORG = "org-north", "org-south"
SCHOOL, OTHER_SCHOOL = "unit-school", "unit-other-school"
NURSE, COUNSELLOR = "role-nurse", "role-counsellor"
MEDICAL, COUNSELLOR_FILE = "folder-medical", "folder-counsellor"
ANNA, BERIT = "user-anna", "user-berit"


def unit(org, unit_id) -> Changes:
    return Changes(units={(org, unit_id): {"org_id": org, "unit_id": unit_id, "active": True}})


def user(org, user_id, active=True, may_sign=True, level="member") -> Changes:
    row = {
        "org_id": org,
        "user_id": user_id,
        "active": active,
        "permission_level": level,
        "may_sign_notes": may_sign,
    }
    return Changes(users={(org, user_id): row})


def assignment(assignment_id, org, user_id, role, unit_id=SCHOOL, valid_from=None, valid_to=None) -> Changes:
    row = {
        "assignment_id": assignment_id,
        "org_id": org,
        "user_id": user_id,
        "role_id": role,
        "unit_id": unit_id,
        "valid_from": valid_from,
        "valid_to": valid_to,
    }
    return Changes(assignments={assignment_id: row})


def revoked(assignment_id) -> Changes:
    return Changes(assignments={assignment_id: None})


def grant(role, folder, access=Access.READ_WRITE, restriction=Restriction.NONE, org=ORG, menu=None):
    return [OrgGrant(org, GrantRule(role, folder, access, restriction, menu))]


@pytest.fixture
def model() -> AuthzModel:
    """Anna, a nurse at the school, with read/write on the medical journal; the counsellor file is
    restricted to case members."""
    model = AuthzModel()
    model.apply(unit(ORG, SCHOOL))
    model.apply(unit(OTHER_ORG, OTHER_SCHOOL))
    model.apply(user(ORG, ANNA))
    model.apply(assignment("a-anna-nurse", ORG, ANNA, NURSE), grant(NURSE, MEDICAL, menu="menu-nurse"))
    model.apply(grants=grant(COUNSELLOR, COUNSELLOR_FILE, restriction=Restriction.CASE_MEMBER_NOTES))
    return model


def reads(model, user_id=ANNA, unit_id=SCHOOL, folder=MEDICAL, org=ORG) -> bool:
    return model.check(org, user_id, unit_id, folder, Action.READ, TODAY)[0]


# --- changes count at once ---------------------------------------------------------------------------------


def test_a_nurse_reads_and_writes_the_medical_journal_with_the_menu_her_grant_names(model):
    assert model.check(ORG, ANNA, SCHOOL, MEDICAL, Action.WRITE, TODAY) == (True, "granted", ("menu-nurse",))


def test_a_revoked_assignment_stops_counting_at_once(model):
    model.apply(revoked("a-anna-nurse"))
    assert not reads(model)
    assert model.explain(ORG, ANNA, SCHOOL, MEDICAL, Action.READ, TODAY).reason == "no assignment on the unit"


def test_revoking_one_of_two_assignments_keeps_the_other(model):
    model.apply(assignment("a-anna-nurse-2", ORG, ANNA, NURSE))
    model.apply(revoked("a-anna-nurse"))
    assert reads(model)


def test_a_lowered_grant_stops_writing_at_once_and_explain_says_read_only(model):
    model.apply(grants=grant(NURSE, MEDICAL, Access.READ))
    assert reads(model)
    assert not model.check(ORG, ANNA, SCHOOL, MEDICAL, Action.WRITE, TODAY)[0]
    explanation = model.explain(ORG, ANNA, SCHOOL, MEDICAL, Action.WRITE, TODAY)
    assert (explanation.allowed, explanation.reason) == (False, "the grant allows read only")


def test_a_deactivated_user_is_refused_at_once(model):
    model.apply(user(ORG, ANNA, active=False))
    assert model.check(ORG, ANNA, SCHOOL, MEDICAL, Action.READ, TODAY) == (
        False,
        "the user is inactive or unknown",
        (),
    )


def test_a_user_who_may_not_sign_writes_but_does_not_sign(model):
    model.apply(user(ORG, ANNA, may_sign=False))
    assert model.check(ORG, ANNA, SCHOOL, MEDICAL, Action.WRITE, TODAY)[0]
    assert (
        model.explain(ORG, ANNA, SCHOOL, MEDICAL, Action.SIGN, TODAY).reason == "the user may not sign notes"
    )


def test_a_batch_of_identity_events_folded_by_the_projections_reaches_the_model():
    org, user_id, unit_id, role = (str(uuid.uuid4()) for _ in range(4))
    events = [
        identity_events.UnitCreated(unit_id=unit_id, active=True),
        identity_events.UserChanged(
            user_id=user_id, active=True, permission_level=identity_pb2.PERMISSION_LEVEL_ADMIN
        ),
        identity_events.AssignmentGranted(
            assignment_id=str(uuid.uuid4()), user_id=user_id, role_id=role, all_units=True
        ),
    ]
    for event in events:
        event.meta.org_id = org
    model = AuthzModel()
    model.apply(fold(events), grant(role, "folder", Access.READ, org=org))
    assert model.lookup_units(org, user_id, TODAY) == {unit_id}
    assert model.user(org, user_id).permission_level == "admin"


# --- dates and units ---------------------------------------------------------------------------------------


def test_an_expired_assignments_reason_names_its_end_date(model):
    model.apply(revoked("a-anna-nurse"))
    model.apply(assignment("a-anna-autumn", ORG, ANNA, NURSE, valid_to=date(2024, 12, 31)))
    explanation = model.explain(ORG, ANNA, SCHOOL, MEDICAL, Action.READ, TODAY)
    assert not reads(model)
    assert explanation.reason == "the assignment on the unit ended on 2024-12-31"
    assert explanation.assignment_id == "a-anna-autumn"


def test_a_future_assignments_reason_names_its_start_date(model):
    model.apply(revoked("a-anna-nurse"))
    model.apply(assignment("a-anna-summer", ORG, ANNA, NURSE, valid_from=date(2025, 6, 1)))
    explanation = model.explain(ORG, ANNA, SCHOOL, MEDICAL, Action.READ, TODAY)
    assert explanation.reason == "the assignment on the unit starts on 2025-06-01"
    assert model.check(ORG, ANNA, SCHOOL, MEDICAL, Action.READ, date(2025, 6, 1))[0]


def test_an_all_units_assignment_does_not_cover_another_organisations_unit(model):
    model.apply(assignment("a-anna-everywhere", ORG, ANNA, NURSE, unit_id=None))
    model.apply(unit(ORG, "unit-new-school"))
    assert reads(model, unit_id="unit-new-school")
    assert not reads(model, unit_id=OTHER_SCHOOL)
    assert model.lookup_units(ORG, ANNA, TODAY) == {SCHOOL, "unit-new-school"}


def test_one_organisations_facts_never_answer_for_another_with_the_same_ids(model):
    model.apply(user(OTHER_ORG, ANNA))
    assert not reads(model, org=OTHER_ORG)
    model.apply(assignment("a-south-anna", OTHER_ORG, ANNA, NURSE, unit_id=SCHOOL))
    assert not reads(model, org=OTHER_ORG)  # the nurse role has no grant in the other organisation
    assert reads(model)


def test_an_unknown_organisation_or_user_is_refused():
    assert AuthzModel().explain("org-unknown", ANNA, SCHOOL, MEDICAL, Action.READ, TODAY).reason == (
        "the user is inactive or unknown"
    )


# --- restrictions and case memberships --------------------------------------------------------------------


def counsellor(model):
    model.apply(assignment("a-anna-counsellor", ORG, ANNA, COUNSELLOR))
    model.add_case_member(ORG, ANNA, "case-1")


NOTES = [
    NoteFact("n-open", None, True),
    NoteFact("n-case-shown", "case-1", True),
    NoteFact("n-case", "case-1", False),
]


def test_a_case_member_sees_only_the_notes_marked_visible_in_her_case(model):
    counsellor(model)
    access, shown = model.filter_notes(ORG, ANNA, SCHOOL, COUNSELLOR_FILE, NOTES, TODAY)
    assert access.allowed and shown == ["n-case-shown"]


def test_removing_a_case_member_hides_the_case_notes_at_once(model):
    counsellor(model)
    model.remove_case_member(ORG, ANNA, "case-1")
    assert model.filter_notes(ORG, ANNA, SCHOOL, COUNSELLOR_FILE, NOTES, TODAY)[1] == []


def test_a_restricted_grant_writes_only_in_the_users_cases_and_explain_says_so(model):
    counsellor(model)
    assert model.check(ORG, ANNA, SCHOOL, COUNSELLOR_FILE, Action.WRITE, TODAY, "case-1")[0]
    assert not model.check(ORG, ANNA, SCHOOL, COUNSELLOR_FILE, Action.WRITE, TODAY, "case-2")[0]
    explanation = model.explain(ORG, ANNA, SCHOOL, COUNSELLOR_FILE, Action.WRITE, TODAY, "case-2")
    assert not explanation.allowed and explanation.reason.startswith("only case members")
    assert explanation.grant.restriction is Restriction.CASE_MEMBER_NOTES


def test_the_role_without_a_grant_on_the_folder_is_named(model):
    explanation = model.explain(ORG, ANNA, SCHOOL, COUNSELLOR_FILE, Action.READ, TODAY)
    assert (explanation.reason, explanation.role_id) == ("the role has no grant on the folder", NURSE)


def test_who_can_see_lists_each_allowing_assignment_with_its_restriction(model):
    counsellor(model)
    model.apply(user(ORG, BERIT))
    model.apply(assignment("a-berit", ORG, BERIT, COUNSELLOR, valid_to=TODAY - timedelta(days=1)))
    seers = model.who_can_see(ORG, SCHOOL, COUNSELLOR_FILE, TODAY)
    assert [(s.user_id, s.assignment_id, s.grant.restriction) for s in seers] == [
        (ANNA, "a-anna-counsellor", Restriction.CASE_MEMBER_NOTES)
    ]


# --- replays ----------------------------------------------------------------------------------------------


def test_a_replay_of_identity_forgets_its_facts_keeps_the_grants_and_rebuilds(model):
    model.forget(ORG, "identity")
    assert not reads(model)
    assert model.org_units(ORG) == frozenset()
    model.apply(unit(ORG, SCHOOL))
    model.apply(user(ORG, ANNA))
    model.apply(assignment("a-anna-nurse", ORG, ANNA, NURSE))
    assert reads(model)


def test_a_replay_forgets_only_that_organisation(model):
    model.apply(user(OTHER_ORG, BERIT))
    model.apply(assignment("a-south-berit", OTHER_ORG, BERIT, NURSE, unit_id=OTHER_SCHOOL))
    model.apply(grants=grant(NURSE, MEDICAL, org=OTHER_ORG))
    model.forget(ORG, "identity")
    assert reads(model, BERIT, OTHER_SCHOOL, org=OTHER_ORG)
    model.apply(revoked("a-south-berit"))  # its revoke still finds it after the other's replay
    assert not reads(model, BERIT, OTHER_SCHOOL, org=OTHER_ORG)


def test_a_replay_of_records_forgets_case_memberships(model):
    counsellor(model)
    model.forget(ORG, "records")
    assert model.filter_notes(ORG, ANNA, SCHOOL, COUNSELLOR_FILE, NOTES, TODAY)[1] == []
    assert reads(model)


# --- the indexes ------------------------------------------------------------------------------------------


@pytest.fixture
def crowded(model) -> AuthzModel:
    """The school with 10,000 other users, two assignments each."""
    for n in range(10_000):
        other = f"user-{n}"
        model.apply(user(ORG, other))
        model.apply(assignment(f"a-{n}-school", ORG, other, NURSE))
        model.apply(assignment(f"a-{n}-everywhere", ORG, other, COUNSELLOR, unit_id=None))
    return model


@pytest.fixture
def looked_at(monkeypatch) -> list:
    """Every assignment a question looks at."""
    seen = []
    valid_on = AssignmentFact.valid_on

    def counted(fact, day):
        seen.append(fact)
        return valid_on(fact, day)

    monkeypatch.setattr(AssignmentFact, "valid_on", counted)
    return seen


def test_a_decision_looks_only_at_the_users_own_assignments(crowded, looked_at):
    crowded.apply(assignment("a-anna-elsewhere", ORG, ANNA, NURSE, unit_id=OTHER_SCHOOL))
    for action in Action:
        crowded.check(ORG, ANNA, SCHOOL, MEDICAL, action, TODAY)
    crowded.filter_notes(ORG, ANNA, SCHOOL, MEDICAL, NOTES, TODAY)
    crowded.lookup_students(ORG, ANNA, [("student", SCHOOL)], TODAY)
    assert len(looked_at) <= 2 * 5  # two assignments, five questions


def test_who_can_see_looks_only_at_the_assignments_on_the_unit_and_on_all_units(crowded, looked_at):
    crowded.apply(unit(ORG, "unit-empty"))
    crowded.who_can_see(ORG, "unit-empty", MEDICAL, TODAY)
    assert len(looked_at) == 10_000  # the all-units ones; none of the 10,001 on the school


def test_the_model_answers_as_folder_access_does_on_the_users_subject(crowded):
    counsellor(crowded)
    for folder in (MEDICAL, COUNSELLOR_FILE, None):
        for action in Action:
            expected = folder_access(
                crowded.subject(ORG, ANNA), SCHOOL, folder, action, TODAY, crowded.org_units(ORG)
            )
            assert crowded.access(ORG, ANNA, SCHOOL, folder, action, TODAY) == expected


def test_an_assignment_id_granted_again_in_another_organisation_leaves_the_first(model):
    model.apply(user(OTHER_ORG, ANNA))
    model.apply(grants=grant(NURSE, MEDICAL, org=OTHER_ORG))
    model.apply(assignment("a-anna-nurse", OTHER_ORG, ANNA, NURSE, unit_id=OTHER_SCHOOL))
    assert not reads(model)
    model.apply(revoked("a-anna-nurse"))
    assert not reads(model, unit_id=OTHER_SCHOOL, org=OTHER_ORG)
