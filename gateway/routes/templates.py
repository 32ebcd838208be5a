"""Note templates, template menus, the address book and contact types (records).

Row settings are plain JSON objects here; what they may hold per row type is checked by records, which answers
422 with every problem at once (see docs/api.md)."""

from datetime import UTC, datetime
from typing import Annotated, Any, Union

from elevhalsa.records.v1 import records_pb2 as pb
from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field, StringConstraints

from gateway.routes.common import BackendsDep, CallerDep, Name, Strict, Uuid, Written, names_of, with_token
from services.common.enums import ProtoEnum
from services.common.errors import FieldProblem, InvalidFields
from services.common.structs import MAX_DEPTH, from_struct, struct_for
from services.records.domain.templates import MAX_HELP_TEXT, MAX_MENU_DEPTH, MAX_MENU_ENTRIES, MAX_ROWS

router = APIRouter(prefix="/api/v1", tags=["templates"])

ROW_TYPES = ProtoEnum(pb.RowType)
TEMPLATE_STATUSES = ProtoEnum(pb.TemplateStatus)
RowType = names_of(ROW_TYPES)
TemplateStatus = names_of(TEMPLATE_STATUSES)
INT32_MAX = 2**31 - 1
PRINTABLE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Address = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000, pattern=PRINTABLE)
]
Organisation = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200, pattern=PRINTABLE)]
Position = Annotated[int, Field(ge=0, le=10_000, description="Order in lists, ascending.")]


def timestamp_of(message) -> datetime:
    return message.ToDatetime(tzinfo=UTC)


# Note templates --------------------------------------------------------------------------------------------


class PrefillIn(Strict):
    template_id: Uuid = Field(description="A template of the organisation (this one too, once it exists).")
    row_id: Uuid = Field(description="A row of that template's current version, of the same type.")


class TemplateRowIn(Strict):
    id: Uuid | None = Field(
        None, description="The id of a row of this template it keeps; none for a new row."
    )
    heading: str = Field(description="1–200 characters, trimmed.")
    type: RowType
    settings: dict[str, Any] = Field(default_factory=dict, description="Per row type; see the API guide.")
    required: bool = False
    help_text: str = Field("", description=f"At most {MAX_HELP_TEXT} characters.")
    prefill: PrefillIn | None = None


class TemplateIn(Strict):
    name: str = Field(description="1–200 characters, trimmed; unique in the organisation.")
    rows: list[TemplateRowIn] = Field(description=f"1–{MAX_ROWS} rows, in order.")


class Prefill(BaseModel):
    template_id: str
    row_id: str


class TemplateRow(BaseModel):
    id: str
    heading: str
    type: RowType
    settings: dict[str, Any]
    required: bool
    help_text: str
    prefill: Prefill | None

    @classmethod
    def of(cls, row: pb.TemplateRow) -> "TemplateRow":
        prefill = row.prefill if row.HasField("prefill") else None
        return cls(
            id=row.id,
            heading=row.heading,
            type=ROW_TYPES.name(row.row_type),
            settings=from_struct(row.settings),
            required=row.required,
            help_text=row.help_text,
            prefill=Prefill(template_id=prefill.template_id, row_id=prefill.row_id) if prefill else None,
        )


class TemplateVersion(BaseModel):
    id: str
    version: int
    name: str
    rows: list[TemplateRow]
    created_at: datetime
    created_by: str
    in_use: bool = Field(description="Notes use this version: it never changes again.")

    @classmethod
    def of(cls, v: pb.TemplateVersion) -> "TemplateVersion":
        return cls(
            id=v.id,
            version=v.version,
            name=v.name,
            rows=[TemplateRow.of(row) for row in v.rows],
            created_at=timestamp_of(v.created_at),
            created_by=v.created_by,
            in_use=v.in_use,
        )


class NoteTemplate(BaseModel):
    id: str
    name: str
    status: TemplateStatus
    current_version: int
    current_version_id: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def fields_of(cls, t: pb.NoteTemplate) -> dict:
        return {
            "id": t.id,
            "name": t.name,
            "status": TEMPLATE_STATUSES.name(t.status),
            "current_version": t.current_version,
            "current_version_id": t.current_version_id,
            "created_at": timestamp_of(t.created_at),
            "updated_at": timestamp_of(t.updated_at),
        }


class NoteTemplateDetail(NoteTemplate):
    version: TemplateVersion = Field(description="The current version, or the one asked for.")

    @classmethod
    def of(cls, t: pb.NoteTemplate) -> "NoteTemplateDetail":
        return cls(**NoteTemplate.fields_of(t), version=TemplateVersion.of(t.version))


class NoteTemplateWritten(NoteTemplateDetail, Written):
    pass


class NoteTemplates(BaseModel):
    templates: list[NoteTemplate]


def template_rows(rows: list[TemplateRowIn]) -> list[pb.TemplateRow]:
    messages = []
    for index, row in enumerate(rows):
        message = pb.TemplateRow(
            id=str(row.id) if row.id else "",
            heading=row.heading,
            row_type=ROW_TYPES.number(row.type),
            settings=struct_for(row.settings, f"rows[{index}].settings"),
            required=row.required,
            help_text=row.help_text,
        )
        if row.prefill:
            message.prefill.CopyFrom(
                pb.Prefill(template_id=str(row.prefill.template_id), row_id=str(row.prefill.row_id))
            )
        messages.append(message)
    return messages


def written_template(reply, response: Response) -> NoteTemplateWritten:
    return NoteTemplateWritten(
        **NoteTemplateDetail.of(reply.template).model_dump(),
        consistency_token=with_token(response, reply.consistency_token),
    )


@router.post("/note-templates", status_code=status.HTTP_201_CREATED, response_model=NoteTemplateWritten)
async def create_note_template(
    body: TemplateIn, caller: CallerDep, services: BackendsDep, response: Response
):
    """A new template at version 1. 422 lists every problem of the body at once."""
    request = pb.CreateNoteTemplateRequest(name=body.name, rows=template_rows(body.rows))
    return written_template(
        await services.call(services.records.CreateNoteTemplate, request, caller), response
    )


@router.get("/note-templates", response_model=NoteTemplates)
async def list_note_templates(caller: CallerDep, services: BackendsDep, include_retired: bool = False):
    """The organisation's templates by name, with their current version numbers (rows left out)."""
    request = pb.ListNoteTemplatesRequest(include_retired=include_retired)
    reply = await services.call(services.records.ListNoteTemplates, request, caller)
    return NoteTemplates(templates=[NoteTemplate(**NoteTemplate.fields_of(t)) for t in reply.templates])


@router.get("/note-templates/{template_id}", response_model=NoteTemplateDetail)
async def get_note_template(
    template_id: str,
    caller: CallerDep,
    services: BackendsDep,
    version: Annotated[
        int | None, Query(ge=1, le=INT32_MAX, description="A version number; default current.")
    ] = None,
):
    request = pb.GetNoteTemplateRequest(template_id=template_id, version=version or 0)
    return NoteTemplateDetail.of(await services.call(services.records.GetNoteTemplate, request, caller))


@router.put("/note-templates/{template_id}", response_model=NoteTemplateWritten)
async def update_note_template(
    template_id: str, body: TemplateIn, caller: CallerDep, services: BackendsDep, response: Response
):
    """Save the template's name and rows. While no note uses the current version it is updated in place;
    otherwise version n+1 is created and the older one stays readable (`?version=n`). Answers the template with
    its current version."""
    request = pb.UpdateNoteTemplateRequest(
        template_id=template_id, name=body.name, rows=template_rows(body.rows)
    )
    return written_template(
        await services.call(services.records.UpdateNoteTemplate, request, caller), response
    )


@router.post("/note-templates/{template_id}/retire", response_model=NoteTemplateWritten)
async def retire_note_template(
    template_id: str, caller: CallerDep, services: BackendsDep, response: Response
):
    """No new notes from the template, and no new place in a menu; it is never deleted."""
    request = pb.RetireNoteTemplateRequest(template_id=template_id)
    return written_template(
        await services.call(services.records.RetireNoteTemplate, request, caller), response
    )


# Template menus --------------------------------------------------------------------------------------------


class TemplateItemIn(Strict):
    template_id: Uuid


class SubmenuIn(Strict):
    submenu: str = Field(description="The submenu's name, 1–200 characters.")
    items: list["MenuItemIn"] = Field(default_factory=list)


MenuItemIn = Union[TemplateItemIn, SubmenuIn]  # noqa: UP007 (a forward reference needs the Union form)
SubmenuIn.model_rebuild()


class TemplateMenuIn(Strict):
    name: str = Field(description="1–200 characters, trimmed; unique in the organisation.")
    items: list[MenuItemIn] = Field(
        description=f"Templates (active ones) and submenus, at most {MAX_MENU_DEPTH} submenus deep and "
        f"{MAX_MENU_ENTRIES} entries in all."
    )


class TemplateSummary(BaseModel):
    id: str
    name: str
    status: TemplateStatus
    current_version: int
    current_version_id: str


class TemplateEntry(BaseModel):
    template: TemplateSummary


class SubmenuEntry(BaseModel):
    submenu: str
    items: list["MenuEntry"]


MenuEntry = Union[TemplateEntry, SubmenuEntry]  # noqa: UP007 (a forward reference needs the Union form)
SubmenuEntry.model_rebuild()


def entry_of(item: pb.MenuItem) -> TemplateEntry | SubmenuEntry:
    if item.WhichOneof("item") == "template":
        t = item.template
        summary = TemplateSummary(
            id=t.id,
            name=t.name,
            status=TEMPLATE_STATUSES.name(t.status),
            current_version=t.current_version,
            current_version_id=t.current_version_id,
        )
        return TemplateEntry(template=summary)
    return SubmenuEntry(submenu=item.submenu.name, items=[entry_of(i) for i in item.submenu.items])


class TemplateMenu(BaseModel):
    id: str
    name: str
    items: list[MenuEntry]
    updated_at: datetime

    @classmethod
    def of(cls, menu: pb.TemplateMenu) -> "TemplateMenu":
        return cls(
            id=menu.id,
            name=menu.name,
            items=[entry_of(item) for item in menu.items],
            updated_at=timestamp_of(menu.updated_at),
        )


class TemplateMenuWritten(TemplateMenu, Written):
    pass


class TemplateMenus(BaseModel):
    menus: list[TemplateMenu]


def menu_items(items: list, field: str = "items", depth: int = 1) -> list[pb.MenuItem]:
    """The tree as protobuf messages; a tree too deep to send is refused here (records refuses any deeper than
    its own limit, with the rule)."""
    messages = []
    for index, item in enumerate(items):
        if isinstance(item, TemplateItemIn):
            messages.append(pb.MenuItem(template=pb.TemplateSummary(id=str(item.template_id))))
            continue
        at = f"{field}[{index}]"
        if depth > MAX_DEPTH:
            raise InvalidFields(
                [FieldProblem(at, f"submenus nest at most {MAX_MENU_DEPTH} levels deep", "range")]
            )
        children = menu_items(item.items, f"{at}.items", depth + 1)
        messages.append(pb.MenuItem(submenu=pb.Submenu(name=item.submenu, items=children)))
    return messages


def written_menu(reply, response: Response) -> TemplateMenuWritten:
    return TemplateMenuWritten(
        **TemplateMenu.of(reply.menu).model_dump(),
        consistency_token=with_token(response, reply.consistency_token),
    )


@router.post("/template-menus", status_code=status.HTTP_201_CREATED, response_model=TemplateMenuWritten)
async def create_template_menu(
    body: TemplateMenuIn, caller: CallerDep, services: BackendsDep, response: Response
):
    """A new menu. Its `consistency_token` makes later grant changes see the menu."""
    request = pb.CreateTemplateMenuRequest(name=body.name, items=menu_items(body.items))
    return written_menu(await services.call(services.records.CreateTemplateMenu, request, caller), response)


@router.get("/template-menus", response_model=TemplateMenus)
async def list_template_menus(caller: CallerDep, services: BackendsDep):
    reply = await services.call(services.records.ListTemplateMenus, pb.ListTemplateMenusRequest(), caller)
    return TemplateMenus(menus=[TemplateMenu.of(menu) for menu in reply.menus])


@router.get("/template-menus/{menu_id}", response_model=TemplateMenu)
async def get_template_menu(menu_id: str, caller: CallerDep, services: BackendsDep):
    request = pb.GetTemplateMenuRequest(menu_id=menu_id)
    return TemplateMenu.of(await services.call(services.records.GetTemplateMenu, request, caller))


@router.put("/template-menus/{menu_id}", response_model=TemplateMenuWritten)
async def update_template_menu(
    menu_id: str, body: TemplateMenuIn, caller: CallerDep, services: BackendsDep, response: Response
):
    """Replace the menu's name and tree. A template retired since it was put in the menu may stay in it."""
    request = pb.UpdateTemplateMenuRequest(menu_id=menu_id, name=body.name, items=menu_items(body.items))
    return written_menu(await services.call(services.records.UpdateTemplateMenu, request, caller), response)


# Address book ----------------------------------------------------------------------------------------------


class AddressEntryIn(Strict):
    name: Name
    organisation: Organisation = ""
    address: Address = Field(description="Postal address, 1–1000 characters; lines separated by line breaks.")


class AddressEntryUpdate(AddressEntryIn):
    active: bool = True


class AddressEntry(BaseModel):
    id: str
    name: str
    organisation: str
    address: str
    active: bool

    @classmethod
    def of(cls, e: pb.AddressBookEntry) -> "AddressEntry":
        return cls(id=e.id, name=e.name, organisation=e.organisation, address=e.address, active=e.active)


class AddressEntryWritten(AddressEntry, Written):
    pass


class AddressBook(BaseModel):
    entries: list[AddressEntry]


def written_entry(reply, response: Response) -> AddressEntryWritten:
    return AddressEntryWritten(
        **AddressEntry.of(reply.entry).model_dump(),
        consistency_token=with_token(response, reply.consistency_token),
    )


@router.get("/address-book", response_model=AddressBook)
async def list_address_book(caller: CallerDep, services: BackendsDep, include_inactive: bool = False):
    """The entries by name: the active ones, or all."""
    request = pb.ListAddressBookRequest(include_inactive=include_inactive)
    reply = await services.call(services.records.ListAddressBook, request, caller)
    return AddressBook(entries=[AddressEntry.of(e) for e in reply.entries])


@router.post("/address-book", status_code=status.HTTP_201_CREATED, response_model=AddressEntryWritten)
async def create_address_entry(
    body: AddressEntryIn, caller: CallerDep, services: BackendsDep, response: Response
):
    request = pb.CreateAddressBookEntryRequest(
        name=body.name, organisation=body.organisation, address=body.address
    )
    return written_entry(
        await services.call(services.records.CreateAddressBookEntry, request, caller), response
    )


@router.put("/address-book/{entry_id}", response_model=AddressEntryWritten)
async def update_address_entry(
    entry_id: str, body: AddressEntryUpdate, caller: CallerDep, services: BackendsDep, response: Response
):
    """Change the entry; notes that name it keep what it said when they were written."""
    request = pb.UpdateAddressBookEntryRequest(
        entry_id=entry_id,
        name=body.name,
        organisation=body.organisation,
        address=body.address,
        active=body.active,
    )
    return written_entry(
        await services.call(services.records.UpdateAddressBookEntry, request, caller), response
    )


@router.delete("/address-book/{entry_id}", response_model=AddressEntryWritten)
async def deactivate_address_entry(
    entry_id: str, caller: CallerDep, services: BackendsDep, response: Response
):
    """Deactivate the entry: it is no longer offered for new notes; notes keep their snapshot of it."""
    request = pb.DeactivateAddressBookEntryRequest(entry_id=entry_id)
    return written_entry(
        await services.call(services.records.DeactivateAddressBookEntry, request, caller), response
    )


# Contact types ---------------------------------------------------------------------------------------------


class ContactTypeIn(Strict):
    name: Name
    position: Position | None = Field(None, description="Default: after the last one.")


class ContactTypeUpdate(Strict):
    name: Name
    active: bool = True
    position: Position | None = Field(None, description="Default: unchanged.")


class ContactType(BaseModel):
    id: str
    name: str
    active: bool
    position: int

    @classmethod
    def of(cls, c: pb.ContactType) -> "ContactType":
        return cls(id=c.id, name=c.name, active=c.active, position=c.position)


class ContactTypeWritten(ContactType, Written):
    pass


class ContactTypes(BaseModel):
    contact_types: list[ContactType]


def written_contact_type(reply, response: Response) -> ContactTypeWritten:
    return ContactTypeWritten(
        **ContactType.of(reply.contact_type).model_dump(),
        consistency_token=with_token(response, reply.consistency_token),
    )


@router.get("/contact-types", response_model=ContactTypes)
async def list_contact_types(caller: CallerDep, services: BackendsDep, include_inactive: bool = False):
    """By position, then name: the active ones, or all."""
    request = pb.ListContactTypesRequest(include_inactive=include_inactive)
    reply = await services.call(services.records.ListContactTypes, request, caller)
    return ContactTypes(contact_types=[ContactType.of(c) for c in reply.contact_types])


@router.post("/contact-types", status_code=status.HTTP_201_CREATED, response_model=ContactTypeWritten)
async def create_contact_type(
    body: ContactTypeIn, caller: CallerDep, services: BackendsDep, response: Response
):
    request = pb.CreateContactTypeRequest(name=body.name, position=body.position)
    return written_contact_type(
        await services.call(services.records.CreateContactType, request, caller), response
    )


@router.put("/contact-types/{contact_type_id}", response_model=ContactTypeWritten)
async def update_contact_type(
    contact_type_id: str,
    body: ContactTypeUpdate,
    caller: CallerDep,
    services: BackendsDep,
    response: Response,
):
    request = pb.UpdateContactTypeRequest(
        contact_type_id=contact_type_id, name=body.name, active=body.active, position=body.position
    )
    return written_contact_type(
        await services.call(services.records.UpdateContactType, request, caller), response
    )
