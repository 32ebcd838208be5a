"""The nine row types: what each row's settings may say, and which values each row takes."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.structs import from_value, to_value
from services.records.domain.rows import (
    DEFAULT_HEARING_FREQUENCIES,
    RULES,
    Prefill,
    RowType,
    TemplateRow,
    check_settings,
    check_value,
    rows_from_json,
    rows_to_json,
)

FIELD = "rows[3].value"


def row(
    row_type: RowType, settings: dict | None = None, *, required: bool = False, heading="Rad"
) -> TemplateRow:
    """A row with its settings checked and normalised, as a saved template holds it."""
    normalised, problems = check_settings(row_type, settings or {}, "rows[0].settings", heading)
    assert problems == []
    return TemplateRow("r-1", heading, row_type, normalised, required, "", None)


def accepted(template_row: TemplateRow, value):
    normalised, problems = check_value(template_row, value, FIELD)
    assert problems == [], problems
    return normalised


def refused(template_row: TemplateRow, value) -> list[str]:
    """The rules the value breaks; every problem names the field and the row's heading."""
    normalised, problems = check_value(template_row, value, FIELD)
    assert normalised is None and problems
    assert all(p.field == FIELD and p.message.startswith(f"{template_row.heading}: ") for p in problems)
    assert all(p.rule in RULES for p in problems)
    return [p.rule for p in problems]


def settings_problems(row_type: RowType, settings) -> list[tuple[str, str]]:
    normalised, problems = check_settings(row_type, settings, "rows[2].settings", "Rad")
    assert all(p.rule in RULES for p in problems)
    return [(p.field, p.rule) for p in problems]


# Empty values -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("row_type", list(RowType))
@pytest.mark.parametrize("empty", [None, "", "  ", [], {}])
def test_an_empty_value_is_none_and_a_problem_only_when_the_row_is_required(row_type, empty):
    assert check_value(row(row_type, settings_for(row_type)), empty, FIELD) == (None, [])
    assert refused(row(row_type, settings_for(row_type), required=True), empty) == ["required"]


def settings_for(row_type: RowType) -> dict:
    return {"options": ["Ja", "Nej"]} if row_type in (RowType.SINGLE_CHOICE, RowType.MULTIPLE_CHOICE) else {}


# Free text --------------------------------------------------------------------------------------------------


def test_free_text_is_kept_as_written_up_to_its_length():
    assert accepted(row(RowType.FREE_TEXT), " Mår bra.\nSover gott. ") == " Mår bra.\nSover gott. "
    short = row(RowType.FREE_TEXT, {"max_length": 5})
    assert accepted(short, "12345") == "12345"
    assert refused(short, "123456") == ["max_length"]


def test_free_text_is_a_text_without_control_characters():
    assert refused(row(RowType.FREE_TEXT), 12) == ["type"]
    assert refused(row(RowType.FREE_TEXT), "a\x00b") == ["characters"]


def test_free_text_settings_default_to_the_longest_text_and_refuse_lengths_outside_it():
    assert check_settings(RowType.FREE_TEXT, {}, "s", "Rad") == ({"max_length": 20_000}, [])
    assert check_settings(RowType.FREE_TEXT, {"max_length": 500.0}, "s", "Rad") == ({"max_length": 500}, [])
    assert settings_problems(RowType.FREE_TEXT, {"max_length": 0}) == [
        ("rows[2].settings.max_length", "range")
    ]
    assert settings_problems(RowType.FREE_TEXT, {"max_length": 20_001}) == [
        ("rows[2].settings.max_length", "range")
    ]
    assert settings_problems(RowType.FREE_TEXT, {"max_length": 10.5}) == [
        ("rows[2].settings.max_length", "type")
    ]


# Choices ----------------------------------------------------------------------------------------------------

SAMTALSFORM = {"options": ["Enskilt", "Med vårdnadshavare", "Digitalt"]}


def test_a_single_choice_is_one_of_the_options():
    choice = row(RowType.SINGLE_CHOICE, SAMTALSFORM)
    assert accepted(choice, " Digitalt ") == "Digitalt"
    assert refused(choice, "Telefon") == ["option"]
    assert refused(choice, ["Digitalt"]) == ["type"]


def test_a_multiple_choice_is_a_list_of_distinct_options_kept_in_the_options_order():
    choice = row(RowType.MULTIPLE_CHOICE, SAMTALSFORM)
    assert accepted(choice, ["Digitalt", "Enskilt"]) == ["Enskilt", "Digitalt"]
    assert refused(choice, ["Enskilt", "Enskilt"]) == ["option"]
    assert refused(choice, ["Enskilt", "Telefon", 3]) == ["option", "type"]
    assert refused(choice, "Enskilt") == ["type"]


def test_choice_settings_are_1_to_100_distinct_trimmed_texts():
    normalised, problems = check_settings(RowType.SINGLE_CHOICE, {"options": [" A ", "B"]}, "s", "Rad")
    assert (normalised, problems) == ({"options": ["A", "B"]}, [])
    assert settings_problems(RowType.MULTIPLE_CHOICE, {}) == [("rows[2].settings.options", "required")]
    assert settings_problems(RowType.MULTIPLE_CHOICE, {"options": []}) == [
        ("rows[2].settings.options", "range")
    ]
    assert settings_problems(RowType.SINGLE_CHOICE, {"options": [str(i) for i in range(101)]}) == [
        ("rows[2].settings.options", "range")
    ]
    assert settings_problems(RowType.SINGLE_CHOICE, {"options": ["A", " A", "", 7, "x" * 201, "\x07"]}) == [
        ("rows[2].settings.options[1]", "duplicate"),
        ("rows[2].settings.options[2]", "required"),
        ("rows[2].settings.options[3]", "type"),
        ("rows[2].settings.options[4]", "max_length"),
        ("rows[2].settings.options[5]", "characters"),
    ]
    assert settings_problems(RowType.SINGLE_CHOICE, {"options": "A, B"}) == [
        ("rows[2].settings.options", "type")
    ]


# Integers ---------------------------------------------------------------------------------------------------

PULS = {"min": 30, "max": 250, "unit": " slag/min "}


def test_an_integer_is_a_whole_number_within_the_rows_range():
    puls = row(RowType.INTEGER, PULS)
    assert puls.settings == {"min": 30, "max": 250, "unit": "slag/min"}
    assert accepted(puls, 72) == 72
    assert refused(puls, 29) == ["range"]
    assert refused(puls, 251) == ["range"]


def test_an_integer_that_crossed_a_struct_as_a_whole_float_is_normalised_and_a_fraction_is_refused():
    puls = row(RowType.INTEGER, PULS)
    value = accepted(puls, 120.0)
    assert value == 120 and type(value) is int
    assert refused(puls, 120.5) == ["type"]


@pytest.mark.parametrize("value", [True, False, "72", math.nan, math.inf, [72]])
def test_an_integer_is_not_a_bool_a_text_or_a_non_finite_number(value):
    assert refused(row(RowType.INTEGER), value) == ["type"]


def test_integer_settings_are_optional_bounds_with_min_not_above_max_and_an_optional_unit():
    assert check_settings(RowType.INTEGER, {}, "s", "Rad") == ({}, [])
    assert check_settings(RowType.INTEGER, {"unit": "  "}, "s", "Rad") == ({}, [])
    assert settings_problems(RowType.INTEGER, {"min": 10, "max": 5}) == [("rows[2].settings.max", "range")]
    assert settings_problems(RowType.INTEGER, {"min": 1.5, "max": "9", "unit": 3}) == [
        ("rows[2].settings.min", "type"),
        ("rows[2].settings.max", "type"),
        ("rows[2].settings.unit", "type"),
    ]
    assert settings_problems(RowType.INTEGER, {"max": 10**12}) == [("rows[2].settings.max", "range")]


# Yes/no -----------------------------------------------------------------------------------------------------


def test_yes_no_is_a_bool_and_no_is_an_answer():
    question = row(RowType.YES_NO, required=True)
    assert accepted(question, True) is True
    assert accepted(question, False) is False
    for value in (0, 1, "ja", "false"):
        assert refused(question, value) == ["type"]


# Length and weight ------------------------------------------------------------------------------------------


def test_a_length_is_a_number_of_cm_with_at_most_one_decimal_in_the_plausible_range():
    length = row(RowType.LENGTH)
    assert length.settings == {"min": 30.0, "max": 250.0}
    assert accepted(length, 132.5) == 132.5
    assert accepted(length, 132) == 132.0
    assert refused(length, 132.25) == ["decimals"]
    assert refused(length, 29.9) == ["range"]
    assert refused(length, 250.1) == ["range"]
    assert refused(length, 1000.25) == ["decimals", "range"]
    assert refused(length, "132") == ["type"]
    assert refused(length, True) == ["type"]


def test_a_weight_is_a_number_of_kg_and_a_row_may_narrow_the_range():
    weight = row(RowType.WEIGHT, {"min": 15, "max": 80.5})
    assert weight.settings == {"min": 15.0, "max": 80.5}
    assert accepted(weight, 29.3) == 29.3
    assert refused(weight, 80.6) == ["range"]
    assert accepted(row(RowType.WEIGHT), 1.0) == 1.0


def test_a_measure_row_without_settings_keeps_to_the_plausible_range():
    bare = TemplateRow("r-1", "Längd", RowType.LENGTH, {}, False, "", None)
    assert accepted(bare, 250.0) == 250.0
    assert refused(bare, 250.1) == ["range"]


def test_a_measure_row_cannot_widen_its_plausible_range():
    assert settings_problems(RowType.LENGTH, {"min": 20}) == [("rows[2].settings.min", "range")]
    assert settings_problems(RowType.WEIGHT, {"max": 300}) == [("rows[2].settings.max", "range")]
    assert settings_problems(RowType.WEIGHT, {"min": 50, "max": 40}) == [("rows[2].settings.max", "range")]
    assert settings_problems(RowType.LENGTH, {"min": 40.25, "max": "x"}) == [
        ("rows[2].settings.min", "decimals"),
        ("rows[2].settings.max", "type"),
    ]


# Recipient --------------------------------------------------------------------------------------------------

ENTRY = "6f0b1b8e-6c55-4c0e-9d3a-0b8f1c2d3e4f"


def test_a_recipient_names_an_address_book_entry_by_id():
    recipient = row(RowType.RECIPIENT)
    assert accepted(recipient, {"entry_id": ENTRY.upper()}) == {"entry_id": ENTRY}
    assert refused(recipient, {"entry_id": "BUP"}) == ["type"]
    assert refused(recipient, {"entry_id": ENTRY, "name": "BUP"}) == ["shape"]
    assert refused(recipient, ENTRY) == ["type"]


def test_recipient_and_yes_no_rows_have_no_settings():
    assert settings_problems(RowType.RECIPIENT, {"colour": "red"}) == [("rows[2].settings.colour", "shape")]
    assert settings_problems(RowType.YES_NO, {"default": True}) == [("rows[2].settings.default", "shape")]


# Hearing test -----------------------------------------------------------------------------------------------


def test_a_hearing_test_holds_db_hl_per_frequency_per_ear_in_ascending_frequency():
    hearing = row(RowType.HEARING_TEST)
    assert hearing.settings == {"frequencies": list(DEFAULT_HEARING_FREQUENCIES)}
    value = {"right": {"1000": 10.0, "500": 5}, "left": {"8000": 25, "125": -10, "250": 120}}
    assert accepted(hearing, value) == {
        "left": {"125": -10, "250": 120, "8000": 25},
        "right": {"500": 5, "1000": 10},
    }


def test_an_ear_or_a_frequency_may_be_missing_since_not_every_test_is_completed():
    hearing = row(RowType.HEARING_TEST, required=True)
    assert accepted(hearing, {"left": {"1000": 20}}) == {"left": {"1000": 20}, "right": {}}
    assert accepted(hearing, {"left": {"1000": 20, "2000": None}, "right": None}) == {
        "left": {"1000": 20},
        "right": {},
    }
    assert refused(hearing, {"left": {}, "right": {"500": None}}) == ["required"]


def test_a_hearing_level_is_a_whole_multiple_of_5_from_minus_10_to_120_at_a_measured_frequency():
    hearing = row(RowType.HEARING_TEST, {"frequencies": [500, 1000, 2000]})
    value = {"left": {"500": 7, "1000": 125, "2000": 10.5, "4000": 10}, "right": {"1000": "20"}}
    assert refused(hearing, value) == ["step", "range", "type", "frequency", "type"]
    _, problems = check_value(hearing, value, FIELD)
    assert "left 4000 Hz" in problems[3].message


def test_a_hearing_test_has_only_a_left_and_a_right_ear():
    hearing = row(RowType.HEARING_TEST)
    assert refused(hearing, {"left": {"1000": 10}, "middle": {}}) == ["shape"]
    assert refused(hearing, {"left": [10, 20]}) == ["type"]
    assert refused(hearing, [10]) == ["type"]


def test_hearing_test_settings_are_a_set_of_standard_frequencies():
    normalised, problems = check_settings(
        RowType.HEARING_TEST, {"frequencies": [4000, 500.0, 1000]}, "s", "Rad"
    )
    assert (normalised, problems) == ({"frequencies": [500, 1000, 4000]}, [])
    assert settings_problems(RowType.HEARING_TEST, {"frequencies": [500, 600, 500, "x"]}) == [
        ("rows[2].settings.frequencies[1]", "frequency"),
        ("rows[2].settings.frequencies[2]", "duplicate"),
        ("rows[2].settings.frequencies[3]", "type"),
    ]
    assert settings_problems(RowType.HEARING_TEST, {"frequencies": []}) == [
        ("rows[2].settings.frequencies", "required")
    ]


# Settings in general ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("row_type", list(RowType))
def test_settings_are_an_object_and_unknown_keys_are_named(row_type):
    assert settings_problems(row_type, ["options"]) == [("rows[2].settings", "type")]
    assert ("rows[2].settings.colour", "shape") in settings_problems(row_type, {"colour": "blue"})


def test_an_unknown_setting_with_an_odd_name_is_named_in_the_message_not_the_field():
    _, problems = check_settings(RowType.YES_NO, {"färg\n": 1}, "rows[2].settings", "Rad")
    assert [(p.field, p.rule) for p in problems] == [("rows[2].settings", "shape")]
    assert "'färg\\n'" in problems[0].message


def test_every_settings_problem_is_reported_at_once_with_the_row_named():
    _, problems = check_settings(
        RowType.INTEGER, {"min": "a", "max": "b", "size": 3}, "rows[2].settings", "Puls"
    )
    assert [p.field for p in problems] == [
        "rows[2].settings.size",
        "rows[2].settings.min",
        "rows[2].settings.max",
    ]
    assert all(p.message.startswith("Puls: ") for p in problems)


# Properties -------------------------------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)
ROWS = [
    row(RowType.FREE_TEXT),
    row(RowType.SINGLE_CHOICE, SAMTALSFORM),
    row(RowType.MULTIPLE_CHOICE, SAMTALSFORM),
    row(RowType.INTEGER, PULS),
    row(RowType.YES_NO),
    row(RowType.LENGTH),
    row(RowType.WEIGHT),
    row(RowType.RECIPIENT),
    row(RowType.HEARING_TEST),
]


@given(value=JSON, index=st.integers(0, len(ROWS) - 1))
def test_any_json_value_is_either_accepted_or_refused_with_rules_never_an_exception(value, index):
    normalised, problems = check_value(ROWS[index], value, FIELD)
    assert (normalised is None) or not problems
    assert all(p.rule in RULES and p.field == FIELD for p in problems)


@given(value=JSON, index=st.integers(0, len(ROWS) - 1))
def test_a_normalised_value_is_accepted_again_unchanged_even_after_crossing_a_struct(value, index):
    normalised, problems = check_value(ROWS[index], value, FIELD)
    if normalised is not None:
        assert check_value(ROWS[index], from_value(to_value(normalised)), FIELD) == (normalised, [])


@given(st.integers(-(10**9), 10**9))
def test_every_integer_comes_back_the_same_through_a_struct(number):
    assert accepted(row(RowType.INTEGER), to_value(number).number_value) == number


@given(st.integers(300, 2500))
def test_every_length_with_one_decimal_in_range_is_accepted_as_that_number(tenths):
    assert accepted(row(RowType.LENGTH), tenths / 10) == tenths / 10


@given(st.lists(st.sampled_from(list(RowType)), min_size=1, max_size=5))
def test_rows_survive_their_json_form(types):
    rows = [
        TemplateRow(f"r-{i}", f"Rad {i}", t, {}, i % 2 == 0, "hjälp", Prefill("t-1", "r-0") if i else None)
        for i, t in enumerate(types)
    ]
    assert rows_from_json(rows_to_json(rows)) == rows
