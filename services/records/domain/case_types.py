"""Case types (ärendetyper), free of I/O: what a case of the type is about (one student, or a unit), the folder
its notes belong to, and the template menu they are written from."""

import uuid
from dataclasses import dataclass, fields
from typing import Any

from services.common.convert import MAX_TEXT_LENGTH, required_text

MAX_NAME = MAX_TEXT_LENGTH


class Unset:
    """A field a change leaves as it is (None would mean "none" for an optional reference)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = Unset()


def check_name(name: str) -> str:
    """The name trimmed: required, at most 200 characters, without control characters."""
    return required_text(name, "name", max_length=MAX_NAME)


def same_name(a: str, b: str) -> bool:
    """Names are unique per organisation regardless of case ("Elevärende" and "elevärende" are one)."""
    return a.lower() == b.lower()


@dataclass(frozen=True)
class CaseTypeChanges:
    """The fields a change sets; UNSET ones stay as they are. `template_menu_id=None` removes the menu."""

    name: str = UNSET
    student_linked: bool = UNSET
    folder_id: uuid.UUID = UNSET
    template_menu_id: uuid.UUID | None = UNSET
    active: bool = UNSET

    def given(self) -> dict[str, Any]:
        """The fields set, by name, the name checked."""
        given = {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not UNSET}
        if "name" in given:
            given["name"] = check_name(given["name"])
        return given


def changed(current: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """The given fields whose value differs from the current one."""
    return {name: value for name, value in given.items() if current.get(name) != value}
