"""A deliberately naive evaluator of authz's rules, written straight from their text, to prove the in-memory
model (services.authz.domain.memory) against. It keeps plain lists and loops over all of them for every
question: no indexes, and nothing from services.authz.domain.

The rules: a user may read/write a note in folder F about a student in unit U iff the user is active, in
the same organisation, and holds an assignment valid today (from <= today <= to, either bound optional) whose
unit is U (or all units, only for units of the organisation) and whose role's grant on F allows the action
(read: read or read_write; write: read_write) under its restriction. Any one assignment suffices.
Restrictions: none - all notes of the folder; case_member - only notes in cases where the user is a member
(read), write only in those cases; case_member_notes - only the notes marked visible-to-case-members in cases
where the user is a member (and, like case_member, write only in those cases). Sign = write + the user may
sign notes. Seeing a student (no folder) = read access to any folder of the unit.

A check to read answers whether the folder opens at all (some of its notes may show); which notes show is
filter_notes' answer.
"""

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class User:
    org: str
    user: str
    active: bool
    may_sign: bool


@dataclass(frozen=True)
class Assignment:
    org: str
    assignment: str
    user: str
    role: str
    unit: str | None  # None: all units
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True)
class Grant:
    org: str
    role: str
    folder: str
    access: str  # "none" | "read" | "read_write"
    restriction: str  # "none" | "case_member" | "case_member_notes"
    menu: str | None


@dataclass(frozen=True)
class Note:
    note: str
    case: str | None
    visible: bool


@dataclass
class World:
    users: list[User] = field(default_factory=list)
    units: list[tuple[str, str]] = field(default_factory=list)  # (org, unit)
    assignments: list[Assignment] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    memberships: list[tuple[str, str, str]] = field(default_factory=list)  # (org, user, case)


def is_active(world: World, org: str, user: str) -> bool:
    return any(u.org == org and u.user == user and u.active for u in world.users)


def may_sign(world: World, org: str, user: str) -> bool:
    return any(u.org == org and u.user == user and u.may_sign for u in world.users)


def is_member(world: World, org: str, user: str, case: str | None) -> bool:
    return case is not None and (org, user, case) in world.memberships


def valid_today(a: Assignment, today: date) -> bool:
    return (a.valid_from is None or a.valid_from <= today) and (a.valid_to is None or today <= a.valid_to)


def on_unit(world: World, a: Assignment, unit: str) -> bool:
    if a.unit is None:
        return (a.org, unit) in world.units
    return a.unit == unit


def allows(access: str, action: str) -> bool:
    if action == "read":
        return access in ("read", "read_write")
    return access == "read_write"  # write, sign


def allowing(world: World, org: str, user: str, unit: str, folder: str | None, action: str, today: date):
    """Every (assignment, grant) of the user that allows the action on the folder of the unit's students."""
    pairs = []
    if not is_active(world, org, user):
        return pairs
    for a in world.assignments:
        if a.org != org or a.user != user or not valid_today(a, today) or not on_unit(world, a, unit):
            continue
        for g in world.grants:
            if g.org == org and g.role == a.role and (folder is None or g.folder == folder):
                if allows(g.access, action):
                    pairs.append((a, g))
    return pairs


def may(
    world: World,
    org: str,
    user: str,
    unit: str,
    folder: str | None,
    action: str,
    today: date,
    case: str | None = None,
) -> bool:
    """Whether the user may do the action (read: open the folder; write and sign: in the case, if any)."""
    if action == "sign" and not may_sign(world, org, user):
        return False
    for _, g in allowing(world, org, user, unit, folder, action, today):
        if action == "read" or g.restriction == "none" or is_member(world, org, user, case):
            return True
    return False


def menus(world: World, org: str, user: str, unit: str, folder: str | None, action: str, today: date):
    """The template menus named by the grants that allow the action (when it is allowed), sorted."""
    found = {g.menu for _, g in allowing(world, org, user, unit, folder, action, today) if g.menu}
    return tuple(sorted(found))


def readable_notes(
    world: World, org: str, user: str, unit: str, folder: str, notes: list[Note], today: date
) -> list[str]:
    """The notes the user may read, in the given order."""
    shown = []
    for note in notes:
        for _, g in allowing(world, org, user, unit, folder, "read", today):
            member = is_member(world, org, user, note.case)
            if (
                g.restriction == "none"
                or (g.restriction == "case_member" and member)
                or (g.restriction == "case_member_notes" and member and note.visible)
            ):
                shown.append(note.note)
                break
    return shown


def sees_unit(world: World, org: str, user: str, unit: str, today: date) -> bool:
    """Seeing a unit's students: read access to any folder there."""
    return may(world, org, user, unit, None, "read", today)


def who_can_see(world: World, org: str, unit: str, folder: str, today: date) -> list[tuple]:
    """(user, assignment, role, access, restriction) of every assignment that lets an active user read."""
    seen = []
    for u in world.users:
        if u.org != org:
            continue
        for a, g in allowing(world, org, u.user, unit, folder, "read", today):
            seen.append((u.user, a.assignment, a.role, g.access, g.restriction))
    return sorted(seen)
