"""What applying an imported user does to the journal's user."""

from datetime import date

import pytest

from services.identity.domain.model import AssignmentTerms
from services.identity.domain.user_import import CurrentUser, ImportedUserData, Outcome, outcome_for

NURSE_AT_A = AssignmentTerms("role-nurse", "unit-a", False, None, None)
NURSE_AT_B = AssignmentTerms("role-nurse", "unit-b", False, None, None)


def incoming(**changes) -> ImportedUserData:
    values = dict(
        external_id="hr-1001",
        first_name="Anna",
        last_name="Svensson",
        email="anna.svensson@skola.se",
        active=True,
        assignments=frozenset({NURSE_AT_A}),
    )
    return ImportedUserData(**values | changes)


def current(**changes) -> CurrentUser:
    values = dict(
        first_name="Anna",
        last_name="Svensson",
        email="anna.svensson@skola.se",
        active=True,
        manually_managed=False,
        assignments=frozenset({NURSE_AT_A}),
    )
    return CurrentUser(**values | changes)


def test_a_user_the_journal_does_not_know_is_created():
    assert outcome_for(None, incoming()) is Outcome.CREATED


def test_a_manually_managed_user_is_left_alone_whatever_the_file_says():
    managed = current(manually_managed=True, first_name="Administratör")
    assert outcome_for(managed, incoming(active=False, last_name="Other")) is Outcome.SKIPPED_MANUALLY_MANAGED


def test_an_identical_user_is_unchanged():
    assert outcome_for(current(), incoming()) is Outcome.UNCHANGED


def test_an_empty_e_mail_and_no_e_mail_are_the_same():
    assert outcome_for(current(email=""), incoming(email=None)) is Outcome.UNCHANGED


def test_an_inactive_user_made_active_is_activated_even_when_other_fields_change():
    assert outcome_for(current(active=False), incoming(last_name="Berg")) is Outcome.ACTIVATED


def test_an_active_user_made_inactive_is_deactivated_even_when_other_fields_change():
    assert outcome_for(current(), incoming(active=False, last_name="Berg")) is Outcome.DEACTIVATED


def test_an_inactive_user_that_stays_inactive_is_unchanged():
    assert outcome_for(current(active=False), incoming(active=False)) is Outcome.UNCHANGED


@pytest.mark.parametrize(
    "change",
    [
        {"first_name": "Annika"},
        {"last_name": "Berg"},
        {"email": "anna.berg@skola.se"},
        {"email": None},
        {"assignments": frozenset({NURSE_AT_A, NURSE_AT_B})},
        {"assignments": frozenset()},
        {"assignments": frozenset({AssignmentTerms("role-nurse", "unit-a", False, None, date(2025, 8, 31))})},
    ],
    ids=[
        "first-name",
        "last-name",
        "email",
        "email-removed",
        "assignment-added",
        "assignments-removed",
        "end-date",
    ],
)
def test_a_user_whose_names_email_or_assignments_differ_is_updated(change):
    assert outcome_for(current(), incoming(**change)) is Outcome.UPDATED
