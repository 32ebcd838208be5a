"""Who may ask about other users' access: explaining it, and listing who can read a folder.

Decided from the organisation's live facts (services.authz.domain.memory), never from a token's claims, so a
demoted or deactivated administrator loses these rights with the change that demoted them.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from services.authz.domain import questions
from services.authz.domain.model import Action
from services.common.errors import PermissionDenied

if TYPE_CHECKING:
    from services.authz.domain.memory import OrgModel

ADMIN = "admin"
EXPLAIN_OTHERS = "only administrators may explain another user's access"
WHO_CAN_SEE = "only administrators and users who may read this folder of the unit's students may see who can"


def is_admin(org: OrgModel, user_id: str) -> bool:
    """An active user whose live permission level is admin."""
    user = org.users.get(user_id)
    return user is not None and user.active and user.permission_level == ADMIN


def require_may_explain(org: OrgModel, caller_id: str, user_id: str) -> None:
    """Anyone may explain their own access; only an administrator someone else's."""
    if user_id != caller_id and not is_admin(org, caller_id):
        raise PermissionDenied(EXPLAIN_OTHERS)


def require_may_ask_who_can_see(
    org: OrgModel, caller_id: str, unit_id: str, folder_id: str, today: date
) -> None:
    """Administrators, and users who may read the folder of the unit's students themselves."""
    if is_admin(org, caller_id):
        return
    allowed, _, _ = questions.check(org, caller_id, unit_id, folder_id, Action.READ, today)
    if not allowed:
        raise PermissionDenied(WHO_CAN_SEE)
