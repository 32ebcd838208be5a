"""Conversions between wire values and domain values, failing with InvalidArgument that names the field."""

import re
import uuid
from datetime import UTC, date, datetime

from elevhalsa.common.v1 import types_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from services.common.errors import InvalidArgument, NotFound


def parse_uuid(value: str, field: str) -> uuid.UUID:
    """A required UUID field."""
    if not value:
        raise InvalidArgument(f"{field} is required", field=field)
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidArgument(f"{field} is not a valid UUID", field=field) from None


def parse_id(value: str, field: str, what: str) -> uuid.UUID:
    """An id in a path: malformed ids are simply not found, like ids of other organisations."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"{what} not found", field=field) from None


def optional_uuid(value: str, field: str) -> uuid.UUID | None:
    return parse_uuid(value, field) if value else None


def date_from_proto(message: types_pb2.Date, field: str) -> date | None:
    """A calendar day, or None when the message is unset or all zero."""
    if message.year == 0 and message.month == 0 and message.day == 0:
        return None
    try:
        return date(message.year, message.month, message.day)
    except ValueError:
        raise InvalidArgument(f"{field} is not a valid date", field=field) from None


def date_to_proto(value: date | None) -> types_pb2.Date | None:
    return types_pb2.Date(year=value.year, month=value.month, day=value.day) if value else None


def timestamp(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_TEXT_LENGTH = 200  # names and external ids


def required_text(value: str, field: str, *, max_length: int = MAX_TEXT_LENGTH) -> str:
    """A required, trimmed, bounded string without control characters."""
    value = value.strip()
    if not value:
        raise InvalidArgument(f"{field} is required", field=field)
    if len(value) > max_length:
        raise InvalidArgument(f"{field} is longer than {max_length} characters", field=field)
    check_printable(value, field)
    return value


def check_printable(value: str, field: str) -> None:
    """Refuse control characters (NUL and the like); tabs and line breaks are text."""
    if CONTROL_CHARACTERS.search(value):
        raise InvalidArgument(f"{field} contains control characters", field=field)
