"""Reading the live model's starting point from PostgreSQL: the read model the durable consumer keeps, authz's
own grants, and how far each organisation's events had been applied, all as of one moment.

The tables are streamed in chunks, each applied before the next is fetched, with ids read as text: holding
every row at once (200,000 assignments as dicts of UUID objects) cost more memory than the model itself, and
the freed rows left the process's heap fragmented, so it kept that peak for good.
"""

from sqlalchemy import Text, Uuid, cast, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

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
# Rows applied at a time: small enough that a chunk's rows are little beside the model.
CHUNK_ROWS = 2000


async def read_snapshot(engine: AsyncEngine) -> Snapshot:
    """Everything in one repeatable-read transaction, so rows and revisions agree."""
    model = AuthzModel()
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            for table, name, keys in TABLES:
                await _load_table(conn, model, table, name, keys)
            model.apply(grants=await _grants(conn))
            await load_snapshot(conn, model)
            positions = await _positions(conn)
            quarantined = {
                (source, str(org_id))
                for source, org_id in await conn.execute(
                    select(KIT.quarantine.c.source, KIT.quarantine.c.org_id)
                )
            }
    return Snapshot(model, positions, quarantined)


async def _load_table(conn: AsyncConnection, model: AuthzModel, table, name: str, keys: tuple) -> None:
    """Apply one read-model table, a chunk at a time, in the shape of projections' Changes."""
    columns = [
        cast(column, Text).label(column.name) if isinstance(column.type, Uuid) else column
        for column in table.__table__.columns
    ]
    names = [column.name for column in columns]
    key_at = [names.index(key) for key in keys]
    result = await conn.stream(select(*columns).execution_options(yield_per=CHUNK_ROWS))
    async for rows in result.partitions():
        changes = Changes()
        getattr(changes, name).update(
            (tuple(row[i] for i in key_at), dict(zip(names, row, strict=True))) for row in rows
        )
        model.apply(changes)


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
