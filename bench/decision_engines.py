"""The same note decisions made by authz's in-memory questions (services.authz.domain.questions over an
OrgModel) and by casbin loaded with the same facts; no stack needed.

One counsellor's assignments (one applies, one is on another unit, one on all units without a grant on the
folder, one ended yesterday), the grants of their roles and their case memberships are put into an
AuthzModel, as a snapshot or the event feed puts them, and into a casbin enforcer. Both decide the same
1,000 notes: all at once (FilterNotes) and one note per call (a decision's fixed cost counted every time)."""

import importlib
import time
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import metadata

from bench.options import Options
from bench.results import Figure, at_least, ms, percentile
from services.authz.domain import questions
from services.authz.domain.memory import AuthzModel, OrgGrant, OrgModel
from services.authz.domain.model import Access, GrantRule, NoteFact, Restriction
from services.authz.service_layer.projections import Changes

NAME = "decision_engines"
NOTES = 1000

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

ORG, USER, UNIT, FOLDER = "org", "user", "unit-0", "folder-medical"
UNITS = tuple(f"unit-{i}" for i in range(20))
MEMBER_CASES = tuple(f"case-{i}" for i in range(10))
ACTIONS_OF = {Access.NONE: (), Access.READ: ("read",), Access.READ_WRITE: ("read", "write")}


@dataclass(frozen=True)
class Assignment:
    id: str
    role_id: str
    unit_id: str | None  # None: all units
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True)
class Scenario:
    """A counsellor whose grant on the folder only shows notes marked visible in her cases."""

    today: date
    assignments: tuple[Assignment, ...]
    grants: tuple[GrantRule, ...]
    notes: tuple[NoteFact, ...]


def scenario(note_count: int = NOTES) -> Scenario:
    """The user's assignments (one applies), the grants of their roles, and the notes to decide."""
    today = date.today()
    assignments = (
        Assignment("a-counsellor", "counsellor", UNIT, None, None),
        Assignment("a-nurse", "nurse", "unit-1", None, None),  # another school: does not apply
        Assignment("a-psychologist", "psychologist", None, None, None),  # all units, no grant on the folder
        Assignment("a-teacher", "teacher", UNIT, None, today - timedelta(days=1)),  # ended yesterday
    )
    grants = (
        GrantRule("counsellor", FOLDER, Access.READ_WRITE, Restriction.CASE_MEMBER_NOTES),
        GrantRule("counsellor", "folder-counsellor", Access.READ_WRITE, Restriction.NONE),
        GrantRule("nurse", FOLDER, Access.READ_WRITE, Restriction.NONE),
        GrantRule("nurse", "folder-student", Access.READ_WRITE, Restriction.NONE),
        GrantRule("psychologist", "folder-psychology", Access.READ_WRITE, Restriction.NONE),
        GrantRule("teacher", FOLDER, Access.READ, Restriction.NONE),
    )
    return Scenario(today, assignments, grants, notes(note_count))


def notes(count: int) -> tuple[NoteFact, ...]:
    """A third outside cases, a third in the user's cases, a third in others'; every other one visible."""
    cases = {0: None, 1: "case-{}", 2: "other-case-{}"}
    return tuple(
        NoteFact(f"note-{k}", None if k % 3 == 0 else cases[k % 3].format(k % 10), k % 2 == 0)
        for k in range(count)
    )


# --- authz's model -----------------------------------------------------------------------------------------


def org_model(s: Scenario) -> OrgModel:
    """The scenario's facts in authz's in-memory model, fed as read-model rows like a snapshot."""
    changes = Changes()
    changes.units.update(((ORG, u), {"org_id": ORG, "unit_id": u, "active": True}) for u in UNITS)
    changes.roles.update(((ORG, g.role_id), {"org_id": ORG, "role_id": g.role_id}) for g in s.grants)
    changes.users[(ORG, USER)] = {
        "org_id": ORG,
        "user_id": USER,
        "active": True,
        "permission_level": "member",
        "may_sign_notes": True,
    }
    for a in s.assignments:
        changes.assignments[a.id] = {
            "assignment_id": a.id,
            "org_id": ORG,
            "user_id": USER,
            "role_id": a.role_id,
            "unit_id": a.unit_id,
            "valid_from": a.valid_from,
            "valid_to": a.valid_to,
        }
    model = AuthzModel()
    model.apply(changes, [OrgGrant(ORG, rule) for rule in s.grants])
    for case_id in MEMBER_CASES:
        model.add_case_member(ORG, USER, case_id)
    return model.org(ORG)


def decide_in_memory(org: OrgModel, s: Scenario) -> list[str]:
    """FilterNotes' decision: the folder access once, then each note."""
    return questions.filter_notes(org, USER, UNIT, FOLDER, s.notes, s.today)[1]


def decide_in_memory_one_by_one(org: OrgModel, s: Scenario) -> list[str]:
    """The same notes, one question each."""
    return [
        note.note_id
        for note in s.notes
        if questions.filter_notes(org, USER, UNIT, FOLDER, (note,), s.today)[1]
    ]


# --- casbin --------------------------------------------------------------------------------------------------


def casbin_enforcer(casbin, s: Scenario):
    """An enforcer loaded with the scenario's grants, today's assignments, case memberships and units."""
    model = casbin.model.Model()
    model.load_model_from_text(CASBIN_MODEL)
    enforcer = casbin.Enforcer(model)
    for rule in s.grants:
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
    """casbin's batch enforce over the notes."""
    return [n.note_id for n, ok in zip(s.notes, enforcer.batch_enforce(requests), strict=True) if ok]


def decide_in_casbin_one_by_one(enforcer, s: Scenario, requests: list[list[str]]) -> list[str]:
    """One enforce per note."""
    return [n.note_id for n, request in zip(s.notes, requests, strict=True) if enforcer.enforce(*request)]


def import_casbin():
    """The casbin module (pinned in the `bench` extra, installed by `make install`); None if missing."""
    try:
        return importlib.import_module("casbin")
    except ImportError:
        print("  casbin is not installed (make install puts it in .venv)")
        return None


# --- the benchmark ---------------------------------------------------------------------------------------------


def timed(decide, repeats: int) -> tuple[float, list[str]]:
    """The median time of `decide()` in seconds, and its last answer."""
    samples, answer = [], []
    for _ in range(repeats):
        began = time.perf_counter()
        answer = decide()
        samples.append(time.perf_counter() - began)
    return percentile(samples, 50), answer


@dataclass(frozen=True)
class Pair:
    """One way of deciding the notes, in both engines."""

    label: str
    ours: object
    theirs: object
    our_repeats: int
    their_repeats: int


def run(options: Options) -> list[Figure]:
    """Both ways of deciding, in both engines, which must agree; the speed-up is budgeted."""
    s = scenario()
    casbin = import_casbin()
    if casbin is None:
        return [Figure(NAME, "in-memory speed-up over casbin", None, "x", skipped=True, note="needs casbin")]
    org, enforcer, requests = org_model(s), casbin_enforcer(casbin, s), casbin_requests(s)
    quick = options.quick
    pairs = (
        Pair(
            "1,000 notes in one call",
            lambda: decide_in_memory(org, s),
            lambda: decide_in_casbin(enforcer, s, requests),
            50 if quick else 300,
            3 if quick else 15,
        ),
        Pair(
            "one note per call",
            lambda: decide_in_memory_one_by_one(org, s),
            lambda: decide_in_casbin_one_by_one(enforcer, s, requests),
            10 if quick else 60,
            3 if quick else 15,
        ),
    )
    return [figure for pair in pairs for figure in compared(pair)]


def compared(pair: Pair) -> list[Figure]:
    """Decision rates of both engines for one way of deciding, and the ratio."""
    timed(pair.ours, 5)  # warm-up
    timed(pair.theirs, 1)
    our_seconds, ours = timed(pair.ours, pair.our_repeats)
    their_seconds, theirs = timed(pair.theirs, pair.their_repeats)
    if ours != theirs:
        raise AssertionError(f"casbin allowed {len(theirs)} notes, authz's model {len(ours)}: they differ")
    our_rate, their_rate = NOTES / our_seconds, NOTES / their_seconds
    same = f"same decisions ({len(ours)} of {NOTES:,} notes allowed by both)"
    return [
        Figure(
            NAME,
            f"in-memory questions, {pair.label}",
            our_rate,
            "decisions/s",
            None,
            f"median of {pair.our_repeats} runs of {NOTES:,} decisions ({ms(our_seconds):.2f} ms); "
            "services.authz.domain.questions.filter_notes over an OrgModel",
        ),
        Figure(
            NAME,
            f"casbin, {pair.label}",
            their_rate,
            "decisions/s",
            None,
            f"median of {pair.their_repeats} runs ({ms(their_seconds):.1f} ms); casbin "
            f"{metadata.version('casbin')} (pinned in the bench extra), "
            + ("batch_enforce" if "one call" in pair.label else "enforce per note"),
        ),
        Figure(NAME, f"speed-up over casbin, {pair.label}", our_rate / their_rate, "x", at_least(10), same),
    ]
