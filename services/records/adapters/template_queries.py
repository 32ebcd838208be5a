"""Records' queries and writes of note templates, template menus, the address book and contact types."""

import uuid
from collections.abc import Iterable

from sqlalchemy import and_, func, select, update

from services.common.errors import NotFound
from services.common.repository import TenantRepository
from services.records.adapters.orm import (
    AddressBookEntry,
    ContactType,
    NoteTemplate,
    TemplateMenu,
    TemplateVersion,
)


class TemplateQueries(TenantRepository):
    # Note templates ----------------------------------------------------------------------------------------

    async def template(self, template_id: uuid.UUID, *, for_update: bool = False) -> NoteTemplate:
        """The template, or NotFound naming template_id; `for_update` locks it (edits of one template queue)."""
        query = self.select_of(NoteTemplate).where(NoteTemplate.id == template_id)
        template = await self.session.scalar(query.with_for_update() if for_update else query)
        if template is None:
            raise NotFound("note template not found", field="template_id")
        return template

    async def template_named(self, name: str) -> NoteTemplate | None:
        return await self.session.scalar(self.select_of(NoteTemplate).where(NoteTemplate.name == name))

    async def templates_by_id(self, template_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, NoteTemplate]:
        """The organisation's templates among the ids (others are simply missing)."""
        ids = list(template_ids)
        if not ids:
            return {}
        found = await self.all(self.select_of(NoteTemplate).where(NoteTemplate.id.in_(ids)))
        return {template.id: template for template in found}

    def _with_current_version(self):
        """Templates joined with their current version."""
        current = and_(
            TemplateVersion.org_id == NoteTemplate.org_id,
            TemplateVersion.template_id == NoteTemplate.id,
            TemplateVersion.version == NoteTemplate.current_version,
        )
        query = select(NoteTemplate, TemplateVersion).join(TemplateVersion, current)
        return self.scoped(query, NoteTemplate, TemplateVersion)

    async def templates(
        self, *, include_retired: bool = False, template_ids: Iterable[uuid.UUID] | None = None
    ) -> list[tuple[NoteTemplate, TemplateVersion]]:
        """Templates with their current versions, by name: active ones, or all; or those among the ids."""
        query = self._with_current_version().order_by(NoteTemplate.name)
        if not include_retired:
            query = query.where(NoteTemplate.status == "active")
        if template_ids is not None:
            query = query.where(NoteTemplate.id.in_(list(template_ids)))
        return [(template, version) for template, version in await self.session.execute(query)]

    async def template_version(self, version_id: uuid.UUID) -> TemplateVersion:
        return await self.one(TemplateVersion, version_id, what="template version", field="version_id")

    async def current_template_version(
        self, template_id: uuid.UUID, *, for_update: bool = False
    ) -> TemplateVersion:
        """The template's current version, or NotFound naming template_id; `for_update` locks the version, so
        that a note cannot start using it while it is being edited in place."""
        query = (
            self._with_current_version()
            .with_only_columns(TemplateVersion)
            .where(NoteTemplate.id == template_id)
        )
        if for_update:
            query = query.with_for_update(of=TemplateVersion)
        version = await self.session.scalar(query)
        if version is None:
            raise NotFound("note template not found", field="template_id")
        return version

    async def template_version_numbered(self, template_id: uuid.UUID, number: int) -> TemplateVersion:
        """Version `number` of the template, or NotFound naming version."""
        query = self.select_of(TemplateVersion).where(
            TemplateVersion.template_id == template_id, TemplateVersion.version == number
        )
        version = await self.session.scalar(query)
        if version is None:
            raise NotFound("the template has no such version", field="version")
        return version

    async def template_versions(self, template_id: uuid.UUID) -> list[TemplateVersion]:
        """Every version of the template, oldest first."""
        query = (
            self.select_of(TemplateVersion)
            .where(TemplateVersion.template_id == template_id)
            .order_by(TemplateVersion.version)
        )
        return await self.all(query)

    async def mark_template_version_used(self, version_id: uuid.UUID) -> TemplateVersion:
        """Mark the version as used by notes, so that it never changes again; returns it as it is now.

        Call it in the transaction that stores the note and compare the rows returned with those the note was
        checked against: an edit in place that committed in between would otherwise go unnoticed."""
        await self.session.execute(
            update(TemplateVersion)
            .where(
                TemplateVersion.org_id == self.org_id,
                TemplateVersion.id == version_id,
                TemplateVersion.in_use.is_(False),
            )
            .values(in_use=True)
            .execution_options(synchronize_session=False)
        )
        query = (
            self.select_of(TemplateVersion)
            .where(TemplateVersion.id == version_id)
            .execution_options(populate_existing=True)
        )
        version = await self.session.scalar(query)
        if version is None:
            raise NotFound("template version not found", field="version_id")
        return version

    # Template menus ----------------------------------------------------------------------------------------

    async def template_menu(self, menu_id: uuid.UUID, *, for_update: bool = False) -> TemplateMenu:
        query = self.select_of(TemplateMenu).where(TemplateMenu.id == menu_id)
        menu = await self.session.scalar(query.with_for_update() if for_update else query)
        if menu is None:
            raise NotFound("template menu not found", field="menu_id")
        return menu

    async def template_menu_named(self, name: str) -> TemplateMenu | None:
        return await self.session.scalar(self.select_of(TemplateMenu).where(TemplateMenu.name == name))

    async def template_menus(self, menu_ids: list[uuid.UUID]) -> list[TemplateMenu]:
        """The organisation's menus among the ids, by name (ids of no menu are left out)."""
        if not menu_ids:
            return []
        query = self.select_of(TemplateMenu).where(TemplateMenu.id.in_(menu_ids)).order_by(TemplateMenu.name)
        return await self.all(query)

    async def all_template_menus(self) -> list[TemplateMenu]:
        """Every menu of the organisation, by name."""
        return await self.all(self.select_of(TemplateMenu).order_by(TemplateMenu.name))

    # Address book and contact types ------------------------------------------------------------------------

    async def address_entry(self, entry_id: uuid.UUID) -> AddressBookEntry:
        return await self.one(AddressBookEntry, entry_id, what="address-book entry", field="entry_id")

    async def address_entries(self, entry_ids: list[uuid.UUID]) -> list[AddressBookEntry]:
        """The organisation's entries among the ids (ids of no entry are left out)."""
        if not entry_ids:
            return []
        return await self.all(self.select_of(AddressBookEntry).where(AddressBookEntry.id.in_(entry_ids)))

    async def address_book(self, *, include_inactive: bool = False) -> list[AddressBookEntry]:
        query = self.select_of(AddressBookEntry).order_by(AddressBookEntry.name, AddressBookEntry.id)
        if not include_inactive:
            query = query.where(AddressBookEntry.active.is_(True))
        return await self.all(query)

    async def contact_type(self, contact_type_id: uuid.UUID) -> ContactType:
        return await self.one(ContactType, contact_type_id, what="contact type", field="contact_type_id")

    async def contact_type_named(self, name: str) -> ContactType | None:
        return await self.session.scalar(self.select_of(ContactType).where(ContactType.name == name))

    async def contact_types(self, *, include_inactive: bool = False) -> list[ContactType]:
        query = self.select_of(ContactType).order_by(ContactType.position, ContactType.name)
        if not include_inactive:
            query = query.where(ContactType.active.is_(True))
        return await self.all(query)

    async def next_contact_type_position(self) -> int:
        """One after the last position in use (0 for the first)."""
        last = await self.session.scalar(self.select_of(ContactType, func.max(ContactType.position)))
        return 0 if last is None else last + 1
