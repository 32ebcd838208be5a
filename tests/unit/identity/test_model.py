"""Identity's rules: valid assignments, e-mail addresses, passwords and unit kinds."""

from datetime import date

import pytest

from services.common.email import normalise_email
from services.common.errors import InvalidArgument
from services.identity.domain.model import (
    AssignmentTerms,
    UnitKind,
    check_password,
    unit_kind,
)

NURSE = "role-nurse"
SCHOOL = "unit-satraskolan"


def terms(unit_id=SCHOOL, all_units=False, valid_from=None, valid_to=None) -> AssignmentTerms:
    return AssignmentTerms(NURSE, unit_id, all_units, valid_from, valid_to)


def test_an_assignment_on_one_school_is_accepted():
    assert terms().unit_id == SCHOOL


def test_an_assignment_on_all_units_is_accepted():
    assert terms(unit_id=None, all_units=True).all_units


@pytest.mark.parametrize("unit_id, all_units", [(SCHOOL, True), (None, False)], ids=["both", "neither"])
def test_an_assignment_needs_either_a_unit_or_all_units(unit_id, all_units):
    with pytest.raises(InvalidArgument) as caught:
        terms(unit_id=unit_id, all_units=all_units)
    assert caught.value.field == "unit_id"


def test_an_assignment_that_ends_before_it_starts_is_refused():
    with pytest.raises(InvalidArgument) as caught:
        terms(valid_from=date(2025, 6, 1), valid_to=date(2025, 5, 31))
    assert caught.value.field == "valid_to"


def test_a_one_day_assignment_is_accepted():
    one_day = terms(valid_from=date(2025, 6, 1), valid_to=date(2025, 6, 1))
    assert one_day.valid_from == one_day.valid_to


def test_an_e_mail_address_is_trimmed_and_lower_cased_for_comparison():
    assert normalise_email("  Anna.Svensson@Skola.Stockholm.SE ") == "anna.svensson@skola.stockholm.se"


@pytest.mark.parametrize("value", ["", "anna", "anna@", "anna@skola", "anna svensson@skola.se"])
def test_an_invalid_e_mail_address_is_refused_naming_the_field(value):
    with pytest.raises(InvalidArgument) as caught:
        normalise_email(value, field="contact_email")
    assert caught.value.field == "contact_email"
    assert "contact_email" in caught.value.message


@pytest.mark.parametrize("password", ["x" * 10, "x" * 256, "korrekt häst batteri"])
def test_a_password_of_allowed_length_is_accepted(password):
    check_password(password)


@pytest.mark.parametrize("password", ["", "x" * 9, "x" * 257])
def test_a_too_short_or_too_long_password_is_refused(password):
    with pytest.raises(InvalidArgument) as caught:
        check_password(password)
    assert caught.value.field == "password"


def test_a_unit_without_a_kind_is_a_school():
    assert unit_kind("") is UnitKind.SCHOOL


def test_a_known_unit_kind_is_accepted():
    assert unit_kind("clinic") is UnitKind.CLINIC


def test_an_unknown_unit_kind_is_refused_listing_the_allowed_ones():
    with pytest.raises(InvalidArgument) as caught:
        unit_kind("castle")
    assert caught.value.field == "kind"
    assert all(kind.value in caught.value.message for kind in UnitKind)
