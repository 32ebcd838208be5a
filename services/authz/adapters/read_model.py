"""Writing authz's read model: the consumer's batches span organisations, so these writes are keyed by the
rows' own `org_id` rather than scoped to one organisation like a repository's."""

import uuid

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.authz.adapters.orm import (
    KnownAssignment,
    KnownFolder,
    KnownRole,
    KnownTemplateMenu,
    KnownUnit,
    KnownUser,
)

# The read-model tables built from each source's events (grants are authz's own and stay).
BUILT_FROM = {
    "identity": (KnownAssignment, KnownUser, KnownRole, KnownUnit),
    "records": (KnownFolder, KnownTemplateMenu),
}


class ReadModel:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def write(self, changes) -> None:
        """The final state of every row a batch touched, one statement per table."""
        await self._upsert(KnownUnit, ["org_id", "unit_id"], list(changes.units.values()))
        await self._upsert(KnownRole, ["org_id", "role_id"], list(changes.roles.values()))
        await self._upsert(KnownUser, ["org_id", "user_id"], list(changes.users.values()))
        await self._upsert(KnownFolder, ["org_id", "folder_id"], list(changes.folders.values()))
        await self._upsert(KnownTemplateMenu, ["org_id", "menu_id"], list(changes.template_menus.values()))
        granted = [row for row in changes.assignments.values() if row is not None]
        revoked = [key for key, row in changes.assignments.items() if row is None]
        await self._upsert(KnownAssignment, ["assignment_id"], granted)
        if revoked:
            await self.session.execute(
                delete(KnownAssignment).where(KnownAssignment.assignment_id.in_(revoked))
            )

    async def forget(self, source: str, org_id: uuid.UUID) -> None:
        """Delete what the read model holds from `source` for the organisation."""
        for model in BUILT_FROM.get(source, ()):
            await self.session.execute(delete(model).where(model.org_id == org_id))

    async def _upsert(self, model, keys: list[str], rows: list[dict]) -> None:
        """Insert or overwrite rows in one statement."""
        if not rows:
            return
        statement = pg_insert(model).values(rows)
        updates = {name: statement.excluded[name] for name in rows[0] if name not in keys}
        if updates:
            statement = statement.on_conflict_do_update(index_elements=keys, set_=updates)
        else:
            statement = statement.on_conflict_do_nothing(index_elements=keys)
        await self.session.execute(statement)
