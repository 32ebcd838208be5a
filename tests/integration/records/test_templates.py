"""Note templates, template menus, the address book and contact types over gRPC, on real PostgreSQL."""

import uuid

import pytest
from elevhalsa.identity.v1 import identity_pb2 as ipb
from elevhalsa.records.v1 import records_pb2 as pb
from sqlalchemy import text

from services.common.auth import Caller, PermissionLevel
from services.common.db import session_factory
from services.common.errors import AlreadyExists, InvalidArgument, InvalidFields, NotFound, PermissionDenied
from services.common.grpc_client import call
from services.common.structs import from_struct, to_struct
from services.common.uow import UnitOfWork
from services.records.adapters.orm import KIT
from services.records.adapters.repository import RecordsRepository
from services.records.domain.templates import Submenu
from services.records.service_layer.replay import current_state
from services.records.service_layer.templates import menus_with_templates
from tests.support.orgs import new_org


def row(heading: str, row_type, settings: dict | None = None, **fields) -> pb.TemplateRow:
    return pb.TemplateRow(heading=heading, row_type=row_type, settings=to_struct(settings or {}), **fields)


HALSOBESOK = [
    row("Längd", pb.ROW_TYPE_LENGTH, required=True),
    row("Vikt", pb.ROW_TYPE_WEIGHT, {"min": 10, "max": 120.5}),
    row("Hörsel", pb.ROW_TYPE_HEARING_TEST, {"frequencies": [500, 1000, 2000, 4000]}),
    row("Glasögon", pb.ROW_TYPE_YES_NO),
    row("Vaccin", pb.ROW_TYPE_SINGLE_CHOICE, {"options": ["MPR", "HPV"]}),
    row("Puls", pb.ROW_TYPE_INTEGER, {"min": 30, "max": 250, "unit": "slag/min"}, help_text="I vila"),
    row("Anteckning", pb.ROW_TYPE_FREE_TEXT, {"max_length": 2000}),
]


async def create_template(org, name: str | None = None, rows=None) -> pb.NoteTemplate:
    request = pb.CreateNoteTemplateRequest(
        name=name or f"Mall {uuid.uuid4().hex[:6]}", rows=rows or HALSOBESOK
    )
    return (await org.as_admin(org.records.CreateNoteTemplate, request)).template


async def update_template(org, template: pb.NoteTemplate, rows, name: str | None = None) -> pb.NoteTemplate:
    request = pb.UpdateNoteTemplateRequest(template_id=template.id, name=name or template.name, rows=rows)
    return (await org.as_admin(org.records.UpdateNoteTemplate, request)).template


async def get_template(org, template_id: str, version: int = 0, token: str | None = None) -> pb.NoteTemplate:
    request = pb.GetNoteTemplateRequest(template_id=template_id, version=version)
    return await call(org.records.GetNoteTemplate, request, token=token or org.admin)


def kept(template: pb.NoteTemplate) -> list[pb.TemplateRow]:
    """The template's rows as a request that keeps them (ids included)."""
    return [pb.TemplateRow.FromString(r.SerializeToString()) for r in template.version.rows]


def problems(refused) -> list[tuple[str, str]]:
    assert isinstance(refused.value, InvalidFields)
    return [(p.field, p.rule) for p in refused.value.problems]


def units_of(engine):
    return lambda: UnitOfWork(session_factory(engine), KIT, "records", RecordsRepository)


async def mark_used(engine, org, version_id: str):
    async with units_of(engine)() as uow:
        version = await uow.repository(org.org_id).mark_template_version_used(uuid.UUID(version_id))
        await uow.commit()
    return version


# Templates --------------------------------------------------------------------------------------------------


async def test_a_template_keeps_its_rows_with_normalised_settings_and_every_member_reads_it(org):
    template = await create_template(org, "Hälsobesök åk 4")
    assert (template.name, template.status, template.current_version) == (
        "Hälsobesök åk 4",
        pb.TEMPLATE_STATUS_ACTIVE,
        1,
    )
    assert template.version.id == template.current_version_id and not template.version.in_use
    rows = template.version.rows
    assert [r.heading for r in rows] == [r.heading for r in HALSOBESOK]
    assert all(uuid.UUID(r.id) for r in rows) and len({r.id for r in rows}) == len(rows)
    assert from_struct(rows[0].settings) == {"min": 30, "max": 250}
    assert from_struct(rows[2].settings) == {"frequencies": [500, 1000, 2000, 4000]}
    assert from_struct(rows[5].settings) == {"min": 30, "max": 250, "unit": "slag/min"}
    assert rows[0].required and rows[5].help_text == "I vila"
    _, member = await org.member_with_role((await org.role()).id)
    assert (await get_template(org, template.id, token=member)).version.rows == rows
    listed = await call(org.records.ListNoteTemplates, pb.ListNoteTemplatesRequest(), token=member)
    assert [(t.id, t.current_version_id) for t in listed.templates] == [
        (template.id, template.current_version_id)
    ]


async def test_only_an_administrator_writes_templates(org):
    _, member = await org.member_with_role((await org.role()).id)
    request = pb.CreateNoteTemplateRequest(name="Mall", rows=HALSOBESOK)
    with pytest.raises(PermissionDenied):
        await call(org.records.CreateNoteTemplate, request, token=member)


async def test_every_problem_of_a_template_comes_back_at_once(org):
    rows = [
        row("", pb.ROW_TYPE_FREE_TEXT),
        row("Samtalsform", pb.ROW_TYPE_SINGLE_CHOICE, {"options": ["A", "A"]}),
        row("Puls", pb.ROW_TYPE_INTEGER, {"min": 120.5}),
        row("Okänd", pb.ROW_TYPE_UNSPECIFIED),
    ]
    with pytest.raises(InvalidArgument) as refused:
        await create_template(org, " ", rows)
    assert problems(refused) == [
        ("name", "required"),
        ("rows[0].heading", "required"),
        ("rows[1].settings.options[1]", "duplicate"),
        ("rows[2].settings.min", "type"),
        ("rows[3].type", "required"),
    ]


async def test_a_template_name_is_unique_in_the_organisation(org):
    await create_template(org, "Vaccination")
    with pytest.raises(AlreadyExists) as refused:
        await create_template(org, "Vaccination")
    assert refused.value.field == "name"


async def test_editing_a_template_no_note_uses_updates_its_version_in_place_and_rows_keep_their_ids(org):
    template = await create_template(org)
    rows = kept(template)
    rows[0].heading = "Längd (cm)"
    rows.append(row("Övrigt", pb.ROW_TYPE_FREE_TEXT))
    edited = await update_template(org, template, rows, name="Hälsobesök åk 4")
    assert (edited.name, edited.current_version, edited.version.id) == (
        "Hälsobesök åk 4",
        1,
        template.version.id,
    )
    assert edited.version.rows[0].heading == "Längd (cm)"
    assert [r.id for r in edited.version.rows][:-1] == [r.id for r in template.version.rows]
    assert edited.version.rows[-1].id not in {r.id for r in template.version.rows}


async def test_once_notes_use_a_version_an_edit_creates_version_2_and_version_1_stays_readable(org, engine):
    template = await create_template(org)
    used = await mark_used(engine, org, template.version.id)
    assert used.in_use and str(used.id) == template.version.id
    rows = kept(template)
    rows[1].settings.CopyFrom(to_struct({"min": 20, "max": 100}))
    edited = await update_template(org, template, rows)
    assert edited.current_version == 2 and edited.version.version == 2
    assert edited.version.id != template.version.id and edited.current_version_id == edited.version.id
    assert [r.id for r in edited.version.rows] == [r.id for r in template.version.rows]
    first = await get_template(org, template.id, version=1)
    assert first.version.rows == template.version.rows and first.version.in_use
    assert first.current_version == 2 and first.current_version_id == edited.version.id
    again = await update_template(org, edited, kept(edited))
    assert again.current_version == 2, "an edit that changes nothing makes no version"
    with pytest.raises(NotFound) as missing:
        await get_template(org, template.id, version=3)
    assert missing.value.field == "version"


async def test_a_row_keeps_its_type_across_versions(org):
    template = await create_template(org)
    rows = kept(template)
    rows[3].row_type = pb.ROW_TYPE_FREE_TEXT
    with pytest.raises(InvalidArgument) as refused:
        await update_template(org, template, rows)
    assert problems(refused) == [("rows[3].type", "type")]


async def test_a_prefill_names_a_row_of_the_same_type_in_a_template_of_the_organisation(org, services):
    doctor = await create_template(org, "Läkarbesök", [row("Bedömning", pb.ROW_TYPE_FREE_TEXT)])
    source = doctor.version.rows[0]
    prefill = pb.Prefill(template_id=doctor.id, row_id=source.id)
    follow_up = await create_template(
        org, "Uppföljning", [row("Bedömning", pb.ROW_TYPE_FREE_TEXT, prefill=prefill)]
    )
    assert follow_up.version.rows[0].prefill == prefill
    own = kept(doctor)
    own[0].prefill.CopyFrom(prefill)
    assert (await update_template(org, doctor, own)).version.rows[0].prefill == prefill
    theirs = await create_template(await new_org(services), "Läkarbesök")
    bad = [
        row("A", pb.ROW_TYPE_INTEGER, prefill=prefill),
        row("B", pb.ROW_TYPE_FREE_TEXT, prefill=pb.Prefill(template_id=doctor.id, row_id=str(uuid.uuid4()))),
        row(
            "C",
            pb.ROW_TYPE_LENGTH,
            prefill=pb.Prefill(template_id=theirs.id, row_id=theirs.version.rows[0].id),
        ),
    ]
    with pytest.raises(InvalidArgument) as refused:
        await create_template(org, "Fel", bad)
    assert problems(refused) == [
        ("rows[0].prefill", "prefill"),
        ("rows[1].prefill", "prefill"),
        ("rows[2].prefill", "prefill"),
    ]


async def test_a_retired_template_is_listed_only_on_request_and_never_deleted(org):
    template = await create_template(org)
    reply = await org.as_admin(
        org.records.RetireNoteTemplate, pb.RetireNoteTemplateRequest(template_id=template.id)
    )
    assert reply.template.status == pb.TEMPLATE_STATUS_RETIRED
    listed = await call(org.records.ListNoteTemplates, pb.ListNoteTemplatesRequest(), token=org.admin)
    assert template.id not in {t.id for t in listed.templates}
    everything = pb.ListNoteTemplatesRequest(include_retired=True)
    listed = await call(org.records.ListNoteTemplates, everything, token=org.admin)
    assert template.id in {t.id for t in listed.templates}
    assert (await get_template(org, template.id)).version.rows == template.version.rows


# Menus ------------------------------------------------------------------------------------------------------


def template_item(template_id: str) -> pb.MenuItem:
    return pb.MenuItem(template=pb.TemplateSummary(id=template_id))


def submenu(name: str, *items: pb.MenuItem) -> pb.MenuItem:
    return pb.MenuItem(submenu=pb.Submenu(name=name, items=items))


async def create_menu(org, name: str, *items: pb.MenuItem) -> pb.CreateTemplateMenuResponse:
    return await org.as_admin(
        org.records.CreateTemplateMenu, pb.CreateTemplateMenuRequest(name=name, items=items)
    )


async def outbox_subjects(engine, org) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT subject FROM records.outbox WHERE org_id = :org ORDER BY id"), {"org": org.org_id}
        )
        return [subject.rsplit(".", 1)[1] for subject in rows.scalars()]


async def test_a_menu_is_a_tree_of_templates_with_their_current_versions_and_its_creation_is_published(
    org, engine
):
    visit, referral = await create_template(org, "Hälsobesök"), await create_template(org, "Remiss")
    reply = await create_menu(
        org,
        "Skolsköterska – Medicinsk journal",
        template_item(visit.id),
        submenu("Remisser", template_item(referral.id)),
    )
    menu = reply.menu
    assert reply.consistency_token
    assert menu.items[0].template == pb.TemplateSummary(
        id=visit.id,
        name="Hälsobesök",
        status=pb.TEMPLATE_STATUS_ACTIVE,
        current_version=1,
        current_version_id=visit.current_version_id,
    )
    assert (
        menu.items[1].submenu.name == "Remisser" and menu.items[1].submenu.items[0].template.id == referral.id
    )
    assert await outbox_subjects(engine, org) == ["TemplateMenuCreated"]
    got = await call(org.records.GetTemplateMenu, pb.GetTemplateMenuRequest(menu_id=menu.id), token=org.admin)
    assert got.items == menu.items
    with pytest.raises(AlreadyExists):
        await create_menu(org, "Skolsköterska – Medicinsk journal")


async def test_a_menu_refuses_unknown_and_retired_templates_and_trees_too_deep(org, services):
    retired = await create_template(org)
    await org.as_admin(org.records.RetireNoteTemplate, pb.RetireNoteTemplateRequest(template_id=retired.id))
    theirs = await create_template(await new_org(services))
    deep = template_item(retired.id)
    for level in range(6):
        deep = submenu(f"Nivå {level}", deep)
    with pytest.raises(InvalidArgument) as refused:
        await create_menu(
            org, "Meny", template_item(retired.id), template_item(theirs.id), pb.MenuItem(), deep
        )
    assert problems(refused) == [
        ("items[0].template_id", "retired"),
        ("items[1].template_id", "unknown"),
        ("items[2]", "shape"),
        ("items[3].items[0].items[0].items[0].items[0].items[0]", "range"),
    ]


async def test_a_menu_is_replaced_whole_and_keeps_a_template_retired_since(org):
    first, second = await create_template(org), await create_template(org)
    menu = (await create_menu(org, "Kurator – Kuratorsakt", template_item(first.id))).menu
    await org.as_admin(org.records.RetireNoteTemplate, pb.RetireNoteTemplateRequest(template_id=first.id))
    request = pb.UpdateTemplateMenuRequest(
        menu_id=menu.id,
        name="Kurator",
        items=[template_item(first.id), submenu("Mer", template_item(second.id))],
    )
    updated = (await org.as_admin(org.records.UpdateTemplateMenu, request)).menu
    assert updated.name == "Kurator"
    assert [i.template.status for i in (updated.items[0], updated.items[1].submenu.items[0])] == [
        pb.TEMPLATE_STATUS_RETIRED,
        pb.TEMPLATE_STATUS_ACTIVE,
    ]
    listed = await call(org.records.ListTemplateMenus, pb.ListTemplateMenusRequest(), token=org.admin)
    assert [m.id for m in listed.menus] == [menu.id]


async def test_someone_writing_a_note_is_offered_the_menus_without_retired_templates(org, engine):
    kept_template, retired = await create_template(org, "Hälsobesök"), await create_template(org, "Gammal")
    menu = (
        await create_menu(
            org,
            "Skolsköterska",
            template_item(retired.id),
            submenu("Besök", template_item(kept_template.id), template_item(retired.id)),
            submenu("Gamla", template_item(retired.id)),
        )
    ).menu
    await org.as_admin(org.records.RetireNoteTemplate, pb.RetireNoteTemplateRequest(template_id=retired.id))
    caller = Caller(str(uuid.uuid4()), org.org_id, PermissionLevel.MEMBER, "")
    trees = await menus_with_templates(units_of(engine), caller, [uuid.UUID(menu.id), uuid.uuid4()])
    assert [(t.id, t.name) for t in trees] == [(menu.id, "Skolsköterska")]
    [besok] = trees[0].items
    assert isinstance(besok, Submenu) and besok.name == "Besök"
    assert [(s.id, s.current_version, s.current_version_id) for s in besok.items] == [
        (kept_template.id, 1, kept_template.current_version_id)
    ]


async def test_replaying_an_organisation_publishes_its_menus_too(org, engine):
    menu = (await create_menu(org, "Elevakt")).menu
    folder = await org.folder()
    async with session_factory(engine)() as session:
        events = await current_state(session, uuid.UUID(org.org_id))
    assert [
        (type(e).__name__, getattr(e, "menu_id", None) or getattr(e, "folder_id", None)) for e in events
    ] == [
        ("FolderCreated", folder.id),
        ("TemplateMenuCreated", menu.id),
    ]


# Address book and contact types -----------------------------------------------------------------------------


async def test_the_address_book_is_written_by_admins_read_by_members_and_entries_are_deactivated(org):
    create = pb.CreateAddressBookEntryRequest(
        name=" BUP Stockholm ", organisation="Region Stockholm", address="Box 1\n111 11 Stockholm"
    )
    entry = (await org.as_admin(org.records.CreateAddressBookEntry, create)).entry
    assert (entry.name, entry.address, entry.active) == ("BUP Stockholm", "Box 1\n111 11 Stockholm", True)
    update = pb.UpdateAddressBookEntryRequest(
        entry_id=entry.id, name="BUP Sydväst", organisation="", address="Box 2", active=True
    )
    assert (await org.as_admin(org.records.UpdateAddressBookEntry, update)).entry.name == "BUP Sydväst"
    deactivate = pb.DeactivateAddressBookEntryRequest(entry_id=entry.id)
    assert not (await org.as_admin(org.records.DeactivateAddressBookEntry, deactivate)).entry.active
    _, member = await org.member_with_role((await org.role()).id)
    listed = await call(org.records.ListAddressBook, pb.ListAddressBookRequest(), token=member)
    assert list(listed.entries) == []
    listed = await call(
        org.records.ListAddressBook, pb.ListAddressBookRequest(include_inactive=True), token=member
    )
    assert [(e.id, e.active) for e in listed.entries] == [(entry.id, False)]
    with pytest.raises(PermissionDenied):
        await call(org.records.CreateAddressBookEntry, create, token=member)
    with pytest.raises(InvalidArgument) as refused:
        await org.as_admin(org.records.CreateAddressBookEntry, pb.CreateAddressBookEntryRequest(name="X"))
    assert refused.value.field == "address"


async def test_contact_types_are_ordered_unique_by_name_and_may_be_deactivated(org):
    async def create(name: str, **position):
        request = pb.CreateContactTypeRequest(name=name, **position)
        return (await org.as_admin(org.records.CreateContactType, request)).contact_type

    visit, phone, letter = await create("Besök"), await create("Telefon"), await create("Brev", position=0)
    assert [visit.position, phone.position, letter.position] == [0, 1, 0]
    listed = await call(org.records.ListContactTypes, pb.ListContactTypesRequest(), token=org.admin)
    assert [c.name for c in listed.contact_types] == ["Besök", "Brev", "Telefon"]
    with pytest.raises(AlreadyExists) as refused:
        await create("Telefon")
    assert refused.value.field == "name"
    update = pb.UpdateContactTypeRequest(contact_type_id=phone.id, name="Telefonsamtal", active=False)
    changed = (await org.as_admin(org.records.UpdateContactType, update)).contact_type
    assert (changed.name, changed.active, changed.position) == ("Telefonsamtal", False, 1)
    listed = await call(org.records.ListContactTypes, pb.ListContactTypesRequest(), token=org.admin)
    assert [c.name for c in listed.contact_types] == ["Besök", "Brev"]
    with pytest.raises(InvalidArgument) as refused:
        await create("Digitalt möte", position=-1)
    assert refused.value.field == "position"


async def test_the_repository_finds_address_entries_and_contact_types_for_notes(org, engine):
    create = pb.CreateAddressBookEntryRequest(name="Logopedmottagningen", address="Gatan 1")
    entry = (await org.as_admin(org.records.CreateAddressBookEntry, create)).entry
    kind = (
        await org.as_admin(org.records.CreateContactType, pb.CreateContactTypeRequest(name="Besök"))
    ).contact_type
    template = await create_template(org)
    async with units_of(engine)() as uow:
        repo = uow.repository(org.org_id)
        assert (await repo.address_entry(uuid.UUID(entry.id))).name == "Logopedmottagningen"
        assert (await repo.contact_type(uuid.UUID(kind.id))).name == "Besök"
        assert str((await repo.current_template_version(uuid.UUID(template.id))).id) == template.version.id
        assert (await repo.template_version(uuid.UUID(template.version.id))).version == 1
        assert (await repo.template(uuid.UUID(template.id))).name == template.name


# Tenancy ----------------------------------------------------------------------------------------------------


async def test_another_organisations_templates_menus_entries_and_contact_types_are_not_found(
    org, services, engine
):
    theirs = await new_org(services)
    template = await create_template(theirs)
    menu = (await create_menu(theirs, "Deras meny", template_item(template.id))).menu
    entry = (
        await theirs.as_admin(
            theirs.records.CreateAddressBookEntry,
            pb.CreateAddressBookEntryRequest(name="BUP", address="Box 1"),
        )
    ).entry
    kind = (
        await theirs.as_admin(theirs.records.CreateContactType, pb.CreateContactTypeRequest(name="Besök"))
    ).contact_type
    attempts = [
        (org.records.GetNoteTemplate, pb.GetNoteTemplateRequest(template_id=template.id), "template_id"),
        (
            org.records.UpdateNoteTemplate,
            pb.UpdateNoteTemplateRequest(template_id=template.id, name="X", rows=HALSOBESOK),
            "template_id",
        ),
        (
            org.records.RetireNoteTemplate,
            pb.RetireNoteTemplateRequest(template_id=template.id),
            "template_id",
        ),
        (org.records.GetTemplateMenu, pb.GetTemplateMenuRequest(menu_id=menu.id), "menu_id"),
        (org.records.UpdateTemplateMenu, pb.UpdateTemplateMenuRequest(menu_id=menu.id, name="X"), "menu_id"),
        (
            org.records.UpdateAddressBookEntry,
            pb.UpdateAddressBookEntryRequest(entry_id=entry.id, name="X", address="Y"),
            "entry_id",
        ),
        (
            org.records.DeactivateAddressBookEntry,
            pb.DeactivateAddressBookEntryRequest(entry_id=entry.id),
            "entry_id",
        ),
        (
            org.records.UpdateContactType,
            pb.UpdateContactTypeRequest(contact_type_id=kind.id, name="X"),
            "contact_type_id",
        ),
    ]
    for method, request, field in attempts:
        with pytest.raises(NotFound) as refused:
            await call(method, request, token=org.admin)
        assert refused.value.field == field, method
    async with units_of(engine)() as uow:
        repo = uow.repository(org.org_id)
        for lookup, other_id, field in [
            (repo.template, template.id, "template_id"),
            (repo.current_template_version, template.id, "template_id"),
            (repo.template_version, template.version.id, "version_id"),
            (repo.mark_template_version_used, template.version.id, "version_id"),
            (repo.address_entry, entry.id, "entry_id"),
            (repo.contact_type, kind.id, "contact_type_id"),
        ]:
            with pytest.raises(NotFound) as refused:
                await lookup(uuid.UUID(other_id))
            assert refused.value.field == field
        assert await repo.template_menus([uuid.UUID(menu.id)]) == []
    assert not (await get_template(theirs, template.id)).version.in_use
    mine = await call(
        org.records.ListNoteTemplates, pb.ListNoteTemplatesRequest(include_retired=True), token=org.admin
    )
    assert list(mine.templates) == []


async def test_subadmins_manage_templates_only_where_the_organisation_allows_it(org):
    subadmin, email = await org.user(level=ipb.PERMISSION_LEVEL_SUBADMIN)
    token = await org.login(email)
    row = pb.TemplateRow(heading="Anteckning", row_type=pb.ROW_TYPE_FREE_TEXT)
    request = pb.CreateNoteTemplateRequest(name="Subadministratörens mall", rows=[row])
    with pytest.raises(PermissionDenied):
        await call(org.records.CreateNoteTemplate, request, token=token)
    allow = ipb.UpdateSettingsRequest(subadmins_manage_templates=True)
    await call(org.identity.UpdateSettings, allow, token=org.admin)
    created = await call(org.records.CreateNoteTemplate, request, token=token)
    assert created.template.name == "Subadministratörens mall"
    member, member_email = await org.user()
    with pytest.raises(PermissionDenied):
        await call(org.records.CreateNoteTemplate, request, token=await org.login(member_email))
