"""The caller's live state: a token names who signed in and at what level, but the user's current record
decides whether the call goes ahead, so deactivating or demoting someone takes effect at their next call."""

import dataclasses
import uuid
from typing import Protocol

from services.common.auth import Caller, PermissionLevel
from services.common.errors import Unauthenticated

INACTIVE = "the user is not active"


class LiveCallers(Protocol):
    """Looks up the caller's current state; each service answers from the data it has."""

    async def live(self, caller: Caller, consistency_token: str = "") -> Caller:
        """The caller with their live permission level; Unauthenticated if unknown or inactive."""
        ...


def caller_key(caller: Caller) -> tuple[uuid.UUID, uuid.UUID]:
    """(org id, user id) of the caller; a token naming something else names no user."""
    try:
        return uuid.UUID(caller.org_id), uuid.UUID(caller.user_id)
    except ValueError:
        raise Unauthenticated(INACTIVE) from None


def with_live_state(caller: Caller, active: bool | None, level: str | None) -> Caller:
    """The caller at their live level, or Unauthenticated if they are unknown (None) or inactive."""
    if not active or not level:
        raise Unauthenticated(INACTIVE)
    try:
        live_level = PermissionLevel(level)
    except ValueError:
        raise Unauthenticated(INACTIVE) from None
    if live_level is caller.permission_level:
        return caller
    return dataclasses.replace(caller, permission_level=live_level)
