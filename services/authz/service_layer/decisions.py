"""Check, FilterNotes and the caller's live state: answered from the live model, at least as fresh as the
request's consistency token."""

import time
import uuid
from dataclasses import dataclass

from services.authz.domain import questions
from services.authz.domain.model import Action, FolderAccess, NoteFact
from services.authz.domain.questions import Verdict
from services.authz.service_layer.live_model import LiveModel
from services.common.auth import Caller
from services.common.callers import caller_key, with_live_state
from services.common.clock import today


@dataclass(frozen=True)
class Resource:
    unit_id: uuid.UUID
    folder_id: uuid.UUID | None
    case_id: str | None = None

    @property
    def folder(self) -> str | None:
        return str(self.folder_id) if self.folder_id else None


def ids_of(caller: Caller) -> tuple[str, str]:
    """(org id, user id) as the model keys them: canonical UUID strings."""
    org_id, user_id = caller_key(caller)
    return str(org_id), str(user_id)


class Decisions:
    """Every answer comes from memory; only waiting for a consistency token can take time."""

    def __init__(self, live: LiveModel, unknown_user_wait: float):
        self._live = live
        self._unknown_user_wait = unknown_user_wait

    async def check(
        self, caller: Caller, resource: Resource, action: Action, token: str, deadline: float | None = None
    ) -> Verdict:
        """(allowed, reason, template menu ids) for one action; a refusal names no menu."""
        org_id, user_id = ids_of(caller)
        org = await self._live.fresh(org_id, token, deadline)
        return questions.check(
            org, user_id, str(resource.unit_id), resource.folder, action, today(), resource.case_id
        )

    async def filter_notes(
        self,
        caller: Caller,
        resource: Resource,
        notes: list[NoteFact],
        token: str,
        deadline: float | None = None,
    ) -> tuple[FolderAccess, list[str]]:
        """The folder access and the ids of the notes the caller may read."""
        org_id, user_id = ids_of(caller)
        org = await self._live.fresh(org_id, token, deadline)
        return questions.filter_notes(org, user_id, str(resource.unit_id), resource.folder, notes, today())

    async def state(self, caller: Caller, token: str = "", deadline: float | None = None) -> tuple[bool, str]:
        """(active, permission level) of the caller. A user the model does not know is waited for, then the
        call fails as unavailable: identity signed their token, so the model is behind (users are deactivated,
        never deleted), and "no" must not read as "not a user"."""
        org_id, user_id = ids_of(caller)
        started = time.monotonic()
        await self._live.fresh(org_id, token, deadline)
        remaining = None if deadline is None else deadline - (time.monotonic() - started)
        await self._live.until_known(org_id, user_id, self._unknown_user_wait, remaining)
        user = self._live.model.user(org_id, user_id)
        return user.active, user.permission_level

    async def live(self, caller: Caller, consistency_token: str = "") -> Caller:
        """The caller at their current level (services.common.callers.LiveCallers); Unauthenticated if
        inactive."""
        return with_live_state(caller, *await self.state(caller, consistency_token))
