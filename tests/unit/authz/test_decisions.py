"""Who may read and write which folder of which student: the authz decision model without I/O."""

from datetime import date, timedelta

import pytest

from services.authz.domain.model import (
    Access,
    Action,
    AssignmentFact,
    FolderAccess,
    GrantRule,
    NoteFact,
    Restriction,
    Subject,
    allowed_notes,
    case_write_allowed,
    folder_access,
    note_allowed,
)

TODAY = date(2025, 3, 14)
SCHOOL_A = "unit-school-a"
SCHOOL_B = "unit-school-b"
ORG_UNITS = frozenset({SCHOOL_A, SCHOOL_B})

MEDICAL = "folder-medical-journal"
STUDENT_FILE = "folder-student-file"
COUNSELLOR_FILE = "folder-counsellor-file"
PSYCHOLOGIST_JOURNAL = "folder-psychologist-journal"
FOLDERS = (MEDICAL, STUDENT_FILE, COUNSELLOR_FILE, PSYCHOLOGIST_JOURNAL)

# Seed 004: every "Läs/Skriv" cell of the example table; every other cell is "Ingen".
SEED_MATRIX = {
    "nurse": {MEDICAL, STUDENT_FILE},
    "doctor": {MEDICAL, STUDENT_FILE},
    "principal": {STUDENT_FILE},
    "counsellor": {STUDENT_FILE, COUNSELLOR_FILE},
    "psychologist": {STUDENT_FILE, PSYCHOLOGIST_JOURNAL},
    "special_needs_teacher": {STUDENT_FILE},
}
SEED_GRANTS = {
    (role, folder): GrantRule(role, folder, Access.READ_WRITE, Restriction.NONE)
    for role, folders in SEED_MATRIX.items()
    for folder in folders
}
MATRIX_CELLS = [(role, folder) for role in SEED_MATRIX for folder in FOLDERS]


def assignment(role, unit=SCHOOL_A, valid_from=None, valid_to=None) -> AssignmentFact:
    return AssignmentFact(role, unit, valid_from, valid_to)


def subject(*assignments, grants=None, active=True, member_case_ids=frozenset()) -> Subject:
    return Subject(active, tuple(assignments), SEED_GRANTS if grants is None else grants, member_case_ids)


def access(subj, unit=SCHOOL_A, folder=MEDICAL, action=Action.READ, day=TODAY) -> FolderAccess:
    return folder_access(subj, unit, folder, action, day, ORG_UNITS)


def grant(role, folder, access_level, restriction=Restriction.NONE) -> dict:
    return {(role, folder): GrantRule(role, folder, access_level, restriction)}


def note(note_id, case_id=None, visible=False) -> NoteFact:
    return NoteFact(note_id, case_id, visible)


# --- the seed-004 role × folder matrix ---------------------------------------------------------------


@pytest.mark.parametrize("role, folder", MATRIX_CELLS)
@pytest.mark.parametrize("action", [Action.READ, Action.WRITE])
def test_each_role_reaches_exactly_the_folders_of_the_seed_matrix(role, folder, action):
    result = access(subject(assignment(role)), folder=folder, action=action)
    assert result.allowed is (folder in SEED_MATRIX[role])


def test_a_principal_is_told_why_the_medical_journal_is_closed():
    result = access(subject(assignment("principal")), folder=MEDICAL)
    assert not result.allowed
    assert "grants read" in result.reason


def test_an_unrestricted_grant_lets_a_nurse_see_every_note_in_the_folder():
    result = access(subject(assignment("nurse")))
    assert result.allowed and result.unrestricted


# --- units ------------------------------------------------------------------------------------------


def test_a_nurse_on_school_a_cannot_read_the_medical_journal_of_a_student_at_school_b():
    result = access(subject(assignment("nurse", unit=SCHOOL_A)), unit=SCHOOL_B)
    assert not result.allowed
    assert "unit" in result.reason


def test_a_nurse_on_school_b_can_read_the_medical_journal_of_a_student_at_school_b():
    assert access(subject(assignment("nurse", unit=SCHOOL_B)), unit=SCHOOL_B).allowed


def test_an_all_units_assignment_covers_every_school_of_the_organisation():
    nurse = subject(assignment("nurse", unit=None))
    assert access(nurse, unit=SCHOOL_A).allowed
    assert access(nurse, unit=SCHOOL_B).allowed


def test_an_all_units_assignment_does_not_reach_a_unit_of_another_organisation():
    assert not access(subject(assignment("nurse", unit=None)), unit="unit-of-another-municipality").allowed


# --- time-bounded assignments -----------------------------------------------------------------------

SUMMER_SUBSTITUTE = assignment("nurse", valid_from=date(2025, 6, 1), valid_to=date(2025, 8, 31))


@pytest.mark.parametrize(
    "day, allowed",
    [
        (date(2025, 5, 31), False),
        (date(2025, 6, 1), True),
        (date(2025, 7, 15), True),
        (date(2025, 8, 31), True),
        (date(2025, 9, 1), False),
    ],
    ids=["day-before-start", "first-day", "middle", "last-day", "day-after-end"],
)
def test_a_time_bounded_assignment_counts_from_its_first_to_its_last_day_inclusive(day, allowed):
    assert access(subject(SUMMER_SUBSTITUTE), day=day).allowed is allowed


def test_an_assignment_open_at_one_end_is_bounded_only_by_the_other():
    starts_later = subject(assignment("nurse", valid_from=TODAY + timedelta(days=1)))
    ended = subject(assignment("nurse", valid_to=TODAY - timedelta(days=1)))
    still_running = subject(assignment("nurse", valid_from=TODAY - timedelta(days=400)))
    assert not access(starts_later).allowed
    assert not access(ended).allowed
    assert access(still_running).allowed


# --- users ------------------------------------------------------------------------------------------


def test_an_inactive_nurse_is_denied_despite_a_valid_assignment():
    result = access(subject(assignment("nurse"), active=False))
    assert not result.allowed
    assert "inactive" in result.reason


def test_a_user_without_assignments_sees_nothing():
    assert not access(subject(), folder=STUDENT_FILE).allowed


# --- read versus write ------------------------------------------------------------------------------


def test_a_read_grant_lets_a_principal_read_but_not_write_the_student_file():
    grants = grant("principal", STUDENT_FILE, Access.READ)
    principal = subject(assignment("principal"), grants=grants)
    assert access(principal, folder=STUDENT_FILE, action=Action.READ).allowed
    assert not access(principal, folder=STUDENT_FILE, action=Action.WRITE).allowed


def test_a_grant_of_access_none_gives_neither_read_nor_write():
    principal = subject(assignment("principal"), grants=grant("principal", STUDENT_FILE, Access.NONE))
    assert not access(principal, folder=STUDENT_FILE, action=Action.READ).allowed
    assert not access(principal, folder=STUDENT_FILE, action=Action.WRITE).allowed


def test_asking_about_any_folder_finds_a_student_visible_through_one_folder():
    counsellor = subject(assignment("counsellor"))
    assert access(counsellor, folder=None).allowed


def test_asking_about_any_folder_is_denied_when_the_role_has_no_folder_at_all():
    janitor = subject(assignment("janitor"))
    assert not access(janitor, folder=None).allowed


# --- case restrictions ------------------------------------------------------------------------------

CASE_1 = "case-1"
CASE_2 = "case-2"
FOLDER_NOTES = [
    note("plain"),
    note("case-1-hidden", CASE_1, visible=False),
    note("case-1-visible", CASE_1, visible=True),
    note("case-2-visible", CASE_2, visible=True),
]


def counsellor_access(*restrictions: Restriction, action=Action.READ) -> FolderAccess:
    """The counsellor file access of a counsellor holding one assignment per restricted role."""
    grants, assignments = {}, []
    for index, restriction in enumerate(restrictions):
        role = f"counsellor-{index}"
        grants |= grant(role, COUNSELLOR_FILE, Access.READ_WRITE, restriction)
        assignments.append(assignment(role))
    return access(subject(*assignments, grants=grants), folder=COUNSELLOR_FILE, action=action)


def test_without_restriction_every_note_of_the_folder_is_visible():
    visible = allowed_notes(counsellor_access(Restriction.NONE), FOLDER_NOTES, frozenset())
    assert visible == ["plain", "case-1-hidden", "case-1-visible", "case-2-visible"]


def test_a_case_member_restriction_shows_only_the_notes_of_the_users_cases():
    visible = allowed_notes(counsellor_access(Restriction.CASE_MEMBER), FOLDER_NOTES, frozenset({CASE_1}))
    assert visible == ["case-1-hidden", "case-1-visible"]


def test_a_case_member_notes_restriction_shows_only_notes_marked_visible_in_the_users_cases():
    restricted = counsellor_access(Restriction.CASE_MEMBER_NOTES)
    assert allowed_notes(restricted, FOLDER_NOTES, frozenset({CASE_1})) == ["case-1-visible"]


def test_a_case_restricted_user_who_is_in_no_case_sees_no_note():
    assert allowed_notes(counsellor_access(Restriction.CASE_MEMBER), FOLDER_NOTES, frozenset()) == []


def test_a_denied_access_shows_no_note_even_in_a_case_the_user_is_member_of():
    denied = access(subject(assignment("principal")), folder=COUNSELLOR_FILE)
    assert not note_allowed(denied, note("n", CASE_1, visible=True), frozenset({CASE_1}))


def test_allowed_notes_keeps_the_order_the_notes_were_given_in():
    reversed_notes = list(reversed(FOLDER_NOTES))
    visible = allowed_notes(counsellor_access(Restriction.NONE), reversed_notes, frozenset())
    assert visible == [n.note_id for n in reversed_notes]


def test_an_unrestricted_grant_lets_the_user_write_outside_any_case():
    assert case_write_allowed(counsellor_access(Restriction.NONE, action=Action.WRITE), None, frozenset())


def test_a_case_member_restriction_allows_writing_only_in_the_users_own_cases():
    restricted = counsellor_access(Restriction.CASE_MEMBER, action=Action.WRITE)
    members = frozenset({CASE_1})
    assert case_write_allowed(restricted, CASE_1, members)
    assert not case_write_allowed(restricted, CASE_2, members)
    assert not case_write_allowed(restricted, None, members)


# --- several assignments ----------------------------------------------------------------------------


def test_a_nurse_with_assignments_on_two_schools_reads_at_both_and_nowhere_else():
    nurse = subject(assignment("nurse", unit=SCHOOL_A), assignment("nurse", unit="unit-school-c"))
    assert access(nurse, unit=SCHOOL_A).allowed
    assert access(nurse, unit="unit-school-c").allowed
    assert not access(nurse, unit=SCHOOL_B).allowed


def test_two_roles_on_one_school_add_up_their_folders():
    both = subject(assignment("nurse"), assignment("counsellor"))
    assert access(both, folder=MEDICAL).allowed
    assert access(both, folder=COUNSELLOR_FILE).allowed
    assert not access(both, folder=PSYCHOLOGIST_JOURNAL).allowed


def test_a_role_on_another_school_does_not_add_its_folders_here():
    split = subject(assignment("nurse", unit=SCHOOL_A), assignment("counsellor", unit=SCHOOL_B))
    assert not access(split, unit=SCHOOL_A, folder=COUNSELLOR_FILE).allowed


def test_an_expired_assignment_does_not_count_next_to_a_valid_one():
    mixed = subject(
        assignment("counsellor", valid_to=TODAY - timedelta(days=1)),
        assignment("principal"),
    )
    assert access(mixed, folder=STUDENT_FILE).allowed
    assert not access(mixed, folder=COUNSELLOR_FILE).allowed


def test_an_unrestricted_assignment_lifts_the_case_restriction_of_another():
    combined = counsellor_access(Restriction.CASE_MEMBER_NOTES, Restriction.NONE)
    assert combined.unrestricted
    assert allowed_notes(combined, FOLDER_NOTES, frozenset()) == [n.note_id for n in FOLDER_NOTES]


def test_case_member_and_case_member_notes_together_show_all_notes_of_the_users_cases():
    combined = counsellor_access(Restriction.CASE_MEMBER_NOTES, Restriction.CASE_MEMBER)
    assert allowed_notes(combined, FOLDER_NOTES, frozenset({CASE_1})) == ["case-1-hidden", "case-1-visible"]


def test_a_read_only_unrestricted_role_does_not_widen_where_a_case_restricted_role_may_write():
    grants = grant("reader", COUNSELLOR_FILE, Access.READ) | grant(
        "case-writer", COUNSELLOR_FILE, Access.READ_WRITE, Restriction.CASE_MEMBER
    )
    user = subject(assignment("reader"), assignment("case-writer"), grants=grants)
    write = access(user, folder=COUNSELLOR_FILE, action=Action.WRITE)
    assert write.allowed
    assert not case_write_allowed(write, None, frozenset({CASE_1}))
    assert case_write_allowed(write, CASE_1, frozenset({CASE_1}))
    assert access(user, folder=COUNSELLOR_FILE, action=Action.READ).unrestricted


def test_case_membership_never_turns_a_denied_folder_into_an_allowed_write():
    denied = FolderAccess(False, "no assignment valid today covers the student's unit")
    assert not case_write_allowed(denied, CASE_1, frozenset({CASE_1}))


# --- signing ----------------------------------------------------------------------------------------


def signer(*assignments, may_sign_notes=True, grants=None) -> Subject:
    return Subject(
        True, tuple(assignments), SEED_GRANTS if grants is None else grants, may_sign_notes=may_sign_notes
    )


def test_a_nurse_who_may_not_sign_notes_is_refused_signing_and_told_why():
    result = access(signer(assignment("nurse"), may_sign_notes=False), action=Action.SIGN)
    assert not result.allowed
    assert result.reason == "the user may not sign notes"


def test_a_nurse_who_may_not_sign_notes_still_writes_drafts():
    assert access(signer(assignment("nurse"), may_sign_notes=False), action=Action.WRITE).allowed


def test_a_user_who_may_sign_notes_cannot_sign_where_the_role_only_reads():
    principal = signer(assignment("principal"), grants=grant("principal", STUDENT_FILE, Access.READ))
    result = access(principal, folder=STUDENT_FILE, action=Action.SIGN)
    assert not result.allowed
    assert "grants write" in result.reason


def test_a_user_who_may_sign_notes_cannot_sign_without_an_assignment_on_the_unit():
    assert not access(signer(assignment("nurse", unit=SCHOOL_B)), action=Action.SIGN).allowed


def test_a_nurse_who_may_sign_notes_signs_in_the_medical_journal_her_role_writes():
    assert access(signer(assignment("nurse")), action=Action.SIGN).allowed


def test_signing_under_a_case_restriction_is_allowed_only_in_the_users_own_cases():
    grants = grant("counsellor", COUNSELLOR_FILE, Access.READ_WRITE, Restriction.CASE_MEMBER)
    sign = access(signer(assignment("counsellor"), grants=grants), folder=COUNSELLOR_FILE, action=Action.SIGN)
    assert case_write_allowed(sign, CASE_1, frozenset({CASE_1}))
    assert not case_write_allowed(sign, None, frozenset({CASE_1}))


# --- template menus ---------------------------------------------------------------------------------

NURSE_MENU = "menu-health-visits"
SCREENING_MENU = "menu-screenings"
COUNSELLOR_MENU = "menu-counselling"


def menu_grant(role, folder, menu, access_level=Access.READ_WRITE) -> dict:
    return {(role, folder): GrantRule(role, folder, access_level, Restriction.NONE, menu)}


def test_a_write_check_names_the_menu_of_the_grant_that_allowed_it():
    nurse = subject(assignment("nurse"), grants=menu_grant("nurse", MEDICAL, NURSE_MENU))
    assert access(nurse, action=Action.WRITE).template_menu_ids == (NURSE_MENU,)


def test_two_roles_on_the_unit_give_the_menus_of_both_grants_once_each_in_order():
    grants = (
        menu_grant("nurse", MEDICAL, SCREENING_MENU)
        | menu_grant("doctor", MEDICAL, NURSE_MENU)
        | menu_grant("school-doctor", MEDICAL, SCREENING_MENU)
    )
    user = subject(assignment("nurse"), assignment("doctor"), assignment("school-doctor"), grants=grants)
    assert access(user, action=Action.WRITE).template_menu_ids == (NURSE_MENU, SCREENING_MENU)


def test_the_role_of_an_expired_assignment_adds_no_menu():
    grants = menu_grant("nurse", MEDICAL, NURSE_MENU) | menu_grant("doctor", MEDICAL, SCREENING_MENU)
    user = subject(
        assignment("nurse"), assignment("doctor", valid_to=TODAY - timedelta(days=1)), grants=grants
    )
    assert access(user, action=Action.WRITE).template_menu_ids == (NURSE_MENU,)


def test_a_role_on_another_unit_adds_no_menu():
    grants = menu_grant("nurse", MEDICAL, NURSE_MENU) | menu_grant("doctor", MEDICAL, SCREENING_MENU)
    user = subject(assignment("nurse"), assignment("doctor", unit=SCHOOL_B), grants=grants)
    assert access(user, action=Action.WRITE).template_menu_ids == (NURSE_MENU,)


def test_a_grant_that_does_not_allow_writing_adds_no_menu_to_a_write():
    grants = menu_grant("nurse", MEDICAL, NURSE_MENU) | menu_grant(
        "principal", MEDICAL, SCREENING_MENU, Access.READ
    )
    user = subject(assignment("nurse"), assignment("principal"), grants=grants)
    assert access(user, action=Action.WRITE).template_menu_ids == (NURSE_MENU,)


def test_a_refused_check_names_no_menu_and_grants_without_a_menu_name_none():
    refused = subject(assignment("nurse", unit=SCHOOL_B), grants=menu_grant("nurse", MEDICAL, NURSE_MENU))
    assert access(refused, action=Action.WRITE).template_menu_ids == ()
    assert access(subject(assignment("nurse")), action=Action.WRITE).template_menu_ids == ()
