"""Records' rules, free of I/O: personnummer and the access log's kinds."""

import re
from datetime import date
from enum import StrEnum

from personnummer import personnummer

from services.common.errors import InvalidArgument

# ASCII digits only (the parser would take Arabic-Indic or full-width digits): YYMMDD or YYYYMMDD, an
# optional - or +, and four digits.
PERSONNUMMER_FORM = re.compile(r"(?:\d{6}|\d{8})[-+]?\d{4}", re.ASCII)


class AccessOutcome(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"


class AccessAction(StrEnum):
    CREATE_STUDENT = "create_student"
    VIEW_STUDENT = "view_student"
    READ_NOTES = "read_notes"
    READ_NOTE = "read_note"
    READ_HISTORY = "read_history"
    WRITE_NOTE = "write_note"
    EDIT_NOTE = "edit_note"
    DELETE_NOTE = "delete_note"
    SIGN_NOTE = "sign_note"
    AMEND_NOTE = "amend_note"
    LINK_NOTE = "link_note"
    VERIFY_FOLDER = "verify_folder"
    PREFILL_NOTE = "prefill_note"
    WHO_CAN_SEE = "who_can_see"  # who may read a folder of the student
    EXPLAIN_ACCESS = "explain_access"  # why a user may or may not read the student's folder
    MEMORY_NOTES = "memory_notes"  # the author read or wrote their memory notes about the student


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
