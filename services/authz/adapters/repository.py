"""Authz's grants, of one organisation."""

import uuid

from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.authz.adapters.orm import Grant
from services.authz.domain.model import Access, GrantRule, Restriction
from services.common.repository import TenantRepository


def grant_rule(row) -> GrantRule:
    """A grant from a row of the grants table (or a query's row with its columns)."""
    return GrantRule(
        str(row.role_id),
        str(row.folder_id),
        Access(row.access),
        Restriction(row.restriction),
        str(row.template_menu_id) if row.template_menu_id else None,
    )


class AuthzRepository(TenantRepository):
    """Grants of one organisation."""

    async def upsert_grant(self, rule: GrantRule) -> None:
        values = {
            "org_id": self.org_id,
            "role_id": uuid.UUID(rule.role_id),
            "folder_id": uuid.UUID(rule.folder_id),
            "access": rule.access.value,
            "restriction": rule.restriction.value,
            "template_menu_id": uuid.UUID(rule.template_menu_id) if rule.template_menu_id else None,
        }
        statement = pg_insert(Grant).values(**values)
        changed = ("access", "restriction", "template_menu_id")
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["org_id", "role_id", "folder_id"],
                set_={name: statement.excluded[name] for name in changed},
            )
        )

    async def grants(self) -> list[GrantRule]:
        rows = await self.all(self.select_of(Grant).order_by(Grant.role_id, Grant.folder_id))
        return [grant_rule(g) for g in rows]
