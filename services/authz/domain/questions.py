"""The questions authz answers from one organisation's facts in memory (services.authz.domain.memory).

Each reads only the asking user's assignments (or, for who-can-see, the assignments on the unit) and the
grants of their roles, and decides with the rules of services.authz.domain.model, so it answers exactly as
folder_access does on the user's Subject.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, NamedTuple

from services.authz.domain.model import (
    Access,
    Action,
    AssignmentFact,
    FolderAccess,
    GrantRule,
    NoteFact,
    Restriction,
    Subject,
    allowed_notes,
    case_write_allowed,
)

if TYPE_CHECKING:
    from services.authz.domain.memory import OrgModel

Verdict = tuple[bool, str, tuple[str, ...]]  # (allowed, reason, template menu ids)

INACTIVE = "the user is inactive or unknown"
MAY_NOT_SIGN = "the user may not sign notes"
WRITES_IN_MEMBER_CASES = "the grant only allows writing in cases the user is a member of"


class Seer(NamedTuple):
    """A user who may read a folder, by which assignment and grant (its restriction included)."""

    user_id: str
    assignment_id: str
    role_id: str
    grant: GrantRule


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why the user may or may not: the assignment and grant that allowed it, or came closest."""

    allowed: bool
    reason: str
    assignment_id: str | None = None
    role_id: str | None = None
    grant: GrantRule | None = None


def subject(org: OrgModel, user_id: str) -> Subject:
    """The user's facts as folder_access takes them: assignments, their roles' grants, case memberships."""
    user = org.users.get(user_id)
    if user is None or not user.active:
        return Subject(active=False, assignments=(), grants={})
    assignments = tuple(org.held(user_id).values())
    roles = {fact.role_id for fact in assignments}
    grants = {key: rule for role in roles for key, rule in _role_grants(org, role)}
    return Subject(True, assignments, grants, org.member_case_ids(user_id), user.may_sign_notes)


def _role_grants(org: OrgModel, role_id: str):
    return (((role_id, folder), rule) for folder, rule in org.grants_by_role.get(role_id, {}).items())


def access(
    org: OrgModel, user_id: str, unit_id: str, folder_id: str | None, action: Action, today: date
) -> FolderAccess:
    """folder_access's answer, with the same reasons, from the user's assignments and their roles' grants."""
    user = org.users.get(user_id)
    if user is None or not user.active:
        return FolderAccess(False, INACTIVE)
    if action is Action.SIGN and not user.may_sign_notes:
        return FolderAccess(False, MAY_NOT_SIGN)
    valid = [fact for fact in org.held(user_id).values() if fact.covers(unit_id, today, org.units)]
    if not valid:
        return FolderAccess(False, "no assignment valid today covers the student's unit")
    rules = [rule for fact in valid for rule in org.rules_of(fact.role_id, folder_id) if rule.allows(action)]
    if not rules:
        needed = Action.WRITE if action.writes else Action.READ
        return FolderAccess(
            False, f"no role of the user's assignments on the unit grants {needed} on the folder"
        )
    menus = tuple(sorted({rule.template_menu_id for rule in rules if rule.template_menu_id}))
    return FolderAccess(True, "granted", frozenset(rule.restriction for rule in rules), menus)


def check(
    org: OrgModel,
    user_id: str,
    unit_id: str,
    folder_id: str | None,
    action: Action,
    today: date,
    case_id: str | None = None,
) -> Verdict:
    """(allowed, reason, template menu ids); a write under a restricted grant must be in a member case."""
    folder = access(org, user_id, unit_id, folder_id, action, today)
    if not folder.allowed:
        return False, folder.reason, ()
    if action.writes and not case_write_allowed(folder, case_id, org.member_case_ids(user_id)):
        return False, WRITES_IN_MEMBER_CASES, ()
    return True, folder.reason, folder.template_menu_ids


def filter_notes(
    org: OrgModel, user_id: str, unit_id: str, folder_id: str, notes: Iterable[NoteFact], today: date
) -> tuple[FolderAccess, list[str]]:
    """The read access to the folder and the ids of the notes it shows, in the given order."""
    folder = access(org, user_id, unit_id, folder_id, Action.READ, today)
    return folder, allowed_notes(folder, notes, org.member_case_ids(user_id))


def seen_units(org: OrgModel, user_id: str, today: date) -> tuple[set[str], bool]:
    """The units the user's valid, readable assignments name, and whether one of them is on all units."""
    user = org.users.get(user_id)
    named: set[str] = set()
    all_units = False
    if user is None or not user.active:
        return named, all_units
    for fact in org.held(user_id).values():
        if fact.valid_on(today) and _reads_any_folder(org, fact):
            if fact.unit_id is None:
                all_units = True
            else:
                named.add(fact.unit_id)
    return named, all_units


def _reads_any_folder(org: OrgModel, fact: AssignmentFact) -> bool:
    return any(rule.allows(Action.READ) for rule in org.rules_of(fact.role_id, None))


def lookup_units(org: OrgModel, user_id: str, today: date) -> set[str]:
    """The units whose students the user may see: read access to any folder there."""
    named, all_units = seen_units(org, user_id, today)
    return named | org.units if all_units else named


def lookup_students(
    org: OrgModel, user_id: str, students: Iterable[tuple[str, str]], today: date
) -> list[str]:
    """The ids of the (student id, unit id) pairs the user may see, in the given order."""
    named, all_units = seen_units(org, user_id, today)
    return [
        student_id
        for student_id, unit_id in students
        if unit_id in named or (all_units and unit_id in org.units)
    ]


def who_can_see(org: OrgModel, unit_id: str, folder_id: str, today: date) -> list[Seer]:
    """Every active user who may read the folder of the unit's students, one row per allowing assignment,
    ordered by user and assignment; reads only the assignments on the unit and on all units."""
    candidates = set(org.by_unit.get(unit_id, ()))
    if unit_id in org.units:
        candidates |= org.by_unit.get(None, set())
    seers = []
    for assignment_id in candidates:
        user_id = org.assignments[assignment_id]
        user = org.users.get(user_id)
        fact = org.by_user[user_id][assignment_id]
        if user is None or not user.active or not fact.valid_on(today):
            continue
        rule = org.grants.get((fact.role_id, folder_id))
        if rule is not None and rule.allows(Action.READ):
            seers.append(Seer(user_id, assignment_id, fact.role_id, rule))
    return sorted(seers, key=lambda seer: (seer.user_id, seer.assignment_id))


# --- explain ---------------------------------------------------------------------------------------------


def explain(
    org: OrgModel,
    user_id: str,
    unit_id: str,
    folder_id: str | None,
    action: Action,
    today: date,
    case_id: str | None = None,
) -> Explanation:
    """The assignment and grant that allow the action, or the one that came closest and what it lacks.

    Allowed exactly when check allows. Of several assignments on the unit, the one that got furthest is
    named (a fitting grant beats the dates, the dates beat a missing grant); ties go to the lowest id."""
    user = org.users.get(user_id)
    if user is None or not user.active:
        return Explanation(False, INACTIVE)
    if action is Action.SIGN and not user.may_sign_notes:
        return Explanation(False, MAY_NOT_SIGN)
    in_case = case_id is not None and case_id in org.case_members.get(user_id, ())
    best: tuple[int, Explanation] | None = None
    for assignment_id, fact in sorted(org.held(user_id).items()):
        if not fact.on_unit(unit_id, org.units):
            continue
        judged = _judge(org, assignment_id, fact, folder_id, action, today, in_case)
        if best is None or judged[0] > best[0]:
            best = judged
    return best[1] if best else Explanation(False, "no assignment on the unit")


# How far an assignment on the unit got; higher explains better.
OUT_OF_DATE_WITHOUT_GRANT, NO_GRANT, READ_ONLY, OUT_OF_DATE, OUTSIDE_MEMBER_CASES, RESTRICTED, GRANTED = (
    range(7)
)


def _judge(
    org: OrgModel,
    assignment_id: str,
    fact: AssignmentFact,
    folder_id: str | None,
    action: Action,
    today: date,
    in_case: bool,
) -> tuple[int, Explanation]:
    """One assignment on the unit: its rank and what it says."""
    rules = sorted(
        (rule for rule in org.rules_of(fact.role_id, folder_id) if rule.access is not Access.NONE),
        key=_preference,
    )
    fitting = [rule for rule in rules if rule.allows(action)]
    grant = fitting[0] if fitting else (rules[0] if rules else None)

    def said(rank: int, reason: str, allowed: bool = False) -> tuple[int, Explanation]:
        return rank, Explanation(allowed, reason, assignment_id, fact.role_id, grant)

    if not fact.valid_on(today):
        return said(OUT_OF_DATE if fitting else OUT_OF_DATE_WITHOUT_GRANT, _period_reason(fact, today))
    if grant is None:
        return said(
            NO_GRANT, "the role has no grant on " + ("any folder" if folder_id is None else "the folder")
        )
    if not fitting:
        return said(READ_ONLY, "the grant allows read only")
    if grant.restriction is Restriction.NONE:
        return said(GRANTED, "granted", allowed=True)
    if not action.writes:
        return said(RESTRICTED, RESTRICTED_READS[grant.restriction], allowed=True)
    if in_case:
        return said(RESTRICTED, "granted in a case the user is a member of", allowed=True)
    return said(
        OUTSIDE_MEMBER_CASES,
        "only case members may write: the note must be in a case the user is a member of",
    )


RESTRICTED_READS = {
    Restriction.CASE_MEMBER: "granted; only case members: the notes in cases the user is a member of",
    Restriction.CASE_MEMBER_NOTES: (
        "granted; only case members: the notes marked visible to them in cases the user is a member of"
    ),
}


def _preference(rule: GrantRule) -> tuple[bool, bool, str]:
    """Unrestricted before restricted, read/write before read, then by folder."""
    return rule.restriction is not Restriction.NONE, rule.access is not Access.READ_WRITE, rule.folder_id


def _period_reason(fact: AssignmentFact, today: date) -> str:
    if fact.valid_to is not None and fact.valid_to < today:
        return f"the assignment on the unit ended on {fact.valid_to.isoformat()}"
    return f"the assignment on the unit starts on {fact.valid_from.isoformat()}"
