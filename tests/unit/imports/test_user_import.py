"""Planning a user import: who is created, changed, deactivated or reported, decided without I/O."""

from datetime import date

from services.imports.domain.user_file import FileAssignment, FileUser
from services.imports.domain.user_import import (
    Assignment,
    DesiredUser,
    JournalUser,
    Plan,
    plan_user_import,
)

NURSE_ROLE_EXT = "3f0c7c4e-9a51-4b8e-9f4e-1d2c3b4a5f60"
SCHOOL_A_EXT = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
ROLE_IDS = {NURSE_ROLE_EXT: "role-nurse"}
UNIT_IDS = {SCHOOL_A_EXT: "unit-a"}
NURSE_AT_A = Assignment("role-nurse", "unit-a", False, None, None)


def file_user(
    external_id="hr-1", position=1, first="Anna", last="Svensson", email=None, active=True, assignments=()
):
    email = email if email is not None else f"{external_id}@skola.se"
    return FileUser(position, external_id, first, last, email, active, tuple(assignments))


def file_assignment(role=NURSE_ROLE_EXT, unit=SCHOOL_A_EXT, valid_from=None, valid_to=None) -> FileAssignment:
    return FileAssignment(role, unit, unit is None, valid_from, valid_to)


def journal_user(external_id="hr-1", active=True, manually_managed=False, first="Anna", assignments=()):
    return JournalUser(
        user_id=f"user-{external_id}",
        external_id=external_id,
        first_name=first,
        last_name="Svensson",
        email=f"{external_id}@skola.se",
        active=active,
        manually_managed=manually_managed,
        assignments=frozenset(assignments),
    )


def as_stored(desired: DesiredUser) -> JournalUser:
    """The user as identity holds them after applying an upsert."""
    return JournalUser(user_id=f"user-{desired.external_id}", manually_managed=False, **vars(desired))


def plan(users, journal=()) -> Plan:
    return plan_user_import(list(users), {j.external_id: j for j in journal}, ROLE_IDS, UNIT_IDS)


def codes(result: Plan) -> list[tuple[int, str | None]]:
    return [(m.code, m.external_id) for m in result.messages]


def upserted(result: Plan) -> list[str]:
    return [u.external_id for u in result.upserts]


# --- creating, keeping and changing -----------------------------------------------------------------


def test_a_new_user_in_the_file_is_created_with_its_assignments():
    result = plan([file_user(assignments=[file_assignment()])])
    assert result.upserts == [
        DesiredUser("hr-1", "Anna", "Svensson", "hr-1@skola.se", True, frozenset({NURSE_AT_A}))
    ]
    assert result.messages == []


def test_an_identical_user_is_left_unchanged_and_not_sent_to_identity():
    result = plan([file_user(assignments=[file_assignment()])], [journal_user(assignments=[NURSE_AT_A])])
    assert result.upserts == []
    assert result.unchanged == 1
    assert result.deactivate_user_ids == []


def test_the_same_file_twice_changes_nothing_the_second_time():
    users = [file_user("hr-1", assignments=[file_assignment()]), file_user("hr-2", position=2, first="Bo")]
    first = plan(users)
    journal = [as_stored(desired) for desired in first.upserts]
    second = plan(users, journal)
    assert (second.upserts, second.deactivate_user_ids, second.unchanged) == ([], [], 2)


def test_a_changed_name_is_sent_to_identity():
    result = plan([file_user(first="Annika")], [journal_user()])
    assert [u.first_name for u in result.upserts] == ["Annika"]


def test_an_added_assignment_is_sent_to_identity():
    result = plan([file_user(assignments=[file_assignment()])], [journal_user()])
    assert [u.assignments for u in result.upserts] == [frozenset({NURSE_AT_A})]


def test_a_user_marked_inactive_in_the_file_is_sent_as_inactive():
    result = plan([file_user(active=False)], [journal_user()])
    assert [(u.external_id, u.active) for u in result.upserts] == [("hr-1", False)]


def test_an_e_mail_is_compared_case_insensitively():
    result = plan([file_user(email="HR-1@Skola.SE")], [journal_user()])
    assert result.upserts == []


def test_role_and_unit_uuids_in_upper_case_are_recognised():
    result = plan([file_user(assignments=[file_assignment(NURSE_ROLE_EXT.upper(), SCHOOL_A_EXT.upper())])])
    assert result.upserts[0].assignments == frozenset({NURSE_AT_A})
    assert result.messages == []


def test_an_all_units_assignment_needs_no_unit():
    result = plan([file_user(assignments=[file_assignment(unit=None, valid_to=date(2025, 8, 31))])])
    assert result.upserts[0].assignments == frozenset(
        {Assignment("role-nurse", None, True, None, date(2025, 8, 31))}
    )


# --- users missing from the file --------------------------------------------------------------------


def test_a_user_missing_from_the_file_is_deactivated():
    result = plan([file_user("hr-1")], [journal_user("hr-1"), journal_user("hr-gone")])
    assert result.deactivate_user_ids == ["user-hr-gone"]


def test_a_manually_managed_user_missing_from_the_file_is_not_deactivated():
    result = plan([file_user("hr-1")], [journal_user("hr-1"), journal_user("admin", manually_managed=True)])
    assert result.deactivate_user_ids == []


def test_an_already_inactive_user_missing_from_the_file_is_not_deactivated_again():
    result = plan([file_user("hr-1")], [journal_user("hr-1"), journal_user("hr-left", active=False)])
    assert result.deactivate_user_ids == []


def test_a_faulty_user_in_the_file_is_not_deactivated():
    result = plan([file_user("hr-1", email="not-an-address")], [journal_user("hr-1")])
    assert result.deactivate_user_ids == []
    assert result.upserts == []


# --- manually managed users in the file -------------------------------------------------------------


def test_a_manually_managed_user_in_the_file_is_counted_and_left_alone():
    result = plan(
        [file_user("admin", first="Other", active=False)], [journal_user("admin", manually_managed=True)]
    )
    assert result.upserts == []
    assert result.counts.manually_managed == 1
    assert (result.counts.active, result.counts.inactive) == (0, 0)


def test_a_manually_managed_user_in_the_file_gets_no_warnings_about_assignments_the_import_ignores():
    unknown = file_assignment(
        role="99999999-0000-4000-8000-000000000000", unit="88888888-0000-4000-8000-000000000000"
    )
    result = plan([file_user("admin", assignments=[unknown])], [journal_user("admin", manually_managed=True)])
    assert result.messages == []


# --- faulty users -----------------------------------------------------------------------------------


def test_a_user_without_external_id_is_faulty_and_reported_by_position():
    result = plan([file_user("hr-1"), file_user(None, position=2, email="x@skola.se")])
    assert codes(result) == [(1004, None)]
    assert "2" in result.messages[0].detail
    assert result.faulty_users == 1
    assert upserted(result) == ["hr-1"]


def test_a_duplicated_external_id_is_reported_for_each_occurrence_and_neither_is_imported():
    result = plan([file_user("hr-1"), file_user("hr-1", position=2, first="Bo", email="bo@skola.se")])
    assert codes(result) == [(1003, "hr-1"), (1003, "hr-1")]
    assert result.faulty_users == 2
    assert result.upserts == []


def test_an_invalid_e_mail_is_invalid_user_data():
    result = plan([file_user("hr-1", email="anna(at)skola.se"), file_user("hr-2", position=2)])
    assert codes(result) == [(10013, "hr-1")]
    assert "email" in result.messages[0].detail
    assert upserted(result) == ["hr-2"]


def test_two_active_users_with_the_same_e_mail_are_both_faulty():
    result = plan(
        [file_user("hr-1", email="team@skola.se"), file_user("hr-2", position=2, email="Team@skola.se")]
    )
    assert codes(result) == [(1001, "hr-1"), (1001, "hr-2")]
    assert result.upserts == []


def test_an_inactive_user_may_share_an_e_mail_with_an_active_one():
    result = plan(
        [file_user("hr-1", email="team@skola.se"), file_user("hr-2", 2, email="team@skola.se", active=False)]
    )
    assert result.messages == []
    assert upserted(result) == ["hr-1", "hr-2"]


# --- unknown roles and units: warnings, the assignment is skipped -----------------------------------


def test_an_unknown_role_is_a_warning_and_only_that_assignment_is_skipped():
    unknown_role = file_assignment(role="99999999-0000-4000-8000-000000000000")
    result = plan([file_user(assignments=[unknown_role, file_assignment()])])
    assert codes(result) == [(1011, "hr-1")]
    assert result.messages[0].severity == "warning"
    assert "assignment 1" in result.messages[0].detail
    assert result.upserts[0].assignments == frozenset({NURSE_AT_A})
    assert result.faulty_users == 0


def test_an_unknown_unit_is_a_warning_and_the_assignment_is_skipped():
    result = plan([file_user(assignments=[file_assignment(unit="88888888-0000-4000-8000-000000000000")])])
    assert codes(result) == [(1010, "hr-1")]
    assert result.upserts[0].assignments == frozenset()


def test_an_assignment_that_ends_before_it_starts_is_reported_and_not_given():
    backwards = file_assignment(valid_from=date(2025, 8, 31), valid_to=date(2025, 6, 1))
    result = plan([file_user(assignments=[backwards])])
    assert codes(result) == [(10013, "hr-1")]
    assert result.upserts[0].assignments == frozenset()


def test_a_user_with_a_blank_name_is_invalid_user_data():
    result = plan([file_user("hr-1", last=""), file_user("hr-2", position=2)])
    assert codes(result) == [(10013, "hr-1")]
    assert upserted(result) == ["hr-2"]


# --- counts -----------------------------------------------------------------------------------------


def test_a_run_counts_active_inactive_manually_managed_and_total_users():
    users = [
        file_user("hr-1"),
        file_user("hr-2", position=2),
        file_user("hr-3", position=3, active=False),
        file_user("admin", position=4),
        file_user(None, position=5, email="x@skola.se"),
    ]
    result = plan(users, [journal_user("admin", manually_managed=True)])
    counts = result.counts
    assert (counts.active, counts.inactive, counts.manually_managed, counts.total) == (2, 1, 1, 5)
    assert result.faulty_users == 1


def test_a_value_identity_cannot_store_is_reported_for_that_user_only():
    result = plan([file_user("hr-1", first="A" * 201), file_user("hr-2", position=2, email="b@skola.se")])
    assert codes(result) == [(10013, "hr-1")]
    assert "firstName" in result.messages[0].detail
    assert upserted(result) == ["hr-2"]
