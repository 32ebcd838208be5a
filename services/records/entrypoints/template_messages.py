"""Templates, menus, the address book and contact types as protobuf messages, and requests as domain drafts.

Settings travel as google.protobuf.Struct; what they mean is checked only by the domain (rows.py)."""

from typing import Any

from elevhalsa.records.v1 import records_pb2 as pb

from services.common.convert import timestamp
from services.common.enums import UNSPECIFIED, ProtoEnum, UnknownEnumValue
from services.common.structs import from_struct, to_struct
from services.records.adapters.orm import AddressBookEntry, ContactType, NoteTemplate, TemplateVersion
from services.records.domain.rows import Prefill, RowType, TemplateRow, rows_from_json
from services.records.domain.templates import MenuEntry, MenuTree, RowDraft, TemplateStatus, TemplateSummary
from services.records.service_layer.templates import TemplateView

ROW_TYPES = ProtoEnum(pb.RowType, RowType)
TEMPLATE_STATUSES = ProtoEnum(pb.TemplateStatus, TemplateStatus)


def row_draft(row: pb.TemplateRow) -> RowDraft:
    """A request's row as the domain checks it; an unknown row type is left for the domain to name."""
    try:
        row_type = ROW_TYPES.name(row.row_type)
    except UnknownEnumValue:
        row_type = f"number {row.row_type}"
    prefill = Prefill(row.prefill.template_id, row.prefill.row_id) if row.HasField("prefill") else None
    return RowDraft(
        id=row.id or None,
        heading=row.heading,
        row_type="" if row_type == UNSPECIFIED else row_type,
        settings=from_struct(row.settings),
        required=row.required,
        help_text=row.help_text,
        prefill=prefill,
    )


def template_row_to_proto(row: TemplateRow) -> pb.TemplateRow:
    message = pb.TemplateRow(
        id=row.id,
        heading=row.heading,
        row_type=ROW_TYPES.number(row.row_type),
        settings=to_struct(row.settings),
        required=row.required,
        help_text=row.help_text,
    )
    if row.prefill:
        message.prefill.CopyFrom(pb.Prefill(template_id=row.prefill.template_id, row_id=row.prefill.row_id))
    return message


def version_to_proto(version: TemplateVersion) -> pb.TemplateVersion:
    return pb.TemplateVersion(
        id=str(version.id),
        template_id=str(version.template_id),
        version=version.version,
        name=version.name,
        rows=[template_row_to_proto(row) for row in rows_from_json(version.rows)],
        created_at=timestamp(version.created_at),
        created_by=str(version.created_by),
        in_use=version.in_use,
    )


def template_to_proto(
    template: NoteTemplate, current_version_id, version: TemplateVersion | None = None
) -> pb.NoteTemplate:
    message = pb.NoteTemplate(
        id=str(template.id),
        name=template.name,
        status=TEMPLATE_STATUSES.number(template.status),
        current_version=template.current_version,
        current_version_id=str(current_version_id),
        created_at=timestamp(template.created_at),
        updated_at=timestamp(template.updated_at),
    )
    if version is not None:
        message.version.CopyFrom(version_to_proto(version))
    return message


def view_to_proto(view: TemplateView) -> pb.NoteTemplate:
    return template_to_proto(view.template, view.current_version_id, view.version)


def menu_items(items) -> list[dict[str, Any]]:
    """A request's menu tree as the JSON the domain checks: {"template_id"} or {"submenu", "items"}."""
    tree: list[dict[str, Any]] = []
    for item in items:
        kind = item.WhichOneof("item")
        if kind == "template":
            tree.append({"template_id": item.template.id})
        elif kind == "submenu":
            tree.append({"submenu": item.submenu.name, "items": menu_items(item.submenu.items)})
        else:
            tree.append({})
    return tree


def summary_to_proto(summary: TemplateSummary) -> pb.TemplateSummary:
    return pb.TemplateSummary(
        id=summary.id,
        name=summary.name,
        status=TEMPLATE_STATUSES.number(summary.status),
        current_version=summary.current_version,
        current_version_id=summary.current_version_id,
    )


def entry_to_proto(entry: MenuEntry) -> pb.MenuItem:
    if isinstance(entry, TemplateSummary):
        return pb.MenuItem(template=summary_to_proto(entry))
    return pb.MenuItem(submenu=pb.Submenu(name=entry.name, items=[entry_to_proto(e) for e in entry.items]))


def menu_to_proto(menu: MenuTree) -> pb.TemplateMenu:
    return pb.TemplateMenu(
        id=menu.id,
        name=menu.name,
        items=[entry_to_proto(entry) for entry in menu.items],
        updated_at=timestamp(menu.updated_at),
    )


def address_entry_to_proto(entry: AddressBookEntry) -> pb.AddressBookEntry:
    return pb.AddressBookEntry(
        id=str(entry.id),
        name=entry.name,
        organisation=entry.organisation,
        address=entry.address,
        active=entry.active,
    )


def contact_type_to_proto(contact_type: ContactType) -> pb.ContactType:
    return pb.ContactType(
        id=str(contact_type.id),
        name=contact_type.name,
        active=contact_type.active,
        position=contact_type.position,
    )
