"""Records' rules, free of I/O: personnummer, note rows, folders."""

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from personnummer import personnummer

from services.common.convert import check_printable
from services.common.errors import InvalidArgument
from services.records.domain.rows import RowType

MAX_ROWS = 100
# ASCII digits only (the parser would take Arabic-Indic or full-width digits): YYMMDD or YYYYMMDD, an
# optional - or +, and four digits.
PERSONNUMMER_FORM = re.compile(r"(?:\d{6}|\d{8})[-+]?\d{4}", re.ASCII)
MAX_HEADING = 200
MAX_TEXT = 20_000


class NoteStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"


class AccessOutcome(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"


class AccessAction(StrEnum):
    CREATE_STUDENT = "create_student"
    VIEW_STUDENT = "view_student"
    READ_NOTES = "read_notes"
    WRITE_NOTE = "write_note"


def normalise_personnummer(value: str, *, today: date, field: str = "personnummer") -> str:
    """Twelve digits (YYYYMMDDNNNN) of a valid personnummer or samordningsnummer born no later than `today`.

    The message never repeats the number: it is personal data and error texts end up in logs.
    """
    value = value.strip()
    if not PERSONNUMMER_FORM.fullmatch(value):
        raise InvalidArgument(f"{field} is not a valid personnummer or samordningsnummer", field=field)
    try:
        parsed = personnummer.parse(with_century(value, today))
        born = parsed.get_date()
    except (personnummer.PersonnummerException, ValueError, TypeError, OverflowError):
        raise InvalidArgument(
            f"{field} is not a valid personnummer or samordningsnummer", field=field
        ) from None
    if born > today:
        raise InvalidArgument(f"{field} has a birth date in the future", field=field)
    return parsed.format(True)


def with_century(value: str, today: date) -> str:
    """The twelve digits of a well-formed number: ten digits are born within the hundred years up to `today`, or
    before them with a '+' (the parser would read the century off the real clock)."""
    digits = value.replace("-", "").replace("+", "")
    if len(digits) == 12:
        return digits
    base = today.year - (100 if "+" in value else 0)
    year = base - (base - int(digits[:2])) % 100
    return f"{year // 100}{digits}"


@dataclass(frozen=True)
class NoteRowValue:
    heading: str
    row_type: RowType
    text: str


def check_rows(rows: list[NoteRowValue]) -> None:
    """A note has 1..MAX_ROWS rows, each with a heading and a value valid for its type."""
    if not rows:
        raise InvalidArgument("a note needs at least one row", field="rows")
    if len(rows) > MAX_ROWS:
        raise InvalidArgument(f"a note has at most {MAX_ROWS} rows", field="rows")
    for index, row in enumerate(rows):
        field = f"rows[{index}]"
        if not row.heading.strip():
            raise InvalidArgument(f"{field}.heading is required", field=f"{field}.heading")
        if len(row.heading) > MAX_HEADING:
            raise InvalidArgument(
                f"{field}.heading is longer than {MAX_HEADING} characters", field=f"{field}.heading"
            )
        check_printable(row.heading, f"{field}.heading")
        if row.row_type is RowType.FREE_TEXT and len(row.text) > MAX_TEXT:
            raise InvalidArgument(f"{field}.text is longer than {MAX_TEXT} characters", field=f"{field}.text")
        check_printable(row.text, f"{field}.text")
