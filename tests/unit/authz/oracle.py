"""A deliberately naive evaluator of authz's rules, written straight from their text (DESIGN §4 authz), to prove
the in-memory model against. It keeps plain lists and loops over all of them for every question: no indexes,
no caching, and nothing from services.authz.

A World is the facts of ONE organisation and nothing else, so no answer of the oracle can depend on another
organisation's facts: "in the same organisation" holds by construction, and a user, unit or assignment the
organisation does not have is simply not there.

The rules: a user may read/write a note in folder F about a student in unit U iff the user is active, in
the same organisation, and holds an assignment valid today (from <= today <= to, either bound optional) whose
unit is U (or all units, only for units of the organisation) and whose role's grant on F allows the action
(read: read or read_write; write: read_write) under its restriction. Any one assignment suffices.
Restrictions: none - all notes of the folder; case_member - only notes in cases where the user is a member
(read), write only in those cases; case_member_notes - only the notes marked visible-to-case-members in cases
where the user is a member (and, like case_member, write only in those cases). Sign = write + the user may
sign notes. Seeing a student (no folder) = read access to any folder of the student's unit.

A check to read answers whether the folder opens at all (some of its notes may show); which notes show is
readable_notes' answer. Who can see a folder of a unit's students: every (user, assignment, grant) that lets
a user read it.
"""

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class User:
    user: str
    active: bool
    may_sign: bool
    level: str  # "admin" | "subadmin" | "member"


@dataclass(frozen=True)
class Assignment:
    assignment: str
    user: str
    role: str
    unit: str | None  # None: all units
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True)
class Grant:
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
    """One organisation's facts."""

    users: list[User] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    grants: list[Grant] = field(default_factory=list)
    memberships: list[tuple[str, str]] = field(default_factory=list)  # (user, case)


def user_facts(world: World, user: str) -> User | None:
    for u in world.users:
        if u.user == user:
            return u
    return None


def is_active(world: World, user: str) -> bool:
    u = user_facts(world, user)
    return u is not None and u.active


def may_sign(world: World, user: str) -> bool:
    u = user_facts(world, user)
    return u is not None and u.may_sign


def is_member(world: World, user: str, case: str | None) -> bool:
    return case is not None and (user, case) in world.memberships


def valid_today(a: Assignment, today: date) -> bool:
    return (a.valid_from is None or a.valid_from <= today) and (a.valid_to is None or today <= a.valid_to)


def on_unit(world: World, a: Assignment, unit: str) -> bool:
    if a.unit is None:
        return unit in world.units
    return a.unit == unit


def allows(access: str, action: str) -> bool:
    if action == "read":
        return access in ("read", "read_write")
    return access == "read_write"  # write, sign


def assignments_on(world: World, user: str, unit: str) -> list[Assignment]:
    """The user's assignments on the unit, whatever their dates."""
    return [a for a in world.assignments if a.user == user and on_unit(world, a, unit)]


def grants_of(world: World, role: str, folder: str | None) -> list[Grant]:
    """The role's grants that give some access to the folder (to any folder when `folder` is None)."""
    return [
        g
        for g in world.grants
        if g.role == role and (folder is None or g.folder == folder) and g.access != "none"
    ]


def allowing(world: World, user: str, unit: str, folder: str | None, action: str, today: date):
    """Every (assignment, grant) of the user that allows the action on the folder of the unit's students."""
    pairs = []
    if not is_active(world, user):
        return pairs
    for a in world.assignments:
        if a.user != user or not valid_today(a, today) or not on_unit(world, a, unit):
            continue
        for g in world.grants:
            if g.role == a.role and (folder is None or g.folder == folder) and allows(g.access, action):
                pairs.append((a, g))
    return pairs


def may(
    world: World,
    user: str,
    unit: str,
    folder: str | None,
    action: str,
    today: date,
    case: str | None = None,
) -> bool:
    """Whether the user may do the action (read: open the folder; write and sign: in the case, if any)."""
    if action == "sign" and not may_sign(world, user):
        return False
    for _, g in allowing(world, user, unit, folder, action, today):
        if action == "read" or g.restriction == "none" or is_member(world, user, case):
            return True
    return False


def menus(world: World, user: str, unit: str, folder: str | None, action: str, today: date):
    """The template menus named by the grants that allow the action (when it is allowed), sorted."""
    found = {g.menu for _, g in allowing(world, user, unit, folder, action, today) if g.menu}
    return tuple(sorted(found))


def readable_notes(
    world: World, user: str, unit: str, folder: str, notes: list[Note], today: date
) -> list[str]:
    """The notes the user may read, in the given order."""
    shown = []
    for note in notes:
        for _, g in allowing(world, user, unit, folder, "read", today):
            member = is_member(world, user, note.case)
            if (
                g.restriction == "none"
                or (g.restriction == "case_member" and member)
                or (g.restriction == "case_member_notes" and member and note.visible)
            ):
                shown.append(note.note)
                break
    return shown


def sees_unit(world: World, user: str, unit: str, today: date) -> bool:
    """Seeing a unit's students: read access to any folder there."""
    return may(world, user, unit, None, "read", today)


def visible_students(world: World, user: str, students: list[tuple[str, str]], today: date) -> list[str]:
    """The (student, unit) pairs whose student the user may see, in the given order."""
    return [student for student, unit in students if sees_unit(world, user, unit, today)]


def who_can_see(world: World, unit: str, folder: str, today: date) -> list[tuple]:
    """(user, assignment, role, access, restriction, menu) of every assignment that lets a user read."""
    seen = []
    for u in world.users:
        for a, g in allowing(world, u.user, unit, folder, "read", today):
            seen.append((u.user, a.assignment, a.role, g.access, g.restriction, g.menu))
    return sorted(seen)
