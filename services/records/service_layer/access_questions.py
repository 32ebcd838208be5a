"""Questions about who may read a student's folders: who can, and why a user may or may not.

Authz answers on the student's unit and decides who may ask (administrators, and for who-can-see readers of
the folder, for explain the user themself). The answers are about a student, so they are access-logged like a
read, and a refusal like a denied attempt."""

import uuid

from elevhalsa.authz.v1 import authz_pb2

from services.common.auth import Caller
from services.common.errors import PermissionDenied
from services.records.adapters.clients import AuthzClient
from services.records.adapters.orm import Student
from services.records.domain.model import AccessAction, AccessOutcome
from services.records.service_layer.handlers import UnitsOfWork, access_entry, refuse, repository


async def who_can_see_folder(
    units: UnitsOfWork,
    caller: Caller,
    authz: AuthzClient,
    student_id: uuid.UUID,
    folder_id: uuid.UUID,
    token: str,
) -> authz_pb2.WhoCanSeeResponse:
    """Every user who may read the folder of the student, by the assignment and grant that let them."""
    student = await _student(units, caller, student_id, folder_id)
    action = AccessAction.WHO_CAN_SEE
    try:
        answer = await authz.who_can_see(student.unit_id, folder_id, token)
    except PermissionDenied as denied:
        await refuse(units, caller, student, folder_id, action, denied.message, denied.message)
    users = len({seer.user_id for seer in answer.seers})
    await _log(units, caller, student, folder_id, action, f"listed the {users} users who may read the folder")
    return answer


async def explain_access(
    units: UnitsOfWork,
    caller: Caller,
    authz: AuthzClient,
    student_id: uuid.UUID,
    user_id: uuid.UUID | None,
    folder_id: uuid.UUID | None,
    action: str,
    token: str,
) -> authz_pb2.ExplainResponse:
    """Why the user (None: the caller) may or may not take the action on the folder of the student."""
    student = await _student(units, caller, student_id, folder_id)
    logged = AccessAction.EXPLAIN_ACCESS
    try:
        answer = await authz.explain(user_id, student.unit_id, folder_id, action, token)
    except PermissionDenied as denied:
        await refuse(units, caller, student, folder_id, logged, denied.message, denied.message)
    whose = "own" if answer.user_id == caller.user_id else f"user {answer.user_id}'s"
    decided = "allowed" if answer.allowed else "denied"
    reason = f"explained {whose} {action} access: {decided}, {answer.reason}"
    await _log(units, caller, student, folder_id, logged, reason)
    return answer


async def _student(
    units: UnitsOfWork, caller: Caller, student_id: uuid.UUID, folder_id: uuid.UUID | None
) -> Student:
    """The student and that the folder exists, in the caller's organisation; NotFound otherwise."""
    async with units() as uow:
        repo = repository(uow, caller)
        student = await repo.student(student_id)
        if folder_id is not None:
            await repo.folder(folder_id)
    return student


async def _log(
    units: UnitsOfWork, caller: Caller, student: Student, folder_id, action: AccessAction, reason: str
) -> None:
    async with units() as uow:
        entry = access_entry(caller, student, folder_id, action, AccessOutcome.ALLOWED, reason)
        repository(uow, caller).append_to_access_log(entry)
        await uow.commit()
