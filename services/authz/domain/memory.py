"""Authz's facts in memory, per organisation, indexed so that a decision reads only the asking user's facts.

The model is fed the rows the read model is built from (`apply` with a batch's final rows, or with a
snapshot of the read model at start) and answers with the same rules as services.authz.domain.model
(the questions are in services.authz.domain.questions). It does no I/O and never reads the clock.

Memory: an organisation of 100,000 users and 200,000 assignments must fit well under 300 MB, so the facts are
plain dicts and sets of id strings (interned: a role or unit id is stored once however many assignments name
it) and small slotted records (NamedTuple, slotted dataclasses); no per-row objects beyond those, and no
index that holds more than one entry per fact.
"""

import sys
from collections.abc import Iterable, Mapping
from datetime import date
from typing import NamedTuple

from services.authz.domain import questions
from services.authz.domain.model import (
    Action,
    AssignmentFact,
    FolderAccess,
    GrantRule,
    NoteFact,
    Subject,
)
from services.authz.domain.questions import Explanation, Seer, Verdict


class UserFacts(NamedTuple):
    active: bool
    permission_level: str
    may_sign_notes: bool


class OrgGrant(NamedTuple):
    """A grant upsert: authz's own grants are per organisation, but GrantRule does not name it."""

    org_id: str
    rule: GrantRule


# What a replay of a source rebuilds (services/authz/adapters/read_model.py BUILT_FROM); grants are authz's
# own and stay. Case memberships are records' facts, so a replay of records rebuilds them too.
BUILT_FROM = {
    "identity": ("users", "roles", "units", "assignments"),
    "records": ("folders", "template_menus", "case_members"),
}


def _id(value) -> str:
    """An id as the model keeps it: a string (rows carry UUIDs), interned so that repeats share one copy."""
    return sys.intern(str(value))


class OrgModel:
    """One organisation's facts and the indexes the questions need."""

    __slots__ = (
        "users",
        "units",
        "roles",
        "folders",
        "template_menus",
        "assignments",
        "by_user",
        "by_unit",
        "grants",
        "grants_by_role",
        "case_members",
        "_frozen_units",
        "module_levels",
        "manageable_roles",
    )

    def __init__(self) -> None:
        self.users: dict[str, UserFacts] = {}
        self.units: set[str] = set()
        self.roles: set[str] = set()
        self.folders: set[str] = set()
        self.template_menus: set[str] = set()
        self.assignments: dict[str, str] = {}  # assignment id → user id; the fact itself is in by_user
        self.by_user: dict[str, dict[str, AssignmentFact]] = {}  # user id → assignment id → fact
        self.by_unit: dict[str | None, set[str]] = {}  # unit id (None: all units) → assignment ids
        self.grants: dict[tuple[str, str], GrantRule] = {}  # (role id, folder id) → rule
        self.grants_by_role: dict[str, dict[str, GrantRule]] = {}  # role id → folder id → rule
        self.case_members: dict[str, set[str]] = {}  # user id → case ids
        self._frozen_units: frozenset[str] | None = None
        # Administrative permissions, authz's own like grants: a module's minimum level where the
        # organisation changed it (absent: its default), and each role's manageable roles.
        self.module_levels: dict[str, str] = {}
        self.manageable_roles: dict[str, frozenset[str]] = {}

    def org_units(self) -> frozenset[str]:
        """The organisation's units, frozen once per change of the set rather than once per question."""
        if self._frozen_units is None:
            self._frozen_units = frozenset(self.units)
        return self._frozen_units

    def add_unit(self, unit_id: str) -> None:
        self.units.add(unit_id)
        self._frozen_units = None

    def held(self, user_id: str) -> Mapping[str, AssignmentFact]:
        """The user's assignments by id."""
        return self.by_user.get(user_id, {})

    def put_assignment(self, assignment_id: str, user_id: str, fact: AssignmentFact) -> None:
        """Store or overwrite an assignment; an overwrite may move it to another user or unit."""
        self.drop_assignment(assignment_id)
        self.assignments[assignment_id] = user_id
        self.by_user.setdefault(user_id, {})[assignment_id] = fact
        self.by_unit.setdefault(fact.unit_id, set()).add(assignment_id)

    def drop_assignment(self, assignment_id: str) -> None:
        """Forget an assignment (revoked); unknown ids are ignored, as the read model's delete ignores them."""
        user_id = self.assignments.pop(assignment_id, None)
        if user_id is None:
            return
        held = self.by_user[user_id]
        fact = held.pop(assignment_id)
        if not held:
            del self.by_user[user_id]
        on_unit = self.by_unit[fact.unit_id]
        on_unit.discard(assignment_id)
        if not on_unit:
            del self.by_unit[fact.unit_id]

    def put_grant(self, rule: GrantRule) -> None:
        self.grants[(rule.role_id, rule.folder_id)] = rule
        self.grants_by_role.setdefault(rule.role_id, {})[rule.folder_id] = rule

    def rules_of(self, role_id: str, folder_id: str | None) -> Iterable[GrantRule]:
        """The role's grant on the folder, or on every folder when `folder_id` is None."""
        if folder_id is None:
            return self.grants_by_role.get(role_id, {}).values()
        rule = self.grants.get((role_id, folder_id))
        return (rule,) if rule else ()

    def member_case_ids(self, user_id: str) -> frozenset[str]:
        return frozenset(self.case_members.get(user_id, ()))

    def forget(self, source: str) -> None:
        """Reset what `source`'s events built; unknown sources reset nothing."""
        parts = BUILT_FROM.get(source, ())
        for name in ("users", "roles", "units", "folders", "template_menus", "case_members"):
            if name in parts:
                getattr(self, name).clear()
        if "assignments" in parts:
            self.assignments.clear()
            self.by_user.clear()
            self.by_unit.clear()
        self._frozen_units = None


EMPTY = OrgModel()  # what an unknown organisation looks like; never written to


class AuthzModel:
    """Every organisation's facts; `apply` after each committed batch, the questions in between."""

    def __init__(self) -> None:
        self._orgs: dict[str, OrgModel] = {}
        self._assignment_orgs: dict[str, str] = {}  # a revoke names only the assignment

    def org(self, org_id: str) -> OrgModel:
        """The organisation's facts (empty for an unknown organisation); read them, change them via apply."""
        return self._orgs.get(org_id, EMPTY)

    def _writable(self, org_id) -> OrgModel:
        org_id = _id(org_id)
        org = self._orgs.get(org_id)
        if org is None:  # not setdefault: that would build an OrgModel for every row applied
            org = self._orgs[org_id] = OrgModel()
        return org

    # --- updates ---------------------------------------------------------------------------------------

    def apply(self, changes=None, grants: Iterable[OrgGrant] = ()) -> None:
        """Take a batch's final rows (projections' Changes, or a snapshot of the read model in that shape)
        and grant upserts; every change counts from the next question on."""
        if changes is not None:
            self._apply_rows(changes)
        for org_id, rule in grants:
            self._writable(org_id).put_grant(_interned_rule(rule))

    def _apply_rows(self, changes) -> None:
        for row in changes.units.values():
            self._writable(row["org_id"]).add_unit(_id(row["unit_id"]))
        for row in changes.roles.values():
            self._writable(row["org_id"]).roles.add(_id(row["role_id"]))
        for row in changes.users.values():
            facts = UserFacts(
                bool(row["active"]), _id(row["permission_level"]), bool(row.get("may_sign_notes", True))
            )
            self._writable(row["org_id"]).users[_id(row["user_id"])] = facts
        for row in changes.folders.values():
            self._writable(row["org_id"]).folders.add(_id(row["folder_id"]))
        for row in changes.template_menus.values():
            self._writable(row["org_id"]).template_menus.add(_id(row["menu_id"]))
        for key, row in changes.assignments.items():
            if row is None:
                self._revoke(_id(key))
            else:
                self._grant_assignment(row)

    def _grant_assignment(self, row: Mapping) -> None:
        assignment_id, org_id = _id(row["assignment_id"]), _id(row["org_id"])
        if self._assignment_orgs.get(assignment_id, org_id) != org_id:
            self._revoke(assignment_id)
        unit = row["unit_id"]
        fact = AssignmentFact(
            _id(row["role_id"]), _id(unit) if unit else None, row["valid_from"], row["valid_to"]
        )
        self._writable(org_id).put_assignment(assignment_id, _id(row["user_id"]), fact)
        self._assignment_orgs[assignment_id] = org_id

    def _revoke(self, assignment_id: str) -> None:
        org_id = self._assignment_orgs.pop(assignment_id, None)
        if org_id is not None:
            self._orgs[org_id].drop_assignment(assignment_id)

    def forget(self, org_id: str, source: str) -> None:
        """Forget what the organisation's facts hold from `source` ("identity" or "records"); a replay of
        that source's events rebuilds them."""
        org = self._orgs.get(org_id)
        if org is None:
            return
        if "assignments" in BUILT_FROM.get(source, ()):
            for assignment_id in org.assignments:
                del self._assignment_orgs[assignment_id]
        org.forget(source)

    def add_case_member(self, org_id: str, user_id: str, case_id: str) -> None:
        self._writable(org_id).case_members.setdefault(_id(user_id), set()).add(_id(case_id))

    def remove_case_member(self, org_id: str, user_id: str, case_id: str) -> None:
        cases = self.org(org_id).case_members.get(user_id)
        if cases is None:
            return
        cases.discard(case_id)
        if not cases:
            del self.org(org_id).case_members[user_id]

    def set_module_level(self, org_id: str, module: str, level: str) -> None:
        """The organisation's minimum permission level of a module."""
        self._writable(org_id).module_levels[_id(module)] = _id(level)

    def set_manageable_roles(self, org_id: str, role_id: str, role_ids: Iterable[str]) -> None:
        """The roles whose assignments the role's holders may manage (the whole set; empty forgets it)."""
        org = self._writable(org_id)
        manageable = frozenset(_id(r) for r in role_ids)
        if manageable:
            org.manageable_roles[_id(role_id)] = manageable
        else:
            org.manageable_roles.pop(role_id, None)

    # --- questions -------------------------------------------------------------------------------------

    def user(self, org_id: str, user_id: str) -> UserFacts | None:
        """The user's active flag, permission level and may-sign flag; None for an unknown user."""
        return self.org(org_id).users.get(user_id)

    def subject(self, org_id: str, user_id: str) -> Subject:
        """The user's facts as services.authz.domain.model's functions take them."""
        return questions.subject(self.org(org_id), user_id)

    def org_units(self, org_id: str) -> frozenset[str]:
        return self.org(org_id).org_units()

    def access(
        self, org_id: str, user_id: str, unit_id: str, folder_id: str | None, action: Action, today: date
    ) -> FolderAccess:
        """What folder_access decides for the user, from the user's facts only."""
        return questions.access(self.org(org_id), user_id, unit_id, folder_id, action, today)

    def check(
        self,
        org_id: str,
        user_id: str,
        unit_id: str,
        folder_id: str | None,
        action: Action,
        today: date,
        case_id: str | None = None,
    ) -> Verdict:
        """(allowed, reason, template menu ids), as services.authz.service_layer.decisions decides."""
        return questions.check(self.org(org_id), user_id, unit_id, folder_id, action, today, case_id)

    def check_batch(
        self,
        org_id: str,
        user_id: str,
        items: Iterable[tuple[str, str | None, Action, str | None]],
        today: date,
    ) -> list[Verdict]:
        """One verdict per (unit, folder, action, case) item, in order."""
        org = self.org(org_id)
        return [
            questions.check(org, user_id, unit_id, folder_id, action, today, case_id)
            for unit_id, folder_id, action, case_id in items
        ]

    def filter_notes(
        self, org_id: str, user_id: str, unit_id: str, folder_id: str, notes: Iterable[NoteFact], today: date
    ) -> tuple[FolderAccess, list[str]]:
        """The user's read access to the folder and the ids of the notes it shows, in the given order."""
        return questions.filter_notes(self.org(org_id), user_id, unit_id, folder_id, notes, today)

    def lookup_units(self, org_id: str, user_id: str, today: date) -> set[str]:
        """The units whose students the user may see (read access to some folder)."""
        return questions.lookup_units(self.org(org_id), user_id, today)

    def lookup_students(
        self, org_id: str, user_id: str, students: Iterable[tuple[str, str]], today: date
    ) -> list[str]:
        """The ids of the (student id, unit id) pairs the user may see, in the given order."""
        return questions.lookup_students(self.org(org_id), user_id, students, today)

    def who_can_see(self, org_id: str, unit_id: str, folder_id: str, today: date) -> list[Seer]:
        """Every active user who may read the folder of the unit's students, by each assignment that allows it."""
        return questions.who_can_see(self.org(org_id), unit_id, folder_id, today)

    def explain(
        self,
        org_id: str,
        user_id: str,
        unit_id: str,
        folder_id: str | None,
        action: Action,
        today: date,
        case_id: str | None = None,
    ) -> Explanation:
        """Which assignment and grant allow the action, or the closest one and why it does not."""
        return questions.explain(self.org(org_id), user_id, unit_id, folder_id, action, today, case_id)


def _interned_rule(rule: GrantRule) -> GrantRule:
    return GrantRule(
        _id(rule.role_id),
        _id(rule.folder_id),
        rule.access,
        rule.restriction,
        _id(rule.template_menu_id) if rule.template_menu_id else None,
    )
