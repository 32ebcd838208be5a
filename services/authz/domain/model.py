"""Authorization decisions, free of I/O.

A user may read or write a note in folder F about a student of unit U iff the user is active and holds an
assignment valid today on U (or on all units) whose role's grant on F allows the action under its
restriction. Any one assignment suffices; restrictions of several assignments add up. Signing is writing by a
user who may sign notes. The grants that allow a write name the template menus the user writes with.
"""

from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Access(StrEnum):
    NONE = "none"
    READ = "read"
    READ_WRITE = "read_write"


class Restriction(StrEnum):
    NONE = "none"
    CASE_MEMBER = "case_member"
    CASE_MEMBER_NOTES = "case_member_notes"


class Action(StrEnum):
    READ = "read"
    WRITE = "write"
    SIGN = "sign"

    @property
    def writes(self) -> bool:
        """Writing and signing change the journal: both need a read/write grant."""
        return self in (Action.WRITE, Action.SIGN)


@dataclass(frozen=True, slots=True)  # slots: the in-memory model holds one per assignment
class AssignmentFact:
    role_id: str
    unit_id: str | None  # None: all units of the organisation
    valid_from: date | None
    valid_to: date | None

    def valid_on(self, day: date) -> bool:
        """Within its period on `day`; both bounds are optional and inclusive."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def on_unit(self, unit_id: str, org_units: AbstractSet[str]) -> bool:
        """On the unit; an all-units assignment is on the organisation's units only."""
        return self.unit_id == unit_id if self.unit_id else unit_id in org_units

    def covers(self, unit_id: str, day: date, org_units: AbstractSet[str]) -> bool:
        """Valid on `day` and on the unit; an all-units assignment covers only the organisation's units."""
        return self.valid_on(day) and self.on_unit(unit_id, org_units)


@dataclass(frozen=True, slots=True)
class GrantRule:
    role_id: str
    folder_id: str
    access: Access
    restriction: Restriction
    template_menu_id: str | None = None  # the menu the role writes with in the folder

    def allows(self, action: Action) -> bool:
        if action.writes:
            return self.access is Access.READ_WRITE
        return self.access in (Access.READ, Access.READ_WRITE)


@dataclass(frozen=True)
class Subject:
    """Everything about one user that decisions need."""

    active: bool
    assignments: tuple[AssignmentFact, ...]
    grants: Mapping[tuple[str, str], GrantRule]  # (role_id, folder_id) → rule
    member_case_ids: frozenset[str] = frozenset()
    may_sign_notes: bool = False


@dataclass(frozen=True)
class FolderAccess:
    """What a user may do in one folder of one unit's students."""

    allowed: bool
    reason: str
    restrictions: frozenset[Restriction] = frozenset()
    template_menu_ids: tuple[str, ...] = ()  # named by the grants that allowed it: distinct, sorted

    @property
    def unrestricted(self) -> bool:
        return Restriction.NONE in self.restrictions


@dataclass(frozen=True)
class NoteFact:
    note_id: str
    case_id: str | None
    visible_to_case_members: bool


def folder_access(
    subject: Subject,
    unit_id: str,
    folder_id: str | None,
    action: Action,
    today: date,
    org_units: frozenset[str],
) -> FolderAccess:
    """The access the user's assignments give; `folder_id` None asks about any folder (seeing the student)."""
    if not subject.active:
        return FolderAccess(False, "the user is inactive or unknown")
    if action is Action.SIGN and not subject.may_sign_notes:
        return FolderAccess(False, "the user may not sign notes")
    valid = [a for a in subject.assignments if a.covers(unit_id, today, org_units)]
    if not valid:
        return FolderAccess(False, "no assignment valid today covers the student's unit")
    rules = [
        rule
        for a in valid
        for (role_id, rule_folder), rule in subject.grants.items()
        if role_id == a.role_id and (folder_id is None or rule_folder == folder_id) and rule.allows(action)
    ]
    if not rules:
        needed = Action.WRITE if action.writes else Action.READ
        return FolderAccess(
            False, f"no role of the user's assignments on the unit grants {needed} on the folder"
        )
    menus = tuple(sorted({rule.template_menu_id for rule in rules if rule.template_menu_id}))
    return FolderAccess(True, "granted", frozenset(rule.restriction for rule in rules), menus)


def note_allowed(access: FolderAccess, note: NoteFact, member_case_ids: frozenset[str]) -> bool:
    """Whether a note is visible under the folder access."""
    if not access.allowed:
        return False
    if access.unrestricted:
        return True
    if note.case_id is None or note.case_id not in member_case_ids:
        return False
    if Restriction.CASE_MEMBER in access.restrictions:
        return True
    return note.visible_to_case_members


def allowed_notes(
    access: FolderAccess, notes: Iterable[NoteFact], member_case_ids: frozenset[str]
) -> list[str]:
    """Ids of the notes the user may see, in the given order."""
    return [note.note_id for note in notes if note_allowed(access, note, member_case_ids)]


def case_write_allowed(access: FolderAccess, case_id: str | None, member_case_ids: frozenset[str]) -> bool:
    """Writes outside cases need an unrestricted grant; inside a case, membership is enough."""
    if not access.allowed:
        return False
    if access.unrestricted:
        return True
    return case_id is not None and case_id in member_case_ids
