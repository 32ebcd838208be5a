"""Check and FilterNotes: load the caller's facts once, decide in memory."""

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from services.authz.adapters.repository import load_subject
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
    """Decides from the read model; `reads` is an engine in autocommit mode, so a decision costs one round trip."""

    def __init__(self, reads: AsyncEngine, freshness: FreshnessGate):
        self._reads = reads
        self._freshness = freshness

    async def _access(self, caller: Caller, resource: Resource, action: Action, token: str, deadline):
        await self._freshness.wait_for(required_token(token, caller.org_id), deadline)
        async with self._reads.connect() as conn:
            subject, org_units = await load_subject(
                conn, uuid.UUID(caller.org_id), uuid.UUID(caller.user_id), resource.unit_id
            )
        folder = str(resource.folder_id) if resource.folder_id else None
        return subject, folder_access(subject, str(resource.unit_id), folder, action, today(), org_units)

    async def check(
        self, caller: Caller, resource: Resource, action: Action, token: str, deadline=None
    ) -> tuple[bool, str, tuple[str, ...]]:
        """(allowed, reason, template menu ids) for one action; a refusal names no menu."""
        subject, access = await self._access(caller, resource, action, token, deadline)
        if not access.allowed:
            return False, access.reason, ()
        if action.writes and not case_write_allowed(access, resource.case_id, subject.member_case_ids):
            return False, "the grant only allows writing in cases the user is a member of", ()
        return True, access.reason, access.template_menu_ids

    async def filter_notes(
        self, caller: Caller, resource: Resource, notes: list[NoteFact], token: str, deadline=None
    ) -> tuple[FolderAccess, list[str]]:
        """The folder access and the ids of the notes the caller may read."""
        subject, access = await self._access(caller, resource, Action.READ, token, deadline)
        return access, allowed_notes(access, notes, subject.member_case_ids)
