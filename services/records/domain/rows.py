"""The nine row types of a note: each type's settings (set on a template row) and the values it accepts.

Pure: no I/O. Values and settings arrive as plain JSON values, possibly through a google.protobuf.Struct, which
carries every number as a double; so a whole float (120.0) is accepted where an integer is required and
normalised to 120, and 120.5 is refused. Every problem is reported, not only the first, as a FieldProblem whose
`rule` is one of the short names of RULES.
"""

import math
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from services.common.errors import FieldProblem


class RowType(StrEnum):
    FREE_TEXT = "free_text"
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    INTEGER = "integer"
    YES_NO = "yes_no"
    LENGTH = "length"
    WEIGHT = "weight"
    RECIPIENT = "recipient"
    HEARING_TEST = "hearing_test"


# The rules a problem may name; stable, since clients may act on them.
RULES = (
    "required",  # missing or empty
    "type",  # not the JSON type the row or setting takes
    "option",  # not one of the row's options, or chosen twice
    "range",  # outside the allowed range (or count)
    "step",  # a hearing level that is not a multiple of 5 dB
    "decimals",  # a length or weight with more than one decimal
    "max_length",  # text longer than allowed
    "frequency",  # a hearing-test frequency the row does not measure, or not a standard one
    "shape",  # an object with keys it cannot have
    "characters",  # text with control characters
    "duplicate",  # a value that must be distinct appears twice
)

MAX_FREE_TEXT = 20_000
MAX_OPTIONS = 100
MAX_OPTION_LENGTH = 200
MAX_UNIT_LENGTH = 50
# Integer rows: a bound beyond which no school-health measure goes, and within which a double is exact.
INTEGER_LIMIT = 1_000_000_000
# Plausible ranges, in cm and kg; a row's settings may narrow them, never widen them.
LENGTH_LIMITS = (30.0, 250.0)
WEIGHT_LIMITS = (1.0, 250.0)
MEASURE_UNITS = {RowType.LENGTH: "cm", RowType.WEIGHT: "kg"}
MEASURE_LIMITS = {RowType.LENGTH: LENGTH_LIMITS, RowType.WEIGHT: WEIGHT_LIMITS}
# Pure-tone audiometry: the standard frequencies (Hz) and hearing levels (dB HL).
HEARING_FREQUENCIES = (125, 250, 500, 750, 1000, 1500, 2000, 3000, 4000, 6000, 8000)
DEFAULT_HEARING_FREQUENCIES = (125, 250, 500, 1000, 2000, 4000, 8000)
HEARING_LEVELS = (-10, 120)
HEARING_STEP = 5
EARS = ("left", "right")

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
SETTING_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


@dataclass(frozen=True)
class Prefill:
    template_id: str  # the template whose latest signed note of the student is the source
    row_id: str  # the row of that template (row ids are stable across template versions)


@dataclass(frozen=True)
class TemplateRow:
    id: str  # stable across versions of the template (uuid string)
    heading: str
    row_type: RowType
    settings: dict  # normalised, JSON-able, typed per row type
    required: bool
    help_text: str
    prefill: Prefill | None


class Problems:
    """Collects the problems of one row (or one settings object), each naming its field."""

    def __init__(self, label: str):
        self.label = label
        self.found: list[FieldProblem] = []

    def add(self, field: str, message: str, rule: str) -> None:
        self.found.append(FieldProblem(field, f"{self.label}: {message}", rule))


# Numbers ---------------------------------------------------------------------------------------------------


def is_number(value: Any) -> bool:
    """A JSON number (a bool is not one, though Python calls it an int)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def whole(value: Any) -> int | None:
    """The integer a JSON number stands for (120 or 120.0), or None if it is not a finite whole number."""
    if not is_number(value):
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        return int(value)
    return value


def one_decimal(value: float) -> bool:
    """At most one decimal: 132.5 yes, 132.25 no (tolerant of binary floating point)."""
    scaled = value * 10
    # A number too large to scale is whole anyway (and out of every range).
    return not math.isfinite(scaled) or abs(scaled - round(scaled)) < 1e-6


# Settings --------------------------------------------------------------------------------------------------


def check_settings(
    row_type: RowType, settings: Any, field: str, label: str
) -> tuple[dict, list[FieldProblem]]:
    """The normalised settings of a row of the type, and every problem (fields under `field`, e.g.
    `rows[2].settings.options`); `label` names the row in messages."""
    problems = Problems(label)
    if settings is None:
        settings = {}
    if not isinstance(settings, dict):
        problems.add(field, "settings must be an object", "type")
        return {}, problems.found
    allowed = SETTINGS_KEYS[row_type]
    for key in settings:
        if key not in allowed:
            known = ", ".join(allowed) or "none"
            # A field name travels in gRPC metadata (printable ASCII): an odd key is named in the message only.
            at = f"{field}.{key}" if SETTING_NAME.fullmatch(key) else field
            problems.add(at, f"a {row_type} row has no setting {key!r} (known: {known})", "shape")
    normalised = SETTINGS_CHECKS[row_type](settings, field, problems)
    return (normalised if not problems.found else {}), problems.found


def free_text_settings(settings: dict, field: str, problems: Problems) -> dict:
    max_length = settings.get("max_length", MAX_FREE_TEXT)
    number = whole(max_length)
    if number is None:
        problems.add(f"{field}.max_length", "max_length must be a whole number", "type")
    elif not 1 <= number <= MAX_FREE_TEXT:
        problems.add(f"{field}.max_length", f"max_length must be 1–{MAX_FREE_TEXT}", "range")
    return {"max_length": number}


def choice_settings(settings: dict, field: str, problems: Problems) -> dict:
    field = f"{field}.options"
    options = settings.get("options")
    if options is None:
        problems.add(field, "a choice row needs options", "required")
        return {}
    if not isinstance(options, list):
        problems.add(field, "options must be a list of texts", "type")
        return {}
    if not 1 <= len(options) <= MAX_OPTIONS:
        problems.add(field, f"a choice row has 1–{MAX_OPTIONS} options", "range")
    cleaned: list[str] = []
    for index, option in enumerate(options):
        at = f"{field}[{index}]"
        if not isinstance(option, str):
            problems.add(at, "an option must be a text", "type")
            continue
        option = option.strip()
        if not option:
            problems.add(at, "an option cannot be empty", "required")
        elif len(option) > MAX_OPTION_LENGTH:
            problems.add(at, f"an option is at most {MAX_OPTION_LENGTH} characters", "max_length")
        elif CONTROL_CHARACTERS.search(option):
            problems.add(at, "an option cannot contain control characters", "characters")
        elif option in cleaned:
            problems.add(at, f"the option {option!r} is given twice", "duplicate")
        else:
            cleaned.append(option)
    return {"options": cleaned}


def integer_settings(settings: dict, field: str, problems: Problems) -> dict:
    normalised: dict = {}
    for key in ("min", "max"):
        if settings.get(key) is None:
            continue
        number = whole(settings[key])
        if number is None:
            problems.add(f"{field}.{key}", f"{key} must be a whole number", "type")
        elif abs(number) > INTEGER_LIMIT:
            problems.add(f"{field}.{key}", f"{key} must be within ±{INTEGER_LIMIT:,}", "range")
        else:
            normalised[key] = number
    if "min" in normalised and "max" in normalised and normalised["min"] > normalised["max"]:
        problems.add(f"{field}.max", "max must not be less than min", "range")
    unit = settings.get("unit")
    if unit is not None:
        if not isinstance(unit, str):
            problems.add(f"{field}.unit", "unit must be a text", "type")
        elif len(unit.strip()) > MAX_UNIT_LENGTH:
            problems.add(f"{field}.unit", f"unit is at most {MAX_UNIT_LENGTH} characters", "max_length")
        elif CONTROL_CHARACTERS.search(unit):
            problems.add(f"{field}.unit", "unit cannot contain control characters", "characters")
        elif unit.strip():
            normalised["unit"] = unit.strip()
    return normalised


def no_settings(settings: dict, field: str, problems: Problems) -> dict:
    return {}


def measure_settings(limits: tuple[float, float], unit: str):
    """Settings of a length or weight row: a range within the plausible limits."""

    def check(settings: dict, field: str, problems: Problems) -> dict:
        low, high = limits
        normalised = {"min": low, "max": high}
        for key in ("min", "max"):
            value = settings.get(key)
            if value is None:
                continue
            at = f"{field}.{key}"
            if not is_number(value) or not math.isfinite(value):
                problems.add(at, f"{key} must be a number of {unit}", "type")
            elif not one_decimal(value):
                problems.add(at, f"{key} has at most one decimal", "decimals")
            elif not low <= value <= high:
                problems.add(at, f"{key} must be within {low:g}–{high:g} {unit}", "range")
            else:
                normalised[key] = round(float(value), 1)
        if normalised["min"] > normalised["max"]:
            problems.add(f"{field}.max", "max must not be less than min", "range")
        return normalised

    return check


def hearing_settings(settings: dict, field: str, problems: Problems) -> dict:
    field = f"{field}.frequencies"
    frequencies = settings.get("frequencies")
    if frequencies is None:
        return {"frequencies": list(DEFAULT_HEARING_FREQUENCIES)}
    if not isinstance(frequencies, list):
        problems.add(field, "frequencies must be a list of frequencies in Hz", "type")
        return {}
    if not frequencies:
        problems.add(field, "a hearing test measures at least one frequency", "required")
    chosen: set[int] = set()
    for index, frequency in enumerate(frequencies):
        at = f"{field}[{index}]"
        number = whole(frequency)
        if number is None:
            problems.add(at, "a frequency must be a whole number of Hz", "type")
        elif number not in HEARING_FREQUENCIES:
            standard = ", ".join(map(str, HEARING_FREQUENCIES))
            problems.add(at, f"{number} Hz is not one of {standard}", "frequency")
        elif number in chosen:
            problems.add(at, f"{number} Hz is given twice", "duplicate")
        else:
            chosen.add(number)
    return {"frequencies": sorted(chosen)}


SETTINGS_KEYS: dict[RowType, tuple[str, ...]] = {
    RowType.FREE_TEXT: ("max_length",),
    RowType.SINGLE_CHOICE: ("options",),
    RowType.MULTIPLE_CHOICE: ("options",),
    RowType.INTEGER: ("min", "max", "unit"),
    RowType.YES_NO: (),
    RowType.LENGTH: ("min", "max"),
    RowType.WEIGHT: ("min", "max"),
    RowType.RECIPIENT: (),
    RowType.HEARING_TEST: ("frequencies",),
}
SETTINGS_CHECKS = {
    RowType.FREE_TEXT: free_text_settings,
    RowType.SINGLE_CHOICE: choice_settings,
    RowType.MULTIPLE_CHOICE: choice_settings,
    RowType.INTEGER: integer_settings,
    RowType.YES_NO: no_settings,
    RowType.LENGTH: measure_settings(LENGTH_LIMITS, MEASURE_UNITS[RowType.LENGTH]),
    RowType.WEIGHT: measure_settings(WEIGHT_LIMITS, MEASURE_UNITS[RowType.WEIGHT]),
    RowType.RECIPIENT: no_settings,
    RowType.HEARING_TEST: hearing_settings,
}


# Values ----------------------------------------------------------------------------------------------------


def is_empty(value: Any) -> bool:
    """No answer: null, a blank text, an empty list or an empty object."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict):
        return not value
    return False


def check_value(row: TemplateRow, value: Any, field: str) -> tuple[Any, list[FieldProblem]]:
    """The normalised JSON value (None when empty) and every problem, each naming `field` (e.g. "rows[3].value")."""
    problems = Problems(row.heading)
    if is_empty(value):
        if row.required:
            problems.add(field, "an answer is required", "required")
        return None, problems.found
    normalised = VALUE_CHECKS[row.row_type](row, value, field, problems)
    if problems.found:
        return None, problems.found
    return normalised, []


def free_text_value(row: TemplateRow, value: Any, field: str, problems: Problems) -> Any:
    if not isinstance(value, str):
        problems.add(field, "must be a text", "type")
        return None
    max_length = row.settings.get("max_length", MAX_FREE_TEXT)
    if len(value) > max_length:
        problems.add(field, f"is longer than {max_length} characters", "max_length")
    if CONTROL_CHARACTERS.search(value):
        problems.add(field, "contains control characters", "characters")
    return value


def single_choice_value(row: TemplateRow, value: Any, field: str, problems: Problems) -> Any:
    if not isinstance(value, str):
        problems.add(field, "must be one of the options, as a text", "type")
        return None
    value = value.strip()
    if value not in row.settings.get("options", ()):
        problems.add(field, f"{value!r} is not one of the options", "option")
    return value


def multiple_choice_value(row: TemplateRow, value: Any, field: str, problems: Problems) -> Any:
    if not isinstance(value, list):
        problems.add(field, "must be a list of options", "type")
        return None
    options = row.settings.get("options", [])
    chosen: set[str] = set()
    for item in value:
        if not isinstance(item, str):
            problems.add(field, "each choice must be one of the options, as a text", "type")
            continue
        item = item.strip()
        if item not in options:
            problems.add(field, f"{item!r} is not one of the options", "option")
        elif item in chosen:
            problems.add(field, f"{item!r} is chosen twice", "option")
        chosen.add(item)
    # In the order of the options, so that equal answers are equal values.
    return [option for option in options if option in chosen]


def integer_value(row: TemplateRow, value: Any, field: str, problems: Problems) -> Any:
    number = whole(value)
    if number is None:
        problems.add(field, "must be a whole number", "type")
        return None
    low = row.settings.get("min", -INTEGER_LIMIT)
    high = row.settings.get("max", INTEGER_LIMIT)
    if not low <= number <= high:
        problems.add(field, f"must be within {low}–{high}", "range")
    return number


def yes_no_value(row: TemplateRow, value: Any, field: str, problems: Problems) -> Any:
    if not isinstance(value, bool):
        problems.add(field, "must be true (yes) or false (no)", "type")
        return None
    return value


def measure_value(row: TemplateRow, value: Any, field: str, problems: Problems) -> Any:
    unit = MEASURE_UNITS[row.row_type]
    if not is_number(value) or not math.isfinite(value):
        problems.add(field, f"must be a number of {unit}", "type")
        return None
    if not one_decimal(value):
        problems.add(field, f"has at most one decimal ({unit})", "decimals")
    limits = MEASURE_LIMITS[row.row_type]
    low, high = row.settings.get("min", limits[0]), row.settings.get("max", limits[1])
    if not low <= value <= high:
        problems.add(field, f"must be within {low:g}–{high:g} {unit}", "range")
    return round(float(value), 1)


def recipient_value(row: TemplateRow, value: Any, field: str, problems: Problems) -> Any:
    if not isinstance(value, dict):
        problems.add(field, 'must be {"entry_id": <address-book entry id>}', "type")
        return None
    extra = sorted(set(value) - {"entry_id"})
    if extra:
        problems.add(field, f"has no {', '.join(map(repr, extra))}; only entry_id", "shape")
    entry_id = value.get("entry_id")
    try:
        parsed = uuid.UUID(entry_id) if isinstance(entry_id, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        problems.add(field, "entry_id must be the id (a UUID) of an address-book entry", "type")
        return None
    return {"entry_id": str(parsed)}


def hearing_test_value(row: TemplateRow, value: Any, field: str, problems: Problems) -> Any:
    if not isinstance(value, dict):
        problems.add(field, 'must be {"left": {"<Hz>": <dB HL>, …}, "right": {…}}', "type")
        return None
    extra = sorted(set(value) - set(EARS))
    if extra:
        problems.add(field, f"has no {', '.join(map(repr, extra))}; only left and right", "shape")
    frequencies = row.settings.get("frequencies", DEFAULT_HEARING_FREQUENCIES)
    normalised = {ear: ear_levels(value.get(ear), ear, frequencies, field, problems) for ear in EARS}
    if not any(normalised.values()) and not problems.found:
        if row.required:
            problems.add(field, "an answer is required", "required")
        return None
    return normalised


def ear_levels(levels: Any, ear: str, frequencies: Sequence[int], field: str, problems: Problems) -> dict:
    """One ear's hearing levels by frequency, in ascending frequency; a missing or null level was not measured."""
    if levels is None:
        return {}
    if not isinstance(levels, dict):
        problems.add(field, f"{ear} must be an object of dB HL by frequency in Hz", "type")
        return {}
    measured: dict[int, int] = {}
    low, high = HEARING_LEVELS
    for key, level in levels.items():
        frequency = frequency_of(key)
        if frequency is None or frequency not in frequencies:
            measures = ", ".join(map(str, frequencies))
            problems.add(field, f"{ear} {key} Hz is not measured by this row ({measures} Hz)", "frequency")
            continue
        if level is None:
            continue
        number = whole(level)
        if number is None:
            problems.add(field, f"{ear} {frequency} Hz must be a whole number of dB HL", "type")
        elif not low <= number <= high:
            problems.add(field, f"{ear} {frequency} Hz must be within {low}–{high} dB HL", "range")
        elif number % HEARING_STEP:
            problems.add(field, f"{ear} {frequency} Hz must be a multiple of {HEARING_STEP} dB", "step")
        else:
            measured[frequency] = number
    return {str(frequency): measured[frequency] for frequency in sorted(measured)}


def frequency_of(key: Any) -> int | None:
    """The frequency a key names: "1000" (a JSON object's keys are texts) or 1000."""
    if isinstance(key, str) and key.isascii() and key.isdigit():
        return int(key)
    return key if isinstance(key, int) and not isinstance(key, bool) else None


VALUE_CHECKS = {
    RowType.FREE_TEXT: free_text_value,
    RowType.SINGLE_CHOICE: single_choice_value,
    RowType.MULTIPLE_CHOICE: multiple_choice_value,
    RowType.INTEGER: integer_value,
    RowType.YES_NO: yes_no_value,
    RowType.LENGTH: measure_value,
    RowType.WEIGHT: measure_value,
    RowType.RECIPIENT: recipient_value,
    RowType.HEARING_TEST: hearing_test_value,
}


# Storage ---------------------------------------------------------------------------------------------------


def rows_to_json(rows: Sequence[TemplateRow]) -> list[dict]:
    """Template rows as stored (JSONB) and sent: the `type` by its name, `prefill` null when there is none."""
    return [
        {
            "id": row.id,
            "heading": row.heading,
            "type": row.row_type.value,
            "settings": row.settings,
            "required": row.required,
            "help_text": row.help_text,
            "prefill": {"template_id": row.prefill.template_id, "row_id": row.prefill.row_id}
            if row.prefill
            else None,
        }
        for row in rows
    ]


def rows_from_json(data: list[dict]) -> list[TemplateRow]:
    """Template rows from stored, already valid JSON."""
    return [
        TemplateRow(
            id=row["id"],
            heading=row["heading"],
            row_type=RowType(row["type"]),
            settings=row["settings"],
            required=row["required"],
            help_text=row["help_text"],
            prefill=Prefill(row["prefill"]["template_id"], row["prefill"]["row_id"])
            if row["prefill"]
            else None,
        )
        for row in data
    ]
