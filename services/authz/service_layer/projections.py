"""Building authz's read model from identity's and records' events.

A batch is folded into the final state of each row first (events carry the whole state of what they
describe, so the last one wins), then written with one statement per table. Applying the same events
again gives the same rows.
"""

import uuid
from dataclasses import dataclass, field

from elevhalsa.identity.v1 import events_pb2 as identity_events
from elevhalsa.identity.v1 import identity_pb2
from elevhalsa.records.v1 import events_pb2 as records_events
from sqlalchemy.ext.asyncio import AsyncSession

from services.authz.adapters.read_model import ReadModel
from services.common.auth import PermissionLevel
from services.common.convert import date_from_proto
from services.common.enums import ProtoEnum
from services.common.errors import InvalidArgument

LEVELS = ProtoEnum(identity_pb2.PermissionLevel, PermissionLevel)


def level_of(number: int) -> str:
    """The user's permission level; a level this version does not know gets the least rights."""
    try:
        return LEVELS.to_domain(number, "permission_level", default=PermissionLevel.MEMBER).value
    except InvalidArgument:
        return PermissionLevel.MEMBER.value


@dataclass
class Changes:
    """The rows a batch leaves behind, keyed by primary key; None marks a deleted assignment."""

    units: dict = field(default_factory=dict)
    roles: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    folders: dict = field(default_factory=dict)
    template_menus: dict = field(default_factory=dict)
    assignments: dict = field(default_factory=dict)


def fold(events: list) -> Changes:
    """The final state of every row the events touch, in stream order."""
    changes = Changes()
    for event in events:
        org_id = uuid.UUID(event.meta.org_id)
        match event:
            case identity_events.UnitCreated():
                unit_id = uuid.UUID(event.unit_id)
                changes.units[(org_id, unit_id)] = {
                    "org_id": org_id,
                    "unit_id": unit_id,
                    "active": event.active,
                }
            case identity_events.UserRoleCreated():
                role_id = uuid.UUID(event.role_id)
                changes.roles[(org_id, role_id)] = {"org_id": org_id, "role_id": role_id}
            case identity_events.UserChanged():
                user_id = uuid.UUID(event.user_id)
                level = level_of(event.permission_level)
                changes.users[(org_id, user_id)] = {
                    "org_id": org_id,
                    "user_id": user_id,
                    "active": event.active,
                    "permission_level": level,
                    "may_sign_notes": event.may_sign_notes,
                }
            case identity_events.AssignmentGranted():
                changes.assignments[uuid.UUID(event.assignment_id)] = assignment_row(org_id, event)
            case identity_events.AssignmentRevoked():
                changes.assignments[uuid.UUID(event.assignment_id)] = None
            case records_events.FolderCreated():
                folder_id = uuid.UUID(event.folder_id)
                changes.folders[(org_id, folder_id)] = {"org_id": org_id, "folder_id": folder_id}
            case records_events.TemplateMenuCreated():
                menu_id = uuid.UUID(event.menu_id)
                changes.template_menus[(org_id, menu_id)] = {"org_id": org_id, "menu_id": menu_id}
    return changes


def assignment_row(org_id: uuid.UUID, event: identity_events.AssignmentGranted) -> dict:
    return {
        "assignment_id": uuid.UUID(event.assignment_id),
        "org_id": org_id,
        "user_id": uuid.UUID(event.user_id),
        "role_id": uuid.UUID(event.role_id),
        "unit_id": None if event.all_units else uuid.UUID(event.unit_id),
        "valid_from": date_from_proto(event.valid_from, "valid_from"),
        "valid_to": date_from_proto(event.valid_to, "valid_to"),
    }


async def project(session: AsyncSession, events: list) -> None:
    """Apply a batch of identity or records events to the read model."""
    await ReadModel(session).write(fold(events))


async def reset(session: AsyncSession, source: str, org_id: str) -> None:
    """Forget what the read model holds from `source` for the organisation; a replay rebuilds it."""
    await ReadModel(session).forget(source, uuid.UUID(org_id))
