"""The caller's live state from identity's own users table: the source of truth, so a deactivation or a
demotion committed here holds for the very next call."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.common.auth import Caller
from services.common.callers import caller_key, with_live_state
from services.identity.adapters.orm import User


class UsersTableCallers:
    """`reads` is an engine in autocommit mode: one indexed read by primary key, no transaction round trips."""

    def __init__(self, reads: AsyncEngine):
        self._reads = reads

    async def live(self, caller: Caller, consistency_token: str = "") -> Caller:
        """The caller at their current level; Unauthenticated if unknown or inactive."""
        org_id, user_id = caller_key(caller)
        query = select(User.active, User.permission_level).where(User.org_id == org_id, User.id == user_id)
        async with self._reads.connect() as conn:
            row = (await conn.execute(query)).first()
        return with_live_state(caller, *(row or (None, None)))
