"""Note templates, template menus, the address book and contact types: configuration that every member of the
organisation reads and its administrators write. No other service is asked, so each use case is one short unit
of work; the rules themselves are in services/records/domain/templates.py and rows.py."""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from elevhalsa.records.v1 import events_pb2

from services.common import clock
from services.common.admin_rights import Rights
from services.common.auth import AdminModule, Caller, PermissionLevel
from services.common.errors import AlreadyExists, PermissionDenied
from services.common.repository import open_to_every_member
from services.records.adapters.clients import IdentityClient
from services.records.adapters.orm import (
    AddressBookEntry,
    ContactType,
    NoteTemplate,
    TemplateMenu,
    TemplateVersion,
)
from services.records.adapters.repository import RecordsRepository
from services.records.domain.rows import RowType, TemplateRow, rows_from_json, rows_to_json
from services.records.domain.templates import (
    MenuTree,
    RowDraft,
    TemplateStatus,
    TemplateSummary,
    VersionChange,
    check_menu,
    check_template,
    menu_entries,
    menu_template_ids,
    prefill_template_ids,
    version_change,
)
from services.records.service_layer.handlers import UnitsOfWork, repository

CONFIGURATION = "templates, menus, the address book and contact types are the organisation's configuration"


@dataclass(frozen=True)
class TemplateView:
    """A template with one of its versions (the current one unless another was asked for)."""

    template: NoteTemplate
    version: TemplateVersion
    current_version_id: uuid.UUID


async def require_template_manager(
    caller: Caller, rights: Rights, identity: IdentityClient, module: AdminModule
) -> None:
    """The module's level decides (administrators by default); the organisation's setting "subadmins manage
    templates" lowers it to subadmin. The setting is read only when the module's level alone refuses."""
    try:
        await rights.require(caller, module)
    except PermissionDenied:
        if not (await identity.settings()).subadmins_manage_templates:
            raise
        await rights.require(caller, module, lowered_to=PermissionLevel.SUBADMIN)


# Note templates --------------------------------------------------------------------------------------------


async def create_template(
    units: UnitsOfWork,
    caller: Caller,
    rights: Rights,
    identity: IdentityClient,
    name: Any,
    drafts: Sequence[RowDraft],
) -> tuple[TemplateView, str]:
    """A new template at version 1."""
    await require_template_manager(caller, rights, identity, AdminModule.TEMPLATES)
    async with units() as uow:
        repo = repository(uow, caller)
        sources = await prefill_sources(repo, drafts, own_id=None)
        name, rows = check_template(name, drafts, template_id=None, sources=sources, known_types={})
        await require_free_template_name(repo, name, None)
        now = clock.utcnow()
        template = NoteTemplate(
            id=uuid.uuid4(),
            org_id=repo.org_id,
            name=name,
            status=TemplateStatus.ACTIVE,
            current_version=1,
            created_at=now,
            updated_at=now,
        )
        version = new_version(template, 1, name, rows, caller, now)
        # The template first: its version references it.
        repo.add(template)
        await repo.flush()
        repo.add(version)
        token = await uow.commit()
    return TemplateView(template, version, version.id), token


async def update_template(
    units: UnitsOfWork,
    caller: Caller,
    rights: Rights,
    identity: IdentityClient,
    template_id: uuid.UUID,
    name: Any,
    drafts: Sequence[RowDraft],
) -> tuple[TemplateView, str]:
    """Save the template's name and rows: in place while no note uses its current version, else as a new
    version (the old one stays readable, unchanged). Rows given with an id keep it; other rows get a new one."""
    await require_template_manager(caller, rights, identity, AdminModule.TEMPLATES)
    async with units() as uow:
        repo = repository(uow, caller)
        # Locked in this order (template, then version) by every edit; a note marking the version used locks
        # only the version, so it either sees the edit committed or makes the edit a new version.
        template = await repo.template(template_id, for_update=True)
        current = await repo.current_template_version(template_id, for_update=True)
        known_types = {
            row["id"]: RowType(row["type"])
            for v in await repo.template_versions(template_id)
            for row in v.rows
        }
        sources = await prefill_sources(repo, drafts, own_id=str(template.id))
        name, rows = check_template(
            name, drafts, template_id=str(template.id), sources=sources, known_types=known_types
        )
        await require_free_template_name(repo, name, template.id)
        change = version_change(current.name, current.rows, current.in_use, name, rows)
        if change is VersionChange.UNCHANGED:
            return TemplateView(template, current, current.id), ""
        now = clock.utcnow()
        if change is VersionChange.IN_PLACE:
            current.name, current.rows, version = name, rows_to_json(rows), current
        else:
            version = new_version(template, current.version + 1, name, rows, caller, now)
            repo.add(version)
            template.current_version = version.version
        template.name, template.updated_at = name, now
        token = await uow.commit()
    return TemplateView(template, version, version.id), token


async def retire_template(
    units: UnitsOfWork, caller: Caller, rights: Rights, identity: IdentityClient, template_id: uuid.UUID
) -> tuple[TemplateView, str]:
    """No new notes from the template, and it leaves the menus notes are written from; never deleted."""
    await require_template_manager(caller, rights, identity, AdminModule.TEMPLATES)
    async with units() as uow:
        repo = repository(uow, caller)
        template = await repo.template(template_id, for_update=True)
        current = await repo.current_template_version(template_id)
        token = ""
        if template.status != TemplateStatus.RETIRED:
            template.status, template.updated_at = TemplateStatus.RETIRED, clock.utcnow()
            token = await uow.commit()
    return TemplateView(template, current, current.id), token


@open_to_every_member(CONFIGURATION)
async def list_templates(
    units: UnitsOfWork, caller: Caller, include_retired: bool
) -> list[tuple[NoteTemplate, TemplateVersion]]:
    """Templates with their current versions, by name."""
    async with units() as uow:
        return await repository(uow, caller).templates(include_retired=include_retired)


@open_to_every_member(CONFIGURATION)
async def get_template(
    units: UnitsOfWork, caller: Caller, template_id: uuid.UUID, version: int | None
) -> TemplateView:
    """The template with its current version, or with version number `version`."""
    async with units() as uow:
        repo = repository(uow, caller)
        template = await repo.template(template_id)
        current = await repo.current_template_version(template_id)
        asked = (
            current
            if version in (None, current.version)
            else await repo.template_version_numbered(template_id, version)
        )
    return TemplateView(template, asked, current.id)


def new_version(
    template: NoteTemplate, number: int, name: str, rows: list[TemplateRow], caller: Caller, now: datetime
) -> TemplateVersion:
    return TemplateVersion(
        id=uuid.uuid4(),
        org_id=template.org_id,
        template_id=template.id,
        version=number,
        name=name,
        rows=rows_to_json(rows),
        created_at=now,
        created_by=uuid.UUID(caller.user_id),
        in_use=False,
    )


async def prefill_sources(
    repo: RecordsRepository, drafts: Sequence[RowDraft], own_id: str | None
) -> dict[str, list[TemplateRow]]:
    """The current rows of every other template the drafts' prefills name (and that exists)."""
    ids = [uuid.UUID(tid) for tid in prefill_template_ids(drafts) if tid != own_id]
    if not ids:
        return {}
    found = await repo.templates(include_retired=True, template_ids=ids)
    return {str(template.id): rows_from_json(version.rows) for template, version in found}


async def require_free_template_name(repo: RecordsRepository, name: str, own_id: uuid.UUID | None) -> None:
    other = await repo.template_named(name)
    if other is not None and other.id != own_id:
        raise AlreadyExists(f"a note template named {name!r} already exists", field="name")


# Template menus --------------------------------------------------------------------------------------------


async def create_menu(
    units: UnitsOfWork, caller: Caller, rights: Rights, identity: IdentityClient, name: Any, items: Any
) -> tuple[MenuTree, str]:
    """A new menu; publishes TemplateMenuCreated, so that grants may name it."""
    await require_template_manager(caller, rights, identity, AdminModule.TEMPLATE_MENUS)
    async with units() as uow:
        repo = repository(uow, caller)
        summaries = await summaries_of(repo, menu_template_ids(items))
        name, tree = check_menu(name, items, statuses=statuses_of(summaries), kept=set())
        await require_free_menu_name(repo, name, None)
        menu = TemplateMenu(
            id=uuid.uuid4(), org_id=repo.org_id, name=name, items=tree, updated_at=clock.utcnow()
        )
        repo.add(menu)
        uow.publish(caller.org_id, events_pb2.TemplateMenuCreated(menu_id=str(menu.id)))
        token = await uow.commit()
    return menu_tree(menu, summaries, include_retired=True), token


async def update_menu(
    units: UnitsOfWork,
    caller: Caller,
    rights: Rights,
    identity: IdentityClient,
    menu_id: uuid.UUID,
    name: Any,
    items: Any,
) -> tuple[MenuTree, str]:
    """Replace the menu's name and tree. Templates retired since they were put in the menu may stay."""
    await require_template_manager(caller, rights, identity, AdminModule.TEMPLATE_MENUS)
    async with units() as uow:
        repo = repository(uow, caller)
        menu = await repo.template_menu(menu_id, for_update=True)
        summaries = await summaries_of(repo, menu_template_ids(items))
        kept = menu_template_ids(menu.items)
        name, tree = check_menu(name, items, statuses=statuses_of(summaries), kept=kept)
        await require_free_menu_name(repo, name, menu.id)
        menu.name, menu.items, menu.updated_at = name, tree, clock.utcnow()
        token = await uow.commit()
    return menu_tree(menu, summaries, include_retired=True), token


@open_to_every_member(CONFIGURATION)
async def list_menus(units: UnitsOfWork, caller: Caller) -> list[MenuTree]:
    """Every menu, by name, retired templates included (with their status)."""
    async with units() as uow:
        repo = repository(uow, caller)
        return await trees(repo, await repo.all_template_menus(), include_retired=True)


@open_to_every_member(CONFIGURATION)
async def get_menu(units: UnitsOfWork, caller: Caller, menu_id: uuid.UUID) -> MenuTree:
    """The menu, retired templates included (with their status)."""
    async with units() as uow:
        repo = repository(uow, caller)
        [tree] = await trees(repo, [await repo.template_menu(menu_id)], include_retired=True)
        return tree


@open_to_every_member(CONFIGURATION)
async def menus_with_templates(
    units: UnitsOfWork, caller: Caller, menu_ids: list[uuid.UUID]
) -> list[MenuTree]:
    """The menus among the ids (by name) as someone writing a note sees them: each template with its current
    version, retired templates and the submenus they leave empty left out. Ids of no menu are ignored."""
    async with units() as uow:
        repo = repository(uow, caller)
        return await trees(repo, await repo.template_menus(menu_ids), include_retired=False)


async def trees(
    repo: RecordsRepository, menus: list[TemplateMenu], *, include_retired: bool
) -> list[MenuTree]:
    template_ids: set[str] = set()
    for menu in menus:
        template_ids |= menu_template_ids(menu.items)
    summaries = await summaries_of(repo, template_ids)
    return [menu_tree(menu, summaries, include_retired=include_retired) for menu in menus]


def menu_tree(
    menu: TemplateMenu, summaries: dict[str, TemplateSummary], *, include_retired: bool
) -> MenuTree:
    entries = menu_entries(menu.items, summaries, include_retired=include_retired)
    return MenuTree(str(menu.id), menu.name, entries, menu.updated_at)


async def summaries_of(repo: RecordsRepository, template_ids: Iterable[str]) -> dict[str, TemplateSummary]:
    """The summary of each of the organisation's templates among the ids."""
    ids = [uuid.UUID(tid) for tid in template_ids]
    if not ids:
        return {}
    found = await repo.templates(include_retired=True, template_ids=ids)
    return {
        str(template.id): TemplateSummary(
            id=str(template.id),
            name=template.name,
            status=TemplateStatus(template.status),
            current_version=template.current_version,
            current_version_id=str(version.id),
        )
        for template, version in found
    }


def statuses_of(summaries: dict[str, TemplateSummary]) -> dict[str, TemplateStatus]:
    return {template_id: summary.status for template_id, summary in summaries.items()}


async def require_free_menu_name(repo: RecordsRepository, name: str, own_id: uuid.UUID | None) -> None:
    other = await repo.template_menu_named(name)
    if other is not None and other.id != own_id:
        raise AlreadyExists(f"a template menu named {name!r} already exists", field="name")


# Address book ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressFields:
    name: str
    organisation: str
    address: str


async def create_address_entry(
    units: UnitsOfWork, caller: Caller, rights: Rights, fields: AddressFields
) -> tuple[AddressBookEntry, str]:
    await rights.require(caller, AdminModule.ADDRESS_BOOK)
    async with units() as uow:
        repo = repository(uow, caller)
        entry = AddressBookEntry(
            id=uuid.uuid4(),
            org_id=repo.org_id,
            name=fields.name,
            organisation=fields.organisation,
            address=fields.address,
            active=True,
        )
        repo.add(entry)
        return entry, await uow.commit()


async def update_address_entry(
    units: UnitsOfWork,
    caller: Caller,
    rights: Rights,
    entry_id: uuid.UUID,
    fields: AddressFields,
    active: bool,
) -> tuple[AddressBookEntry, str]:
    """Change an entry; notes that name it keep the snapshot they were written with."""
    await rights.require(caller, AdminModule.ADDRESS_BOOK)
    async with units() as uow:
        entry = await repository(uow, caller).address_entry(entry_id)
        entry.name, entry.organisation, entry.address = fields.name, fields.organisation, fields.address
        entry.active = active
        return entry, await uow.commit()


async def deactivate_address_entry(
    units: UnitsOfWork, caller: Caller, rights: Rights, entry_id: uuid.UUID
) -> tuple[AddressBookEntry, str]:
    """Take the entry out of the address book offered for new notes; never deleted."""
    await rights.require(caller, AdminModule.ADDRESS_BOOK)
    async with units() as uow:
        entry = await repository(uow, caller).address_entry(entry_id)
        entry.active = False
        return entry, await uow.commit()


@open_to_every_member(CONFIGURATION)
async def list_address_book(
    units: UnitsOfWork, caller: Caller, include_inactive: bool
) -> list[AddressBookEntry]:
    async with units() as uow:
        return await repository(uow, caller).address_book(include_inactive=include_inactive)


# Contact types ---------------------------------------------------------------------------------------------


async def create_contact_type(
    units: UnitsOfWork, caller: Caller, rights: Rights, name: str, position: int | None
) -> tuple[ContactType, str]:
    """A new contact type, last in the list unless a position is given."""
    await rights.require(caller, AdminModule.CONTACT_TYPES)
    async with units() as uow:
        repo = repository(uow, caller)
        if await repo.contact_type_named(name):
            raise AlreadyExists(f"a contact type named {name!r} already exists", field="name")
        if position is None:
            position = await repo.next_contact_type_position()
        contact_type = ContactType(
            id=uuid.uuid4(), org_id=repo.org_id, name=name, active=True, position=position
        )
        repo.add(contact_type)
        return contact_type, await uow.commit()


async def update_contact_type(
    units: UnitsOfWork,
    caller: Caller,
    rights: Rights,
    contact_type_id: uuid.UUID,
    name: str,
    active: bool,
    position: int | None,
) -> tuple[ContactType, str]:
    await rights.require(caller, AdminModule.CONTACT_TYPES)
    async with units() as uow:
        repo = repository(uow, caller)
        contact_type = await repo.contact_type(contact_type_id)
        other = await repo.contact_type_named(name)
        if other is not None and other.id != contact_type.id:
            raise AlreadyExists(f"a contact type named {name!r} already exists", field="name")
        contact_type.name, contact_type.active = name, active
        if position is not None:
            contact_type.position = position
        return contact_type, await uow.commit()


@open_to_every_member(CONFIGURATION)
async def list_contact_types(units: UnitsOfWork, caller: Caller, include_inactive: bool) -> list[ContactType]:
    async with units() as uow:
        return await repository(uow, caller).contact_types(include_inactive=include_inactive)
