"""CheckBatch, LookupStudents, Explain and WhoCanSee: authz's questions beyond Check and FilterNotes, answered
from the organisation's facts in memory after honouring the request's consistency token."""

from typing import Protocol

from elevhalsa.authz.v1 import authz_pb2 as pb

from services.authz.domain import oversight, questions
from services.authz.domain.memory import OrgModel
from services.authz.entrypoints import questions_mapping as qm
from services.common.auth import current_caller
from services.common.callers import caller_key
from services.common.clock import today

# They decide from the caller's live facts themselves (an inactive caller is refused by the rules), so the
# server need not look the caller up first.
QUESTION_METHODS = tuple(
    f"/elevhalsa.authz.v1.AuthzService/{name}"
    for name in ("CheckBatch", "LookupStudents", "Explain", "WhoCanSee")
)


class FreshFacts(Protocol):
    async def fresh(self, org_id: str, consistency_token: str, deadline: float | None = None) -> OrgModel:
        """The organisation's facts, at least as fresh as the token."""
        ...


class QuestionsServicer:
    """Mixed into AuthzServicer, which holds the live model as `_live`."""

    _live: FreshFacts

    async def _facts(self, request, context) -> tuple[str, OrgModel]:
        """(the caller's user id, the caller's organisation's facts at least as fresh as the request's token)."""
        caller = current_caller()
        _, user_id = caller_key(caller)
        org = await self._live.fresh(caller.org_id, request.consistency_token, context.time_remaining())
        return str(user_id), org

    async def CheckBatch(self, request, context):
        items = qm.check_items(request.items)
        caller_id, org = await self._facts(request, context)
        day = today()
        return pb.CheckBatchResponse(
            results=[
                qm.result_to_proto(questions.check(org, caller_id, unit, folder, action, day, case))
                for unit, folder, action, case in items
            ]
        )

    async def LookupStudents(self, request, context):
        students = qm.student_refs(request.students)
        caller_id, org = await self._facts(request, context)
        day = today()
        # Whether an all-units assignment lets the caller see every unit, the ones created later too: the
        # question's own reading, so that the flag and the unit list never disagree.
        _, all_units = questions._seen_units(org, caller_id, day)
        return pb.LookupStudentsResponse(
            visible_student_ids=questions.lookup_students(org, caller_id, students, day),
            unit_ids=sorted(questions.lookup_units(org, caller_id, day)),
            all_units=all_units,
        )

    async def Explain(self, request, context):
        unit_id, folder_id, action, case_id = qm.check_input(request)
        asked = qm.optional_id(request.user_id, "user_id")
        caller_id, org = await self._facts(request, context)
        user_id = asked or caller_id
        oversight.require_may_explain(org, caller_id, user_id)
        explanation = questions.explain(org, user_id, unit_id, folder_id, action, today(), case_id)
        fact = org.held(user_id).get(explanation.assignment_id) if explanation.assignment_id else None
        return qm.explanation_to_proto(user_id, explanation, fact)

    async def WhoCanSee(self, request, context):
        unit_id = qm.canonical_id(request.unit_id, "unit_id")
        folder_id = qm.canonical_id(request.folder_id, "folder_id")
        caller_id, org = await self._facts(request, context)
        day = today()
        oversight.require_may_ask_who_can_see(org, caller_id, unit_id, folder_id, day)
        seers = questions.who_can_see(org, unit_id, folder_id, day)
        return pb.WhoCanSeeResponse(
            seers=[qm.seer_to_proto(seer, org.by_user[seer.user_id][seer.assignment_id]) for seer in seers]
        )
