"""Case types over gRPC, on real PostgreSQL: the folders module writes them, every member reads them, and they
point only at the organisation's own folders and menus."""

import uuid

import pytest
from elevhalsa.records.v1 import records_pb2 as pb

from services.common.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from services.common.grpc_client import call
from tests.support.orgs import new_org


async def menu(org) -> pb.TemplateMenu:
    request = pb.CreateTemplateMenuRequest(name=f"Meny {uuid.uuid4().hex[:6]}")
    return (await org.as_admin(org.records.CreateTemplateMenu, request)).menu


async def create(org, name: str, folder_id: str, **fields) -> pb.CaseType:
    request = pb.CreateCaseTypeRequest(name=name, folder_id=folder_id, consistency_token=org.token, **fields)
    return (await org.as_admin(org.records.CreateCaseType, request)).case_type


async def update(org, case_type_id: str, **fields) -> pb.CaseTypeResponse:
    request = pb.UpdateCaseTypeRequest(case_type_id=case_type_id, consistency_token=org.token, **fields)
    return await org.as_admin(org.records.UpdateCaseType, request)


async def listed(org, token: str, **flt) -> list[str]:
    reply = await call(org.records.ListCaseTypes, pb.ListCaseTypesRequest(**flt), token=token)
    return [c.name for c in reply.case_types]


async def test_an_administrator_creates_lists_changes_and_deactivates_case_types(org):
    folder, other_folder, meny = await org.folder("Elevakt"), await org.folder("Kuratorsakt"), await menu(org)
    linked = await create(org, "Elevhälsoärende", folder.id, student_linked=True, template_menu_id=meny.id)
    unit = await create(org, "Enhetsärende", folder.id)
    assert (linked.student_linked, linked.folder_id, linked.template_menu_id, linked.active) == (
        True,
        folder.id,
        meny.id,
        True,
    )
    assert (unit.student_linked, unit.template_menu_id) == (False, "")

    changed = await update(
        org, unit.id, folder_id=other_folder.id, template_menu_id=meny.id, name="Enhetsfråga"
    )
    assert (changed.case_type.name, changed.case_type.folder_id, changed.case_type.template_menu_id) == (
        "Enhetsfråga",
        other_folder.id,
        meny.id,
    )
    cleared = (await update(org, linked.id, template_menu_id="", active=False)).case_type
    assert (cleared.template_menu_id, cleared.active, cleared.student_linked) == ("", False, True)

    _, member = await org.member_with_role((await org.role()).id)
    assert await listed(org, member) == ["Elevhälsoärende", "Enhetsfråga"]
    assert await listed(org, member, active=True) == ["Enhetsfråga"]
    assert await listed(org, member, active=False) == ["Elevhälsoärende"]
    read = await call(org.records.GetCaseType, pb.GetCaseTypeRequest(case_type_id=linked.id), token=member)
    assert (read.name, read.active) == ("Elevhälsoärende", False)


async def test_an_unknown_folder_or_menu_or_another_organisations_folder_is_not_found(services, org):
    folder = await org.folder()
    elsewhere = await new_org(services)
    foreign_folder, foreign_menu = await elsewhere.folder(), await menu(elsewhere)
    for fields, field in [
        ({"folder_id": str(uuid.uuid4())}, "folder_id"),
        ({"folder_id": foreign_folder.id}, "folder_id"),
        ({"folder_id": folder.id, "template_menu_id": str(uuid.uuid4())}, "template_menu_id"),
        ({"folder_id": folder.id, "template_menu_id": foreign_menu.id}, "template_menu_id"),
    ]:
        with pytest.raises(NotFound) as missing:
            await create(org, "Elevhälsoärende", **fields)
        assert missing.value.field == field
    case_type = await create(org, "Elevhälsoärende", folder.id)
    with pytest.raises(NotFound) as missing:
        await update(org, case_type.id, folder_id=foreign_folder.id)
    assert missing.value.field == "folder_id"
    assert await listed(org, org.admin) == ["Elevhälsoärende"]


async def test_a_name_taken_in_any_case_even_by_an_inactive_type_is_a_conflict(org):
    folder = await org.folder()
    first = await create(org, "Elevhälsoärende", folder.id)
    await update(org, first.id, active=False)
    with pytest.raises(AlreadyExists) as taken:
        await create(org, "elevhälsoÄRENDE", folder.id)
    assert taken.value.field == "name"
    second = await create(org, "Enhetsärende", folder.id)
    with pytest.raises(AlreadyExists):
        await update(org, second.id, name="ELEVHÄLSOÄRENDE")


async def test_a_member_without_the_folders_module_may_read_but_not_write_case_types(org):
    folder = await org.folder()
    case_type = await create(org, "Elevhälsoärende", folder.id)
    _, member = await org.member_with_role((await org.role()).id)
    request = pb.CreateCaseTypeRequest(name="Annat", folder_id=folder.id)
    with pytest.raises(PermissionDenied):
        await call(org.records.CreateCaseType, request, token=member)
    change = pb.UpdateCaseTypeRequest(case_type_id=case_type.id, active=False)
    with pytest.raises(PermissionDenied):
        await call(org.records.UpdateCaseType, change, token=member)
    assert await listed(org, member, active=True) == ["Elevhälsoärende"]


async def test_another_organisations_case_type_is_not_found(services, org):
    elsewhere = await new_org(services)
    foreign = await create(elsewhere, "Elevhälsoärende", (await elsewhere.folder()).id)
    with pytest.raises(NotFound):
        await call(org.records.GetCaseType, pb.GetCaseTypeRequest(case_type_id=foreign.id), token=org.admin)
    with pytest.raises(NotFound):
        await update(org, foreign.id, active=False)
    with pytest.raises(NotFound):
        await update(org, "not-an-id", active=False)
    assert await listed(org, org.admin) == []


@pytest.mark.parametrize("name", ["", "   ", "x" * 201, "Elev\x00ärende"])
async def test_a_blank_too_long_or_nul_name_is_refused_naming_the_name(org, name):
    folder = await org.folder()
    with pytest.raises(InvalidArgument) as refused:
        await create(org, name, folder.id)
    assert refused.value.field == "name"
    with pytest.raises(InvalidArgument) as refused:
        await create(org, "Elevhälsoärende", "not-a-uuid")
    assert refused.value.field == "folder_id"
