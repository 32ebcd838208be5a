"""Authz's administrative permissions, read from its own tables into the in-memory model at start."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.authz.adapters.orm import ManageableRole, ModuleLevelRow
from services.authz.domain.memory import AuthzModel


async def load_snapshot(conn: AsyncConnection, model: AuthzModel) -> None:
    """Every organisation's module levels and subadmin scopes."""
    levels = await conn.execute(select(ModuleLevelRow.org_id, ModuleLevelRow.module, ModuleLevelRow.level))
    for org_id, module, level in levels:
        model.set_module_level(str(org_id), module, level)
    scopes: dict[tuple[str, str], list[str]] = {}
    rows = await conn.execute(
        select(ManageableRole.org_id, ManageableRole.role_id, ManageableRole.manageable_role_id)
    )
    for org_id, role_id, manageable in rows:
        scopes.setdefault((str(org_id), str(role_id)), []).append(str(manageable))
    for (org_id, role_id), role_ids in scopes.items():
        model.set_manageable_roles(org_id, role_id, role_ids)
