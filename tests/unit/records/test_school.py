"""The school around a student, without I/O: school years, grades, cursors, contact data and who sees it."""

import base64
import uuid
from datetime import date

import pytest

from services.common.auth import PermissionLevel
from services.common.errors import InvalidArgument, InvalidFields, PermissionDenied
from services.records.domain.school import (
    DEFAULT_PAGE,
    MAX_PAGE,
    Contact,
    SchoolYearSpan,
    StudentKey,
    check_contact,
    check_contact_changes,
    check_grade,
    check_search,
    check_student_change,
    contact_visible,
    decode_cursor,
    encode_cursor,
    page_limit,
    parse_school_year_name,
    school_year_span,
    standard_school_year,
)

ADMIN, SUBADMIN, MEMBER = PermissionLevel.ADMIN, PermissionLevel.SUBADMIN, PermissionLevel.MEMBER
YEAR_2026 = SchoolYearSpan("2026/27", date(2026, 7, 1), date(2027, 6, 30))


# --- school years -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "day, name",
    [
        (date(2026, 7, 1), "2026/27"),
        (date(2027, 6, 30), "2026/27"),
        (date(2026, 6, 30), "2025/26"),
        (date(2027, 7, 1), "2027/28"),
        (date(2026, 12, 31), "2026/27"),
        (date(2027, 1, 1), "2026/27"),
        (date(2099, 8, 20), "2099/00"),
    ],
    ids=["first-day", "last-day", "day-before", "day-after", "new-years-eve", "new-years-day", "century"],
)
def test_the_standard_school_year_of_a_day_runs_from_1_july_to_30_june(day, name):
    year = standard_school_year(day)
    assert year.name == name
    assert year.contains(day)
    assert (year.starts_on.month, year.starts_on.day, year.ends_on.month, year.ends_on.day) == (7, 1, 6, 30)
    assert year.ends_on.year == year.starts_on.year + 1


def test_a_school_year_contains_its_first_and_last_day_and_nothing_beyond():
    assert YEAR_2026.contains(date(2026, 7, 1)) and YEAR_2026.contains(date(2027, 6, 30))
    assert not YEAR_2026.contains(date(2026, 6, 30)) and not YEAR_2026.contains(date(2027, 7, 1))


@pytest.mark.parametrize("name, first", [("2026/27", 2026), ("1999/00", 1999), (" 2030/31 ", 2030)])
def test_a_school_year_name_gives_its_first_year(name, first):
    assert parse_school_year_name(name) == first


@pytest.mark.parametrize(
    "name",
    ["2026/28", "2026/26", "2026-27", "26/27", "2026/2027", "2026/27a", "", "２０２６/２７", "1899/00"],
)
def test_a_school_year_name_is_two_consecutive_years(name):
    with pytest.raises(InvalidArgument) as refused:
        parse_school_year_name(name)
    assert refused.value.field == "name"


def test_a_name_alone_gives_the_standard_dates():
    assert school_year_span("2026/27", None, None) == YEAR_2026


def test_explicit_dates_must_both_be_given_and_fit_the_name_and_a_year():
    custom = school_year_span("2026/27", date(2026, 8, 17), date(2027, 6, 11))
    assert (custom.starts_on, custom.ends_on) == (date(2026, 8, 17), date(2027, 6, 11))
    refusals = [
        ((date(2026, 8, 17), None), "ends_on"),
        ((None, date(2027, 6, 11)), "starts_on"),
        ((date(2025, 8, 17), date(2027, 6, 11)), "starts_on"),
        ((date(2026, 8, 17), date(2028, 1, 1)), "ends_on"),
        ((date(2026, 1, 1), date(2027, 1, 1)), "ends_on"),
    ]
    for (starts_on, ends_on), field in refusals:
        with pytest.raises(InvalidArgument) as refused:
            school_year_span("2026/27", starts_on, ends_on)
        assert refused.value.field == field, (starts_on, ends_on)


def test_a_school_year_over_a_leap_day_may_still_be_a_whole_year_but_not_a_day_more():
    assert school_year_span("2027/28", date(2027, 7, 1), date(2028, 6, 30)).ends_on == date(2028, 6, 30)
    with pytest.raises(InvalidArgument):
        school_year_span("2027/28", date(2027, 7, 1), date(2028, 7, 1))
    assert school_year_span("2027/28", date(2027, 2, 28), date(2028, 2, 27)).starts_on == date(2027, 2, 28)


# --- grades -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("grade", [None, 0, 1, 9, 10, 13])
def test_grades_run_from_förskoleklass_to_the_last_year_of_gymnasium(grade):
    assert check_grade(grade) == grade


@pytest.mark.parametrize("grade", [-1, 14, 100])
def test_other_grades_are_refused(grade):
    with pytest.raises(InvalidArgument) as refused:
        check_grade(grade)
    assert refused.value.field == "grade"


# --- the student list -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        StudentKey("Nilsson", "Alva", uuid.uuid4()),
        StudentKey("Åström", "Örjan", uuid.uuid4()),
        StudentKey("", "", uuid.uuid4()),
        StudentKey('Quote"Comma,', "Back\\slash", uuid.uuid4()),
    ],
    ids=["plain", "swedish", "empty", "json-specials"],
)
def test_a_cursor_gives_back_the_key_it_was_made_of(key):
    cursor = encode_cursor(key)
    assert decode_cursor(cursor) == key
    assert "=" not in cursor and "+" not in cursor and "/" not in cursor


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "%%%",
        b64(b"not json"),
        b64(b"[]"),
        b64(b'["a", "b"]'),
        b64(b'["a", "b", "not-a-uuid"]'),
        b64(b'["a", 1, "00000000-0000-0000-0000-000000000001"]'),
        b64(b'{"a": 1}'),
        b64(b"\xff\xfe"),
        b64(b"null"),
    ],
)
def test_a_tampered_cursor_is_refused_naming_the_cursor(cursor):
    with pytest.raises(InvalidArgument) as refused:
        decode_cursor(cursor)
    assert refused.value.field == "cursor"


def test_a_page_is_fifty_students_by_default_and_at_most_two_hundred():
    assert page_limit(0) == DEFAULT_PAGE == 50
    assert page_limit(1) == 1 and page_limit(MAX_PAGE) == 200
    for limit in (-1, 201):
        with pytest.raises(InvalidArgument) as refused:
            page_limit(limit)
        assert refused.value.field == "limit"


def test_a_name_search_is_trimmed_single_line_text():
    assert check_search("  nils ") == "nils"
    assert check_search("   ") is None
    for bad in ("a\x00b", "a\nb", "x" * 201):
        with pytest.raises(InvalidArgument) as refused:
            check_search(bad)
        assert refused.value.field == "name"


# --- contact data and protected identity ------------------------------------------------------------------


def test_contact_data_is_trimmed_and_the_email_normalised():
    contact = check_contact(
        Contact(
            street_address=" Storgatan 1 ",
            postcode="123 45",
            city="",
            phone_numbers=("070-123 45 67", "+46 8 123 456"),
            email=" Anna@Example.SE ",
        )
    )
    assert contact == Contact(
        street_address="Storgatan 1",
        postcode="123 45",
        city=None,
        country=None,
        phone_numbers=("070-123 45 67", "+46 8 123 456"),
        email="anna@example.se",
    )


def test_every_problem_of_the_contact_data_is_reported_at_once():
    with pytest.raises(InvalidFields) as refused:
        check_contact_changes(
            {
                "street_address": "Storgatan\t1",
                "city": "x" * 201,
                "phone_numbers": ["+", "07O-123", "1" * 31],
                "email": "not an address",
            }
        )
    assert [p.field for p in refused.value.problems] == [
        "street_address",
        "city",
        "phone_numbers[0]",
        "phone_numbers[1]",
        "phone_numbers[2]",
        "email",
    ]


@pytest.mark.parametrize("number", ["-070", "070-", "+46+8", "(08) 123", "070.123", "０７０"])
def test_a_phone_number_is_digits_spaces_and_dashes_after_an_optional_plus(number):
    with pytest.raises(InvalidFields) as refused:
        check_contact_changes({"phone_numbers": [number]})
    assert refused.value.field == "phone_numbers[0]"


def test_at_most_three_phone_numbers():
    with pytest.raises(InvalidFields) as refused:
        check_contact_changes({"phone_numbers": ["1", "2", "3", "4"]})
    assert refused.value.field == "phone_numbers"


def test_only_the_contact_fields_given_are_checked_and_returned():
    assert check_contact_changes({"city": " Lund ", "first_name": "Alva"}) == {"city": "Lund"}


@pytest.mark.parametrize(
    "protected, level, visible",
    [
        (False, MEMBER, True),
        (False, SUBADMIN, True),
        (True, ADMIN, True),
        (True, SUBADMIN, False),
        (True, MEMBER, False),
    ],
)
def test_a_protected_identitys_contact_data_is_for_admins_only(protected, level, visible):
    assert contact_visible(protected, level) is visible


def test_a_subadmin_cannot_reveal_a_protected_identity():
    check_student_change(SUBADMIN, False, {"city": "Lund", "protected_identity": True})
    check_student_change(SUBADMIN, True, {"first_name": "Alva", "protected_identity": True})
    check_student_change(ADMIN, True, {"protected_identity": False, "city": "Lund"})
    for changes, field in [({"protected_identity": False}, "protected_identity"), ({"email": None}, "email")]:
        with pytest.raises(PermissionDenied) as refused:
            check_student_change(SUBADMIN, True, changes)
        assert refused.value.field == field
