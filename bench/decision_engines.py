"""One user's note decisions made in process (services.authz.domain.model) and by the same model in casbin."""

import importlib
from dataclasses import dataclass
from datetime import date, timedelta

from services.authz.domain.model import (
    Access,
    Action,
    AssignmentFact,
    GrantRule,
    NoteFact,
    Restriction,
    Subject,
    allowed_notes,
    folder_access,
)

# RBAC with domains: g = user, role, unit ("*" = all units); g2 = user, case membership; g3 = unit, org.
# Time-bounded assignments are outside casbin's model: like any casbin adapter would, only assignments
# valid today are loaded. Inactive users get no assignments.
CASBIN_MODEL = """
[request_definition]
r = sub, unit, folder, act, case, visible

[policy_definition]
p = role, folder, act, restriction

[role_definition]
g = _, _, _
g2 = _, _
g3 = _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = (g(r.sub, p.role, r.unit) || (g(r.sub, p.role, "*") && g3(r.unit, "org"))) \
&& r.folder == p.folder && r.act == p.act \
&& (p.restriction == "none" || (g2(r.sub, r.case) \
&& (p.restriction == "case_member" || r.visible == "true")))
"""

USER, UNIT, FOLDER = "user", "unit-0", "folder-medical"
UNITS = frozenset(f"unit-{i}" for i in range(20))
FOLDERS = (FOLDER, "folder-student", "folder-counsellor", "folder-psychology")
MEMBER_CASES = frozenset(f"case-{i}" for i in range(10))
ACTIONS_OF = {Access.NONE: (), Access.READ: ("read",), Access.READ_WRITE: ("read", "write")}


@dataclass(frozen=True)
class Scenario:
    """A counsellor whose grant on the folder only shows notes marked visible in her cases."""

    today: date
    assignments: tuple[AssignmentFact, ...]
    grants: dict[tuple[str, str], GrantRule]
    notes: tuple[NoteFact, ...]


def scenario(note_count: int = 1000) -> Scenario:
    """The user's assignments (one applies), the grants of their roles, and the notes to decide."""
    today = date.today()
    assignments = (
        AssignmentFact("counsellor", UNIT, None, None),
        AssignmentFact("nurse", "unit-1", None, None),  # another school: does not apply
        AssignmentFact("psychologist", None, None, None),  # all units, but no grant on the folder
        AssignmentFact("teacher", UNIT, None, today - timedelta(days=1)),  # ended yesterday
    )
    rules = [
        GrantRule("counsellor", FOLDER, Access.READ_WRITE, Restriction.CASE_MEMBER_NOTES),
        GrantRule("counsellor", "folder-counsellor", Access.READ_WRITE, Restriction.NONE),
        GrantRule("nurse", FOLDER, Access.READ_WRITE, Restriction.NONE),
        GrantRule("nurse", "folder-student", Access.READ_WRITE, Restriction.NONE),
        GrantRule("psychologist", "folder-psychology", Access.READ_WRITE, Restriction.NONE),
        GrantRule("teacher", FOLDER, Access.READ, Restriction.NONE),
    ]
    return Scenario(today, assignments, {(r.role_id, r.folder_id): r for r in rules}, notes(note_count))


def notes(count: int) -> tuple[NoteFact, ...]:
    """A third outside cases, a third in the user's cases, a third in others'; every other one visible."""
    cases = {0: None, 1: "case-{}", 2: "other-case-{}"}
    return tuple(
        NoteFact(f"note-{k}", None if k % 3 == 0 else cases[k % 3].format(k % 10), k % 2 == 0)
        for k in range(count)
    )


def decide_in_process(s: Scenario) -> list[str]:
    """The service's own decision: folder access once, then each note."""
    subject = Subject(True, s.assignments, s.grants, MEMBER_CASES)
    access = folder_access(subject, UNIT, FOLDER, Action.READ, s.today, UNITS)
    return allowed_notes(access, s.notes, subject.member_case_ids)


def casbin_enforcer(casbin, s: Scenario):
    """An enforcer loaded with the scenario's grants, today's assignments, case memberships and units."""
    model = casbin.model.Model()
    model.load_model_from_text(CASBIN_MODEL)
    enforcer = casbin.Enforcer(model)
    for rule in s.grants.values():
        for action in ACTIONS_OF[rule.access]:
            enforcer.add_policy(rule.role_id, rule.folder_id, action, rule.restriction.value)
    for a in s.assignments:
        if (a.valid_from is None or a.valid_from <= s.today) and (
            a.valid_to is None or s.today <= a.valid_to
        ):
            enforcer.add_named_grouping_policy("g", USER, a.role_id, a.unit_id or "*")
    for case_id in MEMBER_CASES:
        enforcer.add_named_grouping_policy("g2", USER, case_id)
    for unit in UNITS:
        enforcer.add_named_grouping_policy("g3", unit, "org")
    return enforcer


def casbin_requests(s: Scenario) -> list[list[str]]:
    """One casbin request per note."""
    return [
        [USER, UNIT, FOLDER, "read", n.case_id or "", "true" if n.visible_to_case_members else "false"]
        for n in s.notes
    ]


def decide_in_casbin(enforcer, s: Scenario, requests: list[list[str]]) -> list[str]:
    """One enforce per note, as casbin decides."""
    return [n.note_id for n, ok in zip(s.notes, enforcer.batch_enforce(requests), strict=True) if ok]


def import_casbin():
    """The casbin module (pinned in the `bench` extra, installed by `make install`); None if missing."""
    try:
        return importlib.import_module("casbin")
    except ImportError:
        print("  casbin is not installed (make install puts it in .venv)")
        return None
