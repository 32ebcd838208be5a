"""Records' rules: personnummer."""

import re
from datetime import date

import pytest

from services.common.errors import InvalidArgument
from services.records.domain.model import normalise_personnummer

TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    "value, twelve_digits",
    [
        ("8507099805", "198507099805"),
        ("850709-9805", "198507099805"),
        ("198507099805", "198507099805"),
        ("19850709-9805", "198507099805"),
        (" 850709-9805 ", "198507099805"),
        ("121212-1212", "201212121212"),
        ("121212+1212", "191212121212"),
        ("701063-2391", "197010632391"),
    ],
    ids=[
        "10-digits",
        "10-with-dash",
        "12-digits",
        "12-with-dash",
        "spaces",
        "child",
        "over-100-plus",
        "samordning",
    ],
)
def test_a_valid_personnummer_is_stored_as_twelve_digits(value, twelve_digits):
    assert normalise_personnummer(value, today=TODAY) == twelve_digits


@pytest.mark.parametrize(
    "value",
    ["850709-9804", "198507099804", "851309-9805", "12345", "", "abcdef-ghij", "8507099805123"],
    ids=["bad-checksum-10", "bad-checksum-12", "month-13", "too-short", "empty", "letters", "too-long"],
)
def test_an_invalid_personnummer_is_refused_naming_the_field(value):
    with pytest.raises(InvalidArgument) as caught:
        normalise_personnummer(value, today=TODAY, field="students[3].personnummer")
    assert caught.value.field == "students[3].personnummer"


def test_the_refusal_of_a_personnummer_never_repeats_its_digits():
    with pytest.raises(InvalidArgument) as caught:
        normalise_personnummer("19850709-9804", today=TODAY)
    text = str(caught.value)
    assert not re.search(r"\d{4}", text)
    assert "850709" not in text and "9804" not in text


def test_a_personnummer_with_a_birth_date_in_the_future_is_refused():
    with pytest.raises(InvalidArgument) as refused:
        normalise_personnummer("20500101-1237", today=TODAY)
    assert refused.value.field == "personnummer" and "1237" not in refused.value.message


def test_a_personnummer_born_today_is_accepted():
    assert normalise_personnummer("20500101-1237", today=date(2050, 1, 1)) == "205001011237"


def test_ten_digits_are_read_in_the_century_that_puts_the_birth_within_a_hundred_years_of_today():
    assert normalise_personnummer("121212-1212", today=date(2011, 1, 1)) == "191212121212"
    assert normalise_personnummer("121212-1212", today=TODAY) == "201212121212"
    assert normalise_personnummer("121212+1212", today=TODAY) == "191212121212"
