"""The caller's live state from authz's read model (authz.users: active, permission level)."""

import asyncio
import time
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.authz.adapters.orm import KnownUser
from services.authz.service_layer.freshness import POLL_SECONDS, FreshnessGate
from services.common.auth import Caller
from services.common.callers import caller_key, with_live_state
from services.common.consistency import required_token
from services.common.errors import Unavailable


class ReadModelCallers:
    """Answers at least as fresh as the request's consistency token. A user the model does not know is
    waited for (up to `wait_seconds`), then the call fails as unavailable: identity signed their token, so
    the model is behind (users are deactivated, never deleted), and "no" must not read as "not a user"."""

    def __init__(self, reads: AsyncEngine, freshness: FreshnessGate, wait_seconds: float):
        self._reads = reads
        self._freshness = freshness
        self._wait_seconds = wait_seconds

    async def state(
        self, caller: Caller, consistency_token: str = "", deadline: float | None = None
    ) -> tuple[bool, str]:
        """(active, permission level); Unavailable if the model still does not know the user."""
        await self._freshness.wait_for(required_token(consistency_token, caller.org_id), deadline)
        org_id, user_id = caller_key(caller)
        wait = self._wait_seconds if deadline is None else min(self._wait_seconds, deadline)
        give_up = time.monotonic() + wait
        while True:
            row = await self._read(org_id, user_id)
            if row is not None:
                return row.active, row.permission_level
            if time.monotonic() >= give_up:
                raise Unavailable("authorization data does not know this user yet; retry")
            await asyncio.sleep(POLL_SECONDS)

    async def live(self, caller: Caller, consistency_token: str = "") -> Caller:
        """The caller at their current level; Unauthenticated if unknown or inactive."""
        return with_live_state(caller, *await self.state(caller, consistency_token))

    async def _read(self, org_id: uuid.UUID, user_id: uuid.UUID):
        query = select(KnownUser.active, KnownUser.permission_level).where(
            KnownUser.org_id == org_id, KnownUser.user_id == user_id
        )
        async with self._reads.connect() as conn:
            return (await conn.execute(query)).first()
