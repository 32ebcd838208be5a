"""Records' queries of case types."""

import uuid

from sqlalchemy import func

from services.common.repository import TenantRepository
from services.records.adapters.orm import CaseType, Folder, TemplateMenu


class CaseTypeQueries(TenantRepository):
    async def case_type(self, case_type_id: uuid.UUID) -> CaseType:
        return await self.one(CaseType, case_type_id, what="case type", field="case_type_id")

    async def case_types(self, *, active: bool | None = None) -> list[CaseType]:
        """By name: all of them, or the active or the inactive ones."""
        query = self.select_of(CaseType).order_by(func.lower(CaseType.name), CaseType.id)
        if active is not None:
            query = query.where(CaseType.active.is_(active))
        return await self.all(query)

    async def case_type_named(self, name: str) -> CaseType | None:
        """The case type of that name, whatever its case."""
        query = self.select_of(CaseType).where(func.lower(CaseType.name) == func.lower(name))
        return await self.session.scalar(query)

    async def check_case_type_references(self, folder_id: uuid.UUID, menu_id: uuid.UUID | None) -> None:
        """NotFound naming folder_id or template_menu_id unless both are the organisation's."""
        await self.one(Folder, folder_id, what="folder", field="folder_id")
        if menu_id is not None:
            await self.one(TemplateMenu, menu_id, what="template menu", field="template_menu_id")
