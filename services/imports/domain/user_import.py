"""Planning a user import without I/O: which users to create, change or deactivate, and what to report."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from services.common.convert import CONTROL_CHARACTERS
from services.common.email import normalise_email
from services.common.errors import InvalidArgument
from services.imports.domain.codes import (
    DUPLICATE_EMAIL,
    DUPLICATE_IN_FILE,
    INVALID_USER_DATA,
    MISSING_EXTERNAL_ID,
    UNKNOWN_ROLE,
    UNKNOWN_UNIT,
    RunMessage,
)
from services.imports.domain.user_file import FileAssignment, FileUser

MAX_TEXT = 200  # what identity stores for names and ids


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NEEDS_REVIEW = "needs_review"  # applied except its deactivations, which wait for an administrator


WORKING = (RunStatus.QUEUED, RunStatus.RUNNING)


@dataclass(frozen=True)
class ReviewLimits:
    """Beyond these shares a run looks like a broken export: it deactivates nobody until confirmed.

    Faulty users count too: an export that garbles its users (no ids, broken rows) also drops them, and the
    people behind them would be deactivated as "missing"; one in ten users being unreadable is far beyond what
    a healthy source system produces, yet a few typos in a large file do not stop the nightly run.
    """

    max_deactivated_share: float = 0.10
    max_faulty_share: float = 0.10


@dataclass(frozen=True)
class Assignment:
    """An assignment with internal ids."""

    role_id: str
    unit_id: str | None
    all_units: bool
    valid_from: date | None
    valid_to: date | None


@dataclass(frozen=True)
class JournalUser:
    """An imported user as identity holds them."""

    user_id: str
    external_id: str
    first_name: str
    last_name: str
    email: str | None
    active: bool
    manually_managed: bool
    assignments: frozenset[Assignment]


@dataclass(frozen=True)
class DesiredUser:
    """A user as the file wants them, ready to send to identity."""

    external_id: str
    first_name: str
    last_name: str
    email: str | None
    active: bool
    assignments: frozenset[Assignment]


@dataclass
class UserCounts:
    active: int = 0
    inactive: int = 0
    manually_managed: int = 0
    total: int = 0


@dataclass
class Plan:
    upserts: list[DesiredUser] = field(default_factory=list)
    deactivate_user_ids: list[str] = field(default_factory=list)
    messages: list[RunMessage] = field(default_factory=list)
    counts: UserCounts = field(default_factory=UserCounts)
    faulty_users: int = 0
    unchanged: int = 0
    managed_active: int = 0  # the journal's active users that imports manage: what a deactivation share is of


def review_reason(plan: Plan, limits: ReviewLimits) -> str | None:
    """Why the plan's deactivations must wait for an administrator, or None when they may be applied."""
    deactivating = len(plan.deactivate_user_ids)
    if not deactivating:
        return None
    reasons = []
    if deactivating > limits.max_deactivated_share * plan.managed_active:
        reasons.append(
            f"would deactivate {deactivating} of {plan.managed_active} imported users "
            f"(more than {limits.max_deactivated_share:.0%})"
        )
    if plan.faulty_users > limits.max_faulty_share * plan.counts.total:
        reasons.append(
            f"faulty {plan.faulty_users} of {plan.counts.total} users in the file "
            f"(more than {limits.max_faulty_share:.0%})"
        )
    return "; ".join(reasons) or None


def normalised_email(value: str | None) -> str | None:
    """Lower-cased e-mail, or None if empty; ValueError if it is not an address."""
    if not value:
        return None
    try:
        return normalise_email(value)
    except InvalidArgument as error:
        raise ValueError(error.message) from None


def plan_user_import(
    users: list[FileUser],
    journal: dict[str, JournalUser],
    role_ids: dict[str, str],
    unit_ids: dict[str, str],
) -> Plan:
    """Decide the run. `role_ids` and `unit_ids` map external UUIDs (lower case) to internal ids."""
    plan = Plan()
    plan.counts.total = len(users)
    counts = Counter(u.external_id for u in users if u.external_id)
    emails = Counter(_email_or_none(u) for u in users if u.active)
    for user in users:
        current = journal.get(user.external_id) if user.external_id else None
        if current is not None and current.manually_managed:
            plan.counts.manually_managed += 1  # the import leaves them alone, problems included
            continue
        desired = _check_user(user, counts, emails, plan)
        if desired is None:
            plan.faulty_users += 1
            continue
        _count(plan, desired)
        desired = _resolve_assignments(user, desired, role_ids, unit_ids, plan)
        if current is not None and _same(current, desired):
            plan.unchanged += 1
            continue
        plan.upserts.append(desired)
    in_file = {u.external_id for u in users if u.external_id}
    managed = [j for j in journal.values() if j.active and not j.manually_managed]
    plan.managed_active = len(managed)
    plan.deactivate_user_ids = sorted(j.user_id for j in managed if j.external_id not in in_file)
    return plan


def _email_or_none(user: FileUser) -> str | None:
    try:
        return normalised_email(user.email)
    except ValueError:
        return None


def _check_user(user: FileUser, counts: Counter, emails: Counter, plan: Plan) -> DesiredUser | None:
    """The user as wanted, or None (with an error message) if the user cannot be imported."""
    who = user.external_id
    if not who:
        plan.messages.append(
            RunMessage(MISSING_EXTERNAL_ID, None, f"user number {user.position} in the file")
        )
        return None
    if counts[who] > 1:
        plan.messages.append(RunMessage(DUPLICATE_IN_FILE, who, f"appears {counts[who]} times in the file"))
        return None
    problem = None
    try:
        email = normalised_email(user.email)
    except ValueError as error:
        email, problem = None, f"email: {error}"
    if not user.first_name or not user.last_name:
        problem = "firstName and lastName must not be empty"
    elif too_long := [name for name, value in fields_of(user) if len(value) > MAX_TEXT]:
        problem = f"{', '.join(too_long)} longer than {MAX_TEXT} characters"
    elif with_control := [name for name, value in fields_of(user) if CONTROL_CHARACTERS.search(value)]:
        problem = f"{', '.join(with_control)} contains control characters"
    if problem:
        plan.messages.append(RunMessage(INVALID_USER_DATA, who, problem))
        return None
    if user.active and email and emails[email] > 1:
        plan.messages.append(
            RunMessage(DUPLICATE_EMAIL, who, "another active user in the file has the same e-mail")
        )
        return None
    return DesiredUser(who, user.first_name, user.last_name, email, user.active, frozenset())


def fields_of(user: FileUser) -> list[tuple[str, str]]:
    values = [("externalId", user.external_id), ("firstName", user.first_name), ("lastName", user.last_name)]
    return [(name, value) for name, value in [*values, ("email", user.email)] if value]


def _count(plan: Plan, desired: DesiredUser) -> None:
    if desired.active:
        plan.counts.active += 1
    else:
        plan.counts.inactive += 1


def _resolve_assignments(user: FileUser, desired: DesiredUser, role_ids, unit_ids, plan: Plan) -> DesiredUser:
    """Map external UUIDs to ids; unknown ones are warned about and their assignment skipped."""
    resolved = set()
    for index, wanted in enumerate(user.assignments, 1):
        assignment = _resolve(wanted, role_ids, unit_ids)
        if isinstance(assignment, RunMessage):
            plan.messages.append(
                RunMessage(assignment.code, desired.external_id, f"assignment {index}: {assignment.detail}")
            )
        else:
            resolved.add(assignment)
    return DesiredUser(
        desired.external_id,
        desired.first_name,
        desired.last_name,
        desired.email,
        desired.active,
        frozenset(resolved),
    )


def _resolve(wanted: FileAssignment, role_ids, unit_ids) -> Assignment | RunMessage:
    role_id = role_ids.get(wanted.role_external_id.lower())
    if role_id is None:
        return RunMessage(UNKNOWN_ROLE, None, f"no user role has external id {wanted.role_external_id!r}")
    unit_id = None
    if not wanted.all_units:
        unit_id = unit_ids.get((wanted.unit_external_id or "").lower())
        if unit_id is None:
            return RunMessage(UNKNOWN_UNIT, None, f"no unit has external id {wanted.unit_external_id!r}")
    if wanted.valid_from and wanted.valid_to and wanted.valid_to < wanted.valid_from:
        return RunMessage(INVALID_USER_DATA, None, "the assignment ends before it starts")
    return Assignment(role_id, unit_id, wanted.all_units, wanted.valid_from, wanted.valid_to)


def _same(current: JournalUser, desired: DesiredUser) -> bool:
    return (
        current.first_name == desired.first_name
        and current.last_name == desired.last_name
        and (current.email or None) == desired.email
        and current.active == desired.active
        and current.assignments == desired.assignments
    )
