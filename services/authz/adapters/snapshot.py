"""Reading the live model's starting point from PostgreSQL: the read model the durable consumer keeps, authz's
own grants, and how far each organisation's events had been applied, all as of one moment."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.authz.adapters.admin_snapshot import load_snapshot
from services.authz.adapters.orm import (
    KIT,
    Grant,
    KnownAssignment,
    KnownFolder,
    KnownRole,
    KnownTemplateMenu,
    KnownUnit,
    KnownUser,
)
from services.authz.adapters.repository import grant_rule
from services.authz.domain.memory import AuthzModel, OrgGrant
from services.authz.service_layer.live_model import Snapshot
from services.authz.service_layer.projections import Changes

OWN_SOURCE = "authz"
# Read-model table → (the Changes field it fills, its key columns).
TABLES = (
    (KnownUnit, "units", ("org_id", "unit_id")),
    (KnownRole, "roles", ("org_id", "role_id")),
    (KnownUser, "users", ("org_id", "user_id")),
    (KnownFolder, "folders", ("org_id", "folder_id")),
    (KnownTemplateMenu, "template_menus", ("org_id", "menu_id")),
    (KnownAssignment, "assignments", ("assignment_id",)),
)


async def read_snapshot(engine: AsyncEngine) -> Snapshot:
    """Everything in one repeatable-read transaction, so rows and revisions agree."""
    model = AuthzModel()
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            changes = Changes()
            for table, name, keys in TABLES:
                rows = (await conn.execute(select(table.__table__))).mappings()
                getattr(changes, name).update((tuple(row[k] for k in keys), dict(row)) for row in rows)
            model.apply(changes, await _grants(conn))
            await load_snapshot(conn, model)
            positions = await _positions(conn)
            quarantined = {
                (source, str(org_id))
                for source, org_id in await conn.execute(
                    select(KIT.quarantine.c.source, KIT.quarantine.c.org_id)
                )
            }
    return Snapshot(model, positions, quarantined)


async def _grants(conn) -> list[OrgGrant]:
    return [OrgGrant(str(row.org_id), grant_rule(row)) for row in await conn.execute(select(Grant.__table__))]


async def _positions(conn) -> dict[tuple[str, str], int]:
    """The consumed sources' revisions, and authz's own: its grants are written with their events."""
    consumed = await conn.execute(
        select(KIT.positions.c.source, KIT.positions.c.org_id, KIT.positions.c.revision)
    )
    positions = {(source, str(org_id)): revision for source, org_id, revision in consumed}
    own = await conn.execute(select(KIT.revisions.c.org_id, KIT.revisions.c.revision))
    positions.update({(OWN_SOURCE, str(org_id)): revision for org_id, revision in own})
    return positions
