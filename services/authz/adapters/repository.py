"""Authz's own facts of one organisation: grants, module levels and subadmin scopes."""

import uuid

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.authz.adapters.orm import Grant, ManageableRole, ModuleLevelRow
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
    """Grants, module levels and subadmin scopes of one organisation."""

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

    async def set_module_level(self, module: str, level: str) -> None:
        statement = pg_insert(ModuleLevelRow).values(org_id=self.org_id, module=module, level=level)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["org_id", "module"], set_={"level": statement.excluded.level}
            )
        )

    async def replace_manageable_roles(self, role_id: uuid.UUID, role_ids: set[uuid.UUID]) -> None:
        """The role's whole scope: rows not named go, named ones stay or come."""
        await self.session.execute(
            delete(ManageableRole).where(
                ManageableRole.org_id == self.org_id, ManageableRole.role_id == role_id
            )
        )
        if role_ids:
            rows = [
                {"org_id": self.org_id, "role_id": role_id, "manageable_role_id": other} for other in role_ids
            ]
            await self.session.execute(pg_insert(ManageableRole).values(rows))
