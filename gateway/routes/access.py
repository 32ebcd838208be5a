"""Who can read a student's folder, and why a user may or may not (authz's answers, named by identity)."""

import asyncio
import uuid
from typing import Annotated

from elevhalsa.authz.v1 import authz_pb2 as apb
from elevhalsa.identity.v1 import identity_pb2 as ipb
from elevhalsa.records.v1 import records_pb2 as rpb
from fastapi import APIRouter, Query

from gateway.routes.access_models import ActionName, Explanation, Names, Reader, WhoCanSee
from gateway.routes.common import BackendsDep, CallerDep, ConsistencyDep
from services.common.auth import Caller
from services.common.enums import ProtoEnum
from services.common.errors import InvalidArgument, NotFound

router = APIRouter(prefix="/api/v1", tags=["authz"])

ACTIONS = ProtoEnum(apb.Action)


async def names_of(services, caller: Caller, user_ids: list[str]) -> Names:
    """The users' and every role's names, asked of identity at once."""
    users, roles = await asyncio.gather(
        services.call(services.identity.GetUserNames, ipb.GetUserNamesRequest(user_ids=user_ids), caller),
        services.call(services.identity.ListUserRoles, ipb.ListUserRolesRequest(), caller),
    )
    return Names(list(users.users), list(roles.roles))


@router.get("/students/{student_id}/folders/{folder_id}/who-can-see", response_model=WhoCanSee)
async def who_can_see(
    student_id: str, folder_id: str, caller: CallerDep, services: BackendsDep, consistency: ConsistencyDep
):
    """Every user who may read the folder of the student today, with the assignment and grant that let them.
    For administrators and users who may read the folder themselves; logged in the access log."""
    request = rpb.WhoCanSeeFolderRequest(
        student_id=student_id, folder_id=folder_id, consistency_token=consistency
    )
    reply = await services.call(services.records.WhoCanSeeFolder, request, caller)
    names = await names_of(services, caller, list(dict.fromkeys(seer.user_id for seer in reply.seers)))
    return WhoCanSee(
        student_id=student_id, folder_id=folder_id, users=[Reader.of(seer, names) for seer in reply.seers]
    )


ID = "Either student_id (the student's unit; logged in the access log) or unit_id."


@router.get("/authz/explain", response_model=Explanation)
async def explain(
    caller: CallerDep,
    services: BackendsDep,
    consistency: ConsistencyDep,
    action: Annotated[ActionName, Query()] = "read",
    user_id: Annotated[uuid.UUID | None, Query(description="Whose access; default: the caller's.")] = None,
    student_id: Annotated[uuid.UUID | None, Query(description=ID)] = None,
    unit_id: Annotated[uuid.UUID | None, Query(description=ID)] = None,
    folder_id: Annotated[
        uuid.UUID | None, Query(description="Default with read: may the user see the student at all.")
    ] = None,
):
    """Why a user may or may not read, write or sign in a folder of a student (or a unit's students): the
    assignment and grant that allow it, or what is missing. Anyone may explain their own access; only
    administrators someone else's."""
    if (student_id is None) == (unit_id is None):
        raise InvalidArgument("give either student_id or unit_id", field="student_id")
    folder = str(folder_id or "")
    if student_id is not None:
        request = rpb.ExplainStudentAccessRequest(
            student_id=str(student_id),
            user_id=str(user_id or ""),
            folder_id=folder,
            action=ACTIONS.number(action),
            consistency_token=consistency,
        )
        answer = await services.call(services.records.ExplainStudentAccess, request, caller)
    else:
        await services.call(services.identity.GetUnit, ipb.GetUnitRequest(unit_id=str(unit_id)), caller)
        request = apb.ExplainRequest(
            user_id=str(user_id or ""),
            unit_id=str(unit_id),
            folder_id=folder,
            action=ACTIONS.number(action),
            consistency_token=consistency,
        )
        answer = await services.call(services.authz.Explain, request, caller)
    names = await names_of(services, caller, [answer.user_id])
    if user_id is not None and not names.knows_user(answer.user_id):
        raise NotFound("user not found", field="user_id")
    return Explanation.of(answer, action, names)
