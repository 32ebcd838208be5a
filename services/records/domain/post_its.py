"""Post-its, free of I/O: personal working notes tied to no student, kept without history."""

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from services.common.errors import FieldProblem, InvalidFields

MAX_TEXT = 10_000
DEFAULT_PAGE = 50
MAX_PAGE = 200
# Tabs and line breaks are text; every other control character (NUL first of all) is refused.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def refused(field: str, message: str, rule: str) -> InvalidFields:
    return InvalidFields([FieldProblem(field, message, rule)])


def check_text(text: str) -> str:
    """The text as given, if it is 1–10,000 characters, not only white space, without control characters."""
    if not text.strip():
        raise refused("text", "text is required", "required")
    if len(text) > MAX_TEXT:
        raise refused("text", f"text is longer than {MAX_TEXT:,} characters", "max_length")
    if CONTROL.search(text):
        raise refused("text", "text contains control characters", "printable")
    return text


@dataclass(frozen=True)
class Receiver:
    """What identity says of the user a post-it is handed to."""

    user_id: uuid.UUID
    active: bool


def check_receiver(giver_id: uuid.UUID, receiver_id: uuid.UUID, found: Receiver | None) -> None:
    """A post-it goes to another active user of the organisation (`found` is None for anyone else)."""
    if receiver_id == giver_id:
        raise refused("user_id", "the post-it is already yours", "same_user")
    if found is None:
        raise refused("user_id", "user_id names no user of your organisation", "unknown_user")
    if not found.active:
        raise refused("user_id", "user_id names an inactive user", "inactive_user")


@dataclass(frozen=True)
class Page:
    """One page of the owner's list, newest first: at most `limit`, from after `after` (created_at, id)."""

    limit: int
    after: tuple[datetime, uuid.UUID] | None


def page(limit: int, cursor: str) -> Page:
    """The page asked for; 0 is the default size, and the cursor must be one this API gave out."""
    limit = limit or DEFAULT_PAGE
    if not 1 <= limit <= MAX_PAGE:
        raise refused("limit", f"limit must be between 1 and {MAX_PAGE}", "range")
    return Page(limit=limit, after=decode_cursor(cursor) if cursor else None)


def encode_cursor(created_at: datetime, post_it_id: uuid.UUID) -> str:
    """An opaque cursor: the last post-it's place in the list."""
    key = [created_at.isoformat(), str(post_it_id)]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, post_it_id = json.loads(raw)
        return datetime.fromisoformat(created_at), uuid.UUID(post_it_id)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise refused("cursor", "cursor is not a cursor this API gave out", "cursor") from None
