"""Authz queries: the facts about a user that decisions need, and grants."""

import uuid

from sqlalchemy import delete, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.authz.adapters.orm import (
    Grant,
    KnownFolder,
    KnownRole,
    KnownTemplateMenu,
    ManageableRole,
    ModuleLevelRow,
)
from services.authz.domain.model import Access, AssignmentFact, GrantRule, Restriction, Subject
from services.common.errors import Unavailable
from services.common.repository import TenantRepository

# One round trip for everything a decision needs: whether the organisation's read model is trusted, whether
# the asked-about unit is the organisation's (for all-units assignments), the user, their assignments, and
# the grants of those roles. The first two come in every row, also when the user is unknown.
SUBJECT_QUERY = text(
    """
    SELECT k.quarantined, k.unit_known, u.active, u.may_sign_notes,
           a.role_id, a.unit_id, a.valid_from, a.valid_to,
           g.folder_id, g.access, g.restriction, g.template_menu_id
    FROM (
        SELECT EXISTS (SELECT 1 FROM authz.quarantine q WHERE q.org_id = :org) AS quarantined,
               EXISTS (SELECT 1 FROM authz.units n WHERE n.org_id = :org AND n.unit_id = :unit) AS unit_known
    ) k
    LEFT JOIN authz.users u ON u.org_id = :org AND u.user_id = :user
    LEFT JOIN authz.assignments a ON a.org_id = u.org_id AND a.user_id = u.user_id
    LEFT JOIN authz.grants g ON g.org_id = a.org_id AND g.role_id = a.role_id
    """
)


class OrganisationQuarantined(Unavailable):
    """The organisation's read model received events that contradict it: no answer until it is rebuilt."""

    def __init__(self):
        super().__init__(
            "authorization data of this organisation is being repaired; no decisions until it is rebuilt"
        )


async def load_subject(
    conn: AsyncConnection, org_id: uuid.UUID, user_id: uuid.UUID, unit_id: uuid.UUID
) -> tuple[Subject, frozenset[str]]:
    """The user's facts, and the asked-about unit if it belongs to the organisation.

    Raises OrganisationQuarantined rather than decide from a read model that cannot be trusted."""
    rows = (await conn.execute(SUBJECT_QUERY, {"org": org_id, "user": user_id, "unit": unit_id})).all()
    if rows[0].quarantined:
        raise OrganisationQuarantined()
    org_units = frozenset({str(unit_id)}) if rows[0].unit_known else frozenset()
    if not rows[0].active:
        return Subject(active=False, assignments=(), grants={}), org_units
    assignments, grants = set(), {}
    for row in rows:
        if row.role_id is None:
            continue
        unit = str(row.unit_id) if row.unit_id else None
        assignments.add(AssignmentFact(str(row.role_id), unit, row.valid_from, row.valid_to))
        if row.folder_id is not None:
            rule = grant_rule(row)
            grants[(rule.role_id, rule.folder_id)] = rule
    subject = Subject(
        active=True,
        assignments=tuple(assignments),
        grants=grants,
        may_sign_notes=rows[0].may_sign_notes,
    )
    return subject, org_units


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
    """Grants and the read model's ids, of one organisation."""

    async def role_known(self, role_id: uuid.UUID) -> bool:
        return (
            await self.session.scalar(
                self.select_of(KnownRole, KnownRole.role_id).where(KnownRole.role_id == role_id)
            )
            is not None
        )

    async def folder_known(self, folder_id: uuid.UUID) -> bool:
        query = self.select_of(KnownFolder, KnownFolder.folder_id).where(KnownFolder.folder_id == folder_id)
        return await self.session.scalar(query) is not None

    async def template_menu_known(self, menu_id: uuid.UUID) -> bool:
        query = self.select_of(KnownTemplateMenu, KnownTemplateMenu.menu_id).where(
            KnownTemplateMenu.menu_id == menu_id
        )
        return await self.session.scalar(query) is not None

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
