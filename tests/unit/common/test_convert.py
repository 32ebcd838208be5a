"""Wire values to domain values: bad input is refused naming the field, never a crash."""

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from elevhalsa.common.v1 import types_pb2

from services.common.convert import (
    date_from_proto,
    date_to_proto,
    optional_uuid,
    parse_id,
    parse_uuid,
    required_text,
    timestamp,
)
from services.common.errors import InvalidArgument, NotFound

UNIT = "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b"


def test_a_uuid_field_is_parsed():
    assert parse_uuid(UNIT, "unit_id") == uuid.UUID(UNIT)


@pytest.mark.parametrize("value, words", [("", "required"), ("school-a", "not a valid UUID")])
def test_a_missing_or_malformed_uuid_is_refused_naming_the_field(value, words):
    with pytest.raises(InvalidArgument) as caught:
        parse_uuid(value, "unit_id")
    assert caught.value.field == "unit_id"
    assert words in caught.value.message


def test_an_optional_uuid_may_be_left_out_but_not_malformed():
    assert optional_uuid("", "case_id") is None
    assert optional_uuid(UNIT, "case_id") == uuid.UUID(UNIT)
    with pytest.raises(InvalidArgument):
        optional_uuid("case-1", "case_id")


def test_a_malformed_id_in_a_path_is_simply_not_found():
    with pytest.raises(NotFound) as caught:
        parse_id("../../etc", "student_id", "student")
    assert caught.value.message == "student not found"


def test_an_unset_date_means_no_date():
    assert date_from_proto(types_pb2.Date(), "valid_to") is None


def test_a_date_survives_the_trip_over_the_wire():
    assert date_from_proto(date_to_proto(date(2025, 8, 31)), "valid_to") == date(2025, 8, 31)
    assert date_to_proto(None) is None


@pytest.mark.parametrize("year, month, day", [(2025, 2, 30), (2025, 13, 1), (2025, 0, 1), (0, 1, 1)])
def test_an_impossible_date_is_refused_naming_the_field(year, month, day):
    with pytest.raises(InvalidArgument) as caught:
        date_from_proto(types_pb2.Date(year=year, month=month, day=day), "valid_from")
    assert caught.value.field == "valid_from"


def test_a_timestamp_is_sent_as_the_same_instant_in_utc():
    stockholm_summer = timezone(timedelta(hours=2))
    stamp = timestamp(datetime(2025, 6, 1, 10, 30, tzinfo=stockholm_summer))
    assert stamp.ToDatetime(tzinfo=UTC) == datetime(2025, 6, 1, 8, 30, tzinfo=UTC)
    assert timestamp(None) is None


def test_required_text_is_trimmed():
    assert required_text("  Sätraskolan \n", "name") == "Sätraskolan"


@pytest.mark.parametrize(
    "value, words", [("", "required"), ("   ", "required"), ("x" * 201, "longer than 200")]
)
def test_empty_or_too_long_text_is_refused_naming_the_field(value, words):
    with pytest.raises(InvalidArgument) as caught:
        required_text(value, "name")
    assert caught.value.field == "name"
    assert words in caught.value.message


def test_the_length_limit_can_be_chosen_and_counts_after_trimming():
    assert required_text(" " + "x" * 10 + " ", "title", max_length=10) == "x" * 10
    with pytest.raises(InvalidArgument):
        required_text("x" * 11, "title", max_length=10)
