"""Administrative permissions: module levels per organisation, and subadministrators scoped to the roles their
own roles may manage and to the units they work on."""

from datetime import date, timedelta

import pytest

from services.authz.domain.admin import (
    DEFAULT_LEVELS,
    AdminQuestion,
    AdminVerdict,
    Module,
    decide,
    levels_after,
    manageable_roles,
    module_levels,
)
from services.authz.domain.memory import AuthzModel
from services.common.auth import PermissionLevel
from services.common.errors import InvalidFields
from tests.unit.authz.test_memory import assignment, unit, user

TODAY = date(2026, 11, 29)
ORG, OTHER_ORG = "org-north", "org-south"
SCHOOL_A, SCHOOL_B = "unit-a", "unit-b"
NURSE, DOCTOR, SUBADMIN_ROLE = "role-nurse", "role-doctor", "role-subadmin"
ADA, SUB, MEG = "user-admin", "user-subadmin", "user-member"
ADMIN, SUBADMIN, MEMBER = PermissionLevel.ADMIN, PermissionLevel.SUBADMIN, PermissionLevel.MEMBER


def organisation(**subadmin_assignment) -> AuthzModel:
    """An administrator, a member, and a subadmin holding the subadmin role on school A (or as given), whose
    role may manage nurses."""
    model = AuthzModel()
    for school in (SCHOOL_A, SCHOOL_B):
        model.apply(unit(ORG, school))
    model.apply(user(ORG, ADA, level="admin"))
    model.apply(user(ORG, SUB, level="subadmin"))
    model.apply(user(ORG, MEG, level="member"))
    model.apply(assignment("a-sub", ORG, SUB, SUBADMIN_ROLE, **({"unit_id": SCHOOL_A} | subadmin_assignment)))
    model.set_manageable_roles(ORG, SUBADMIN_ROLE, [NURSE])
    return model


def ask(model: AuthzModel, user_id: str, module=Module.ASSIGNMENTS, org=ORG, **question):
    return decide(model.org(org), user_id, AdminQuestion(module, **question), TODAY)


def nurse_on(unit_id: str, **more) -> dict:
    return {"role_id": NURSE, "unit_id": unit_id, **more}


def test_an_organisation_that_changed_nothing_has_the_documented_defaults():
    assert module_levels(AuthzModel().org(ORG)) == DEFAULT_LEVELS
    assert DEFAULT_LEVELS[Module.TEMPLATES] is ADMIN and DEFAULT_LEVELS[Module.STUDENTS] is SUBADMIN
    assert DEFAULT_LEVELS[Module.MODULE_LEVELS] is ADMIN


def test_a_subadmin_gives_an_assignment_of_a_manageable_role_on_a_unit_they_work_on():
    assert ask(organisation(), SUB, **nurse_on(SCHOOL_A)).allowed


def test_a_subadmin_is_refused_a_role_their_roles_may_not_manage_and_the_reason_names_it():
    verdict = ask(organisation(), SUB, role_id=DOCTOR, unit_id=SCHOOL_A, role_name="Skolläkare")
    assert not verdict.allowed and verdict.field == "role_id"
    assert "'Skolläkare'" in verdict.reason and DOCTOR in verdict.reason


def test_a_subadmin_is_refused_a_unit_they_hold_no_assignment_on_and_the_reason_names_it():
    verdict = ask(organisation(), SUB, **nurse_on(SCHOOL_B), unit_name="Björkskolan")
    assert not verdict.allowed and verdict.field == "unit_id"
    assert "'Björkskolan'" in verdict.reason


def test_a_subadmin_never_gives_an_assignment_on_all_units():
    verdict = ask(organisation(), SUB, role_id=NURSE, all_units=True)
    assert not verdict.allowed and verdict.field == "all_units"


def test_a_subadmin_with_an_assignment_on_all_units_works_on_every_unit():
    model = organisation(unit_id=None)
    assert ask(model, SUB, **nurse_on(SCHOOL_A)).allowed
    assert ask(model, SUB, **nurse_on(SCHOOL_B)).allowed


@pytest.mark.parametrize(
    "period",
    [
        {"valid_to": TODAY - timedelta(days=1)},
        {"valid_from": TODAY + timedelta(days=1)},
    ],
    ids=["ended", "not-yet-begun"],
)
def test_an_assignment_not_valid_today_gives_the_subadmin_neither_its_roles_scope_nor_its_unit(period):
    model = organisation(**period)
    assert manageable_roles(model.org(ORG), SUB, TODAY) == frozenset()
    assert not ask(model, SUB, **nurse_on(SCHOOL_A)).allowed


def test_the_scopes_of_several_roles_add_up():
    model = organisation()
    model.apply(assignment("a-sub-2", ORG, SUB, "role-second", unit_id=SCHOOL_A))
    model.set_manageable_roles(ORG, "role-second", [DOCTOR])
    assert manageable_roles(model.org(ORG), SUB, TODAY) == {NURSE, DOCTOR}


def test_a_role_whose_scope_is_emptied_manages_nothing():
    model = organisation()
    model.set_manageable_roles(ORG, SUBADMIN_ROLE, [])
    assert ask(model, SUB, **nurse_on(SCHOOL_A)).field == "role_id"


def test_an_administrator_is_not_scoped():
    model = organisation()
    assert ask(model, ADA, role_id=DOCTOR, all_units=True).allowed
    assert ask(model, ADA, role_id=DOCTOR, unit_id=SCHOOL_B).allowed


def test_a_member_is_refused_by_the_modules_level_and_told_which_it_needs():
    verdict = ask(organisation(), MEG, **nurse_on(SCHOOL_A))
    assert not verdict.allowed
    assert verdict.reason == "the assignments module needs the permission level subadmin; yours is member"


def test_a_raised_module_refuses_subadmins_and_a_lowered_one_admits_members():
    model = organisation()
    model.set_module_level(ORG, Module.STUDENTS, "admin")
    model.set_module_level(ORG, Module.UNITS, "member")
    assert not ask(model, SUB, Module.STUDENTS).allowed
    assert ask(model, ADA, Module.STUDENTS).allowed
    assert ask(model, MEG, Module.UNITS).allowed


def test_a_module_level_of_one_organisation_does_not_count_in_another():
    model = organisation()
    model.apply(user(OTHER_ORG, SUB, level="subadmin"))
    model.set_module_level(ORG, Module.STUDENTS, "admin")
    assert ask(model, SUB, Module.STUDENTS, org=OTHER_ORG).allowed


def test_a_scope_of_one_organisation_does_not_count_in_another():
    model = organisation()
    model.apply(unit(OTHER_ORG, SCHOOL_A))
    model.apply(user(OTHER_ORG, SUB, level="subadmin"))
    model.apply(assignment("a-other", OTHER_ORG, SUB, SUBADMIN_ROLE, unit_id=SCHOOL_A))
    assert ask(model, SUB, org=OTHER_ORG, **nurse_on(SCHOOL_A)).field == "role_id"


def test_an_organisation_setting_may_lower_a_module_but_never_raise_it():
    model = organisation()
    assert ask(model, SUB, Module.TEMPLATES, lowered_to=SUBADMIN).allowed
    assert not ask(model, MEG, Module.TEMPLATES, lowered_to=SUBADMIN).allowed
    assert ask(model, SUB, Module.STUDENTS, lowered_to=ADMIN).allowed


def test_only_administrators_touch_the_admin_level_even_where_subadmins_manage_users():
    verdict = ask(organisation(), SUB, Module.USERS, concerns_admin=True)
    assert not verdict.allowed and verdict.field == "permission_level"
    assert ask(organisation(), SUB, Module.USERS).allowed
    assert ask(organisation(), ADA, Module.USERS, concerns_admin=True).allowed


@pytest.mark.parametrize("who", ["inactive", "unknown"])
def test_an_inactive_or_unknown_user_may_do_nothing(who):
    model = organisation()
    model.apply(user(ORG, ADA, active=False, level="admin"))
    user_id = ADA if who == "inactive" else "user-nobody"
    assert ask(model, user_id, Module.SETTINGS) == AdminVerdict(False, "the user is not active")


def test_a_demoted_subadmin_loses_the_module_at_once():
    model = organisation()
    model.apply(user(ORG, SUB, level="member"))
    assert not ask(model, SUB, **nurse_on(SCHOOL_A)).allowed


def test_module_levels_may_not_go_below_admin_and_nothing_else_changes_with_the_refusal():
    org = organisation().org(ORG)
    with pytest.raises(InvalidFields) as refused:
        levels_after(org, [(Module.STUDENTS, ADMIN), (Module.MODULE_LEVELS, SUBADMIN)])
    assert refused.value.problems[0].field == "levels.module_levels"
    assert module_levels(org)[Module.STUDENTS] is SUBADMIN


def test_the_levels_after_a_change_list_every_module():
    levels = levels_after(organisation().org(ORG), [(Module.STUDENTS, ADMIN)])
    assert levels == DEFAULT_LEVELS | {Module.STUDENTS: ADMIN}


def test_a_stored_level_of_a_module_this_version_does_not_know_is_ignored():
    model = organisation()
    model.set_module_level(ORG, "telepathy", "member")
    assert module_levels(model.org(ORG)) == DEFAULT_LEVELS


def test_a_stored_minimum_level_this_version_does_not_know_admits_only_administrators():
    model = organisation()
    model.set_module_level(ORG, Module.STUDENTS, "owner")
    assert module_levels(model.org(ORG))[Module.STUDENTS] is ADMIN
