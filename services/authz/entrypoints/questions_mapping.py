"""The questions' requests and answers: ids checked and made canonical (the model keys facts by the canonical
UUID string), lists bounded, answers turned into messages."""

from collections.abc import Sequence

from elevhalsa.authz.v1 import authz_pb2 as pb

from services.authz.domain.model import Action, AssignmentFact, GrantRule
from services.authz.domain.questions import Explanation, Seer, Verdict
from services.authz.service_layer.grants import grant_to_proto
from services.common.convert import date_to_proto, parse_uuid
from services.common.enums import ProtoEnum
from services.common.errors import InvalidArgument

ACTIONS = ProtoEnum(pb.Action, Action)
ACTION_OF = {ACTIONS.number(action): action for action in Action}  # the valid numbers, looked up per item
MAX_ITEMS = 1_000  # checks of one CheckBatch, students of one LookupStudents: a page, not a table

CheckInput = tuple[str, str | None, Action, str | None]  # (unit, folder, action, case)


def canonical_id(value: str, field: str) -> str:
    """A required id as the model keys it."""
    return str(parse_uuid(value, field))


def optional_id(value: str, field: str) -> str | None:
    return canonical_id(value, field) if value else None


def bounded(items: Sequence, field: str) -> None:
    """At most MAX_ITEMS entries, or InvalidArgument naming the field and the limit."""
    if len(items) > MAX_ITEMS:
        raise InvalidArgument(
            f"{field}: at most {MAX_ITEMS:,} per call, got {len(items):,}; split the list into pages",
            field=field,
        )


def check_input(message, at: str = "", seen: dict[str, str] | None = None) -> CheckInput:
    """A CheckItem's or a request's (unit, folder, action, case); `at` prefixes the field names, `seen` holds
    ids already made canonical (a batch names the same few units and folders again and again)."""
    seen = {} if seen is None else seen
    return (
        _id(message.unit_id, f"{at}unit_id", seen),
        _id(message.folder_id, f"{at}folder_id", seen) if message.folder_id else None,
        ACTION_OF.get(message.action) or ACTIONS.to_domain(message.action, f"{at}action"),
        _id(message.case_id, f"{at}case_id", seen) if message.case_id else None,
    )


def _id(value: str, field: str, seen: dict[str, str]) -> str:
    found = seen.get(value)
    if found is None:
        found = seen[value] = canonical_id(value, field)
    return found


def check_items(items: Sequence[pb.CheckItem]) -> list[CheckInput]:
    """The batch's items in order; a malformed one is named by its index."""
    bounded(items, "items")
    seen: dict[str, str] = {}
    return [check_input(item, f"items[{index}].", seen) for index, item in enumerate(items)]


def student_refs(students: Sequence[pb.StudentRef]) -> list[tuple[str, str]]:
    """(student id, unit id) pairs in order; a malformed one is named by its index."""
    bounded(students, "students")
    units: dict[str, str] = {}
    return [
        (
            canonical_id(ref.student_id, f"students[{index}].student_id"),
            _id(ref.unit_id, f"students[{index}].unit_id", units),
        )
        for index, ref in enumerate(students)
    ]


def result_to_proto(verdict: Verdict) -> pb.CheckResult:
    allowed, reason, menus = verdict
    return pb.CheckResult(allowed=allowed, reason=reason, template_menu_ids=menus)


def _grant(rule: GrantRule | None) -> pb.Grant | None:
    return grant_to_proto(rule) if rule else None


def _period(fact: AssignmentFact | None) -> dict:
    """The assignment's unit and dates, as fields of Seer and ExplainResponse."""
    if fact is None:
        return {}
    return {
        "unit_id": fact.unit_id or "",
        "all_units": fact.unit_id is None,
        "valid_from": date_to_proto(fact.valid_from),
        "valid_to": date_to_proto(fact.valid_to),
    }


def seer_to_proto(seer: Seer, fact: AssignmentFact) -> pb.Seer:
    return pb.Seer(
        user_id=seer.user_id,
        assignment_id=seer.assignment_id,
        role_id=seer.role_id,
        grant=grant_to_proto(seer.grant),
        **_period(fact),
    )


def explanation_to_proto(
    user_id: str, explanation: Explanation, fact: AssignmentFact | None
) -> pb.ExplainResponse:
    return pb.ExplainResponse(
        user_id=user_id,
        allowed=explanation.allowed,
        reason=explanation.reason,
        assignment_id=explanation.assignment_id or "",
        role_id=explanation.role_id or "",
        grant=_grant(explanation.grant),
        **_period(fact),
    )
