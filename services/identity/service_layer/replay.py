"""An organisation's identity state as events, for `replay-org`: each carries the whole state it describes."""

import uuid

from elevhalsa.identity.v1 import events_pb2
from google.protobuf.message import Message
from sqlalchemy.ext.asyncio import AsyncSession

from services.common.errors import NotFound
from services.identity.adapters.repository import IdentityRepository
from services.identity.service_layer.events import assignment_granted, user_changed


async def current_state(session: AsyncSession, org_id: uuid.UUID) -> list[Message]:
    """Units, roles, users and live assignments, in the order a consumer needs them."""
    repo = IdentityRepository(session, org_id)
    if not await repo.organisation_exists():
        raise NotFound("organisation not found", field="org_id")
    return [
        *(events_pb2.UnitCreated(unit_id=str(unit.id), active=unit.active) for unit in await repo.units()),
        *(events_pb2.UserRoleCreated(role_id=str(role.id)) for role in await repo.roles()),
        *(user_changed(user) for user in await repo.users()),
        *(assignment_granted(assignment) for assignment in await repo.active_assignments()),
    ]
