"""Check and FilterNotes: load the caller's facts once, decide in memory."""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.authz.adapters.repository import load_subject, unit_in_org
from services.authz.domain.model import (
    Action,
    FolderAccess,
    NoteFact,
    allowed_notes,
    case_write_allowed,
    folder_access,
)
from services.authz.service_layer.freshness import FreshnessGate
from services.common.auth import Caller
from services.common.clock import today
from services.common.consistency import required_token


@dataclass(frozen=True)
class Resource:
    unit_id: uuid.UUID
    folder_id: uuid.UUID | None
    case_id: str | None = None


class Decisions:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], freshness: FreshnessGate):
        self._sessions = sessions
        self._freshness = freshness

    async def _access(self, caller: Caller, resource: Resource, action: Action, token: str, deadline):
        await self._freshness.wait_for(required_token(token, caller.org_id), deadline)
        org_id = uuid.UUID(caller.org_id)
        async with self._sessions() as session:
            subject = await load_subject(session, org_id, uuid.UUID(caller.user_id))
            org_units = await self._org_units(session, org_id, resource.unit_id, subject)
        folder = str(resource.folder_id) if resource.folder_id else None
        return subject, folder_access(subject, str(resource.unit_id), folder, action, today(), org_units)

    @staticmethod
    async def _org_units(session, org_id, unit_id, subject) -> frozenset[str]:
        """The unit, if it is the organisation's; only looked up when an all-units assignment needs it."""
        if any(a.unit_id is None for a in subject.assignments) and await unit_in_org(
            session, org_id, unit_id
        ):
            return frozenset({str(unit_id)})
        return frozenset()

    async def check(self, caller: Caller, resource: Resource, action: Action, token: str, deadline=None):
        """(allowed, reason) for one action."""
        subject, access = await self._access(caller, resource, action, token, deadline)
        if not access.allowed:
            return False, access.reason
        if action is Action.WRITE and not case_write_allowed(
            access, resource.case_id, subject.member_case_ids
        ):
            return False, "the grant only allows writing in cases the user is a member of"
        return True, access.reason

    async def filter_notes(
        self, caller: Caller, resource: Resource, notes: list[NoteFact], token: str, deadline=None
    ) -> tuple[FolderAccess, list[str]]:
        """The folder access and the ids of the notes the caller may read."""
        subject, access = await self._access(caller, resource, Action.READ, token, deadline)
        return access, allowed_notes(access, notes, subject.member_case_ids)
