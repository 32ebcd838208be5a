"""The school around a student, free of I/O: school years, grades, contact data, and the unit's student list."""

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from services.common.auth import PermissionLevel
from services.common.email import MAX_EMAIL_LENGTH, normalise_email
from services.common.errors import FieldProblem, InvalidArgument, InvalidFields, PermissionDenied

# A school year ("läsår") is named by its two calendar years: "2026/27".
SCHOOL_YEAR_NAME = re.compile(r"(\d{4})/(\d{2})", re.ASCII)
# The standard school year runs from 1 July to 30 June.
STANDARD_START = (7, 1)

MIN_GRADE = 0  # förskoleklass
MAX_GRADE = 13  # 1–9 grundskola, 10–13 gymnasium

DEFAULT_PAGE = 50
MAX_PAGE = 200
MAX_SEARCH = 200

MAX_PHONE_NUMBERS = 3
MAX_PHONE_LENGTH = 30
MAX_CONTACT_TEXT = 200
# Digits, spaces and dashes, optionally after a leading +; starts and ends with a digit.
PHONE_NUMBER = re.compile(r"\+?[0-9](?:[0-9 -]*[0-9])?", re.ASCII)
# Contact fields are single lines: no control character at all, not even a tab or a line break.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class StudentAction(StrEnum):
    """Access-log actions of student administration: each returns the student, so each is a read too."""

    UPDATE_STUDENT = "update_student"
    ARCHIVE_STUDENT = "archive_student"
    UNARCHIVE_STUDENT = "unarchive_student"
    PLACE_STUDENT = "place_student"


# --- school years ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SchoolYearSpan:
    name: str
    starts_on: date
    ends_on: date

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def standard_school_year(day: date) -> SchoolYearSpan:
    """The standard school year (1 July to 30 June) that contains the day."""
    first = day.year if (day.month, day.day) >= STANDARD_START else day.year - 1
    return standard_school_year_from(first)


def standard_school_year_from(first: int) -> SchoolYearSpan:
    """The standard school year that starts in the calendar year `first`."""
    return SchoolYearSpan(
        name=f"{first}/{(first + 1) % 100:02d}",
        starts_on=date(first, *STANDARD_START),
        ends_on=date(first + 1, 6, 30),
    )


def parse_school_year_name(name: str) -> int:
    """The first calendar year of a name "YYYY/YY" whose two years follow each other."""
    match = SCHOOL_YEAR_NAME.fullmatch(name.strip())
    if not match:
        raise InvalidArgument('name must be a school year such as "2026/27"', field="name")
    first, second = int(match[1]), int(match[2])
    if first < 1900 or (first + 1) % 100 != second:
        raise InvalidArgument(
            f'name must name two consecutive years, such as "{first}/{(first + 1) % 100:02d}"', field="name"
        )
    return first


def school_year_span(name: str, starts_on: date | None, ends_on: date | None) -> SchoolYearSpan:
    """The school year a request asks for: the standard dates of its name, or explicit dates that fit it."""
    first = parse_school_year_name(name)
    if starts_on is None and ends_on is None:
        return standard_school_year_from(first)
    if starts_on is None or ends_on is None:
        missing = "starts_on" if starts_on is None else "ends_on"
        raise InvalidArgument("starts_on and ends_on are given together or not at all", field=missing)
    if starts_on.year != first:
        raise InvalidArgument(f"starts_on must be in {first}, the first year of the name", field="starts_on")
    if ends_on.year != first + 1:
        raise InvalidArgument(f"ends_on must be in {first + 1}, the second year of the name", field="ends_on")
    if ends_on >= one_year_after(starts_on):
        raise InvalidArgument("a school year is at most one year long", field="ends_on")
    return SchoolYearSpan(f"{first}/{(first + 1) % 100:02d}", starts_on, ends_on)


def one_year_after(day: date) -> date:
    """The same day a year later (29 February: 1 March)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return date(day.year + 1, 3, 1)


# --- grades -----------------------------------------------------------------------------------------------


def check_grade(grade: int | None, field: str = "grade") -> int | None:
    """A grade is 0 (förskoleklass), 1–9 (grundskola) or 10–13 (gymnasium); None is no grade."""
    if grade is not None and not MIN_GRADE <= grade <= MAX_GRADE:
        raise InvalidArgument(
            f"{field} must be {MIN_GRADE}–{MAX_GRADE} (0 förskoleklass, 1–9 grundskola, 10–13 gymnasium)",
            field=field,
        )
    return grade


# --- the unit's student list ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudentKey:
    """Where a student sorts in a unit's list: last name, first name, id."""

    last_name: str
    first_name: str
    id: uuid.UUID


def encode_cursor(key: StudentKey) -> str:
    """An opaque cursor: the last key of a page, base64 (URL-safe) of its JSON."""
    raw = json.dumps([key.last_name, key.first_name, str(key.id)], ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> StudentKey:
    """The key a cursor of `encode_cursor` holds; InvalidArgument naming `cursor` for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        last_name, first_name, student_id = json.loads(raw.decode())
        if not isinstance(last_name, str) or not isinstance(first_name, str):
            raise ValueError("names must be strings")
        return StudentKey(last_name, first_name, uuid.UUID(student_id))
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, AttributeError):
        raise InvalidArgument("cursor is not one this API gave out", field="cursor") from None


def page_limit(limit: int) -> int:
    """The page size asked for (0: the default), 1..MAX_PAGE."""
    if limit == 0:
        return DEFAULT_PAGE
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidArgument(f"limit must be 1–{MAX_PAGE}", field="limit")
    return limit


def check_search(name: str) -> str | None:
    """A name to search for (trimmed), or None for no search."""
    name = name.strip()
    if len(name) > MAX_SEARCH:
        raise InvalidArgument(f"name is longer than {MAX_SEARCH} characters", field="name")
    if CONTROL.search(name):
        raise InvalidArgument("name contains control characters", field="name")
    return name or None


def may_list_students(level: PermissionLevel) -> bool:
    """Admins and subadmins see every unit's student list; others need read access on the unit."""
    return level in (PermissionLevel.ADMIN, PermissionLevel.SUBADMIN)


# --- contact data and protected identity ------------------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    street_address: str | None = None
    postcode: str | None = None
    city: str | None = None
    country: str | None = None
    phone_numbers: tuple[str, ...] = ()
    email: str | None = None


CONTACT_TEXTS = ("street_address", "postcode", "city", "country")
CONTACT_FIELDS = (*CONTACT_TEXTS, "phone_numbers", "email")


def contact_visible(protected_identity: bool, level: PermissionLevel) -> bool:
    """The contact data of a student with protected identity is shown to nobody but admins."""
    return not protected_identity or level is PermissionLevel.ADMIN


@dataclass
class ContactProblems:
    problems: list[FieldProblem] = field(default_factory=list)

    def add(self, field_name: str, message: str, rule: str) -> None:
        self.problems.append(FieldProblem(field_name, message, rule))

    def raise_any(self) -> None:
        if self.problems:
            raise InvalidFields(self.problems)


def contact_text(value: str, field_name: str, problems: ContactProblems) -> str | None:
    """A trimmed single line of at most MAX_CONTACT_TEXT characters; '' is no value."""
    value = value.strip()
    if len(value) > MAX_CONTACT_TEXT:
        problems.add(field_name, f"{field_name} is longer than {MAX_CONTACT_TEXT} characters", "length")
    elif CONTROL.search(value):
        problems.add(field_name, f"{field_name} contains control characters", "characters")
    return value or None


def phone_numbers(values: list[str], problems: ContactProblems) -> tuple[str, ...]:
    """Up to three phone numbers of digits, spaces and dashes, with an optional leading +."""
    if len(values) > MAX_PHONE_NUMBERS:
        problems.add("phone_numbers", f"at most {MAX_PHONE_NUMBERS} phone numbers", "count")
        return ()
    numbers = []
    for index, value in enumerate(values):
        name, value = f"phone_numbers[{index}]", value.strip()
        if len(value) > MAX_PHONE_LENGTH:
            problems.add(name, f"{name} is longer than {MAX_PHONE_LENGTH} characters", "length")
        elif not PHONE_NUMBER.fullmatch(value):
            problems.add(name, f"{name} may hold only digits, spaces, dashes and a leading +", "phone")
        numbers.append(value)
    return tuple(numbers)


def email_address(value: str, problems: ContactProblems) -> str | None:
    value = value.strip()
    if not value:
        return None
    if len(value) > MAX_EMAIL_LENGTH:
        problems.add("email", f"email is longer than {MAX_EMAIL_LENGTH} characters", "length")
        return None
    try:
        return normalise_email(value, "email")
    except InvalidArgument as error:
        problems.add("email", error.message, "email")
        return None


def check_contact_changes(changes: dict[str, object]) -> dict[str, object]:
    """The contact fields among `changes`, normalised; InvalidFields listing every problem."""
    problems = ContactProblems()
    checked: dict[str, object] = {}
    for name in CONTACT_TEXTS:
        if name in changes:
            checked[name] = contact_text(str(changes[name]), name, problems)
    if "phone_numbers" in changes:
        checked["phone_numbers"] = phone_numbers(list(changes["phone_numbers"]), problems)  # type: ignore[call-overload]
    if "email" in changes:
        checked["email"] = email_address(str(changes["email"]), problems)
    problems.raise_any()
    return checked


def check_contact(contact: Contact) -> Contact:
    """A whole contact record, normalised; InvalidFields listing every problem."""
    raw = {name: getattr(contact, name) or "" for name in (*CONTACT_TEXTS, "email")}
    checked = check_contact_changes({**raw, "phone_numbers": list(contact.phone_numbers)})
    return Contact(**checked)  # type: ignore[arg-type]


def check_student_change(level: PermissionLevel, protected_before: bool, changes: dict[str, object]) -> None:
    """Who may change what: a subadmin cannot reveal a protected student's contact data, so may neither lift
    the protection nor touch the contact data of a student who has it (admins may)."""
    if level is PermissionLevel.ADMIN:
        return
    if protected_before and changes.get("protected_identity") is False:
        raise PermissionDenied("only an admin may lift a protected identity", field="protected_identity")
    touched = [name for name in CONTACT_FIELDS if name in changes]
    if protected_before and touched:
        raise PermissionDenied(
            "only an admin may change the contact data of a student with protected identity", field=touched[0]
        )
