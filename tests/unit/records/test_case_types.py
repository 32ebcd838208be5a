"""Case types: the name rules, and handlers that let the folders module change them and every member read them."""

import uuid

import pytest

from services.common.auth import AdminModule, PermissionLevel
from services.common.errors import AlreadyExists, InvalidArgument, NotFound, PermissionDenied
from services.records.adapters.orm import CaseType, Folder, TemplateMenu
from services.records.domain import case_types as rules
from services.records.domain.case_types import CaseTypeChanges
from services.records.service_layer import case_types
from tests.unit.records.fakes import ORG, FakeRights, FakeUnitsOfWork, Journal, caller

OTHER_ORG = uuid.UUID("00000000-0000-0000-0000-00000000000b")

# The rules ------------------------------------------------------------------------------------------------


def test_a_name_is_trimmed_and_refused_when_blank_too_long_or_with_a_nul_naming_the_name():
    assert rules.check_name("  Elevhälsoärende ") == "Elevhälsoärende"
    for name in ["", "   ", "x" * (rules.MAX_NAME + 1), "a\x00b"]:
        with pytest.raises(InvalidArgument) as refused:
            rules.check_name(name)
        assert refused.value.field == "name"


def test_names_differing_only_in_case_are_the_same_name():
    assert rules.same_name("Elevhälsoärende", "ELEVHÄLSOÄRENDE")
    assert not rules.same_name("Elevhälsoärende", "Enhetsärende")


def test_a_change_carries_only_the_fields_given_and_none_removes_the_menu():
    assert CaseTypeChanges(active=False).given() == {"active": False}
    assert CaseTypeChanges(name=" Ny ", template_menu_id=None).given() == {
        "name": "Ny",
        "template_menu_id": None,
    }
    assert rules.changed({"name": "A", "active": True}, {"name": "A", "active": False}) == {"active": False}


# The handlers ---------------------------------------------------------------------------------------------


class Scene:
    def __init__(self):
        self.journal = Journal()
        self.units = FakeUnitsOfWork(self.journal)
        self.rights = FakeRights(self.units)
        self.admin = caller(PermissionLevel.ADMIN)
        self.folder = self.put(Folder(id=uuid.uuid4(), org_id=ORG, name="Elevakt", group_notes_allowed=False))
        self.menu = self.put(TemplateMenu(id=uuid.uuid4(), org_id=ORG, name="Ärendemeny", items=[]))

    def put(self, row):
        self.journal.table(type(row)).append(row)
        return row

    async def create(self, name="Elevhälsoärende", *, folder_id=None, menu_id=None, who=None, token=""):
        case_type, _ = await case_types.create_case_type(
            self.units,
            who or self.admin,
            self.rights,
            name,
            True,
            folder_id or self.folder.id,
            menu_id,
            token=token,
        )
        return case_type

    async def update(self, case_type_id, **changes):
        return await case_types.update_case_type(
            self.units, self.admin, self.rights, case_type_id, CaseTypeChanges(**changes)
        )


async def test_an_administrator_creates_an_active_case_type_asking_the_folders_module_with_the_token_first():
    scene = Scene()
    created = await scene.create(menu_id=scene.menu.id, token="t-1")
    [stored] = scene.journal.case_types
    assert (stored.id, stored.name, stored.student_linked, stored.active) == (
        created.id,
        "Elevhälsoärende",
        True,
        True,
    )
    assert (stored.folder_id, stored.template_menu_id) == (scene.folder.id, scene.menu.id)
    assert [(module, token) for module, token, _ in scene.rights.asked] == [(AdminModule.FOLDERS, "t-1")]
    assert scene.rights.open_while_asked == [0]


async def test_a_member_without_the_folders_module_may_not_create_or_change_case_types():
    scene = Scene()
    with pytest.raises(PermissionDenied):
        await scene.create(who=caller(PermissionLevel.MEMBER))
    created = await scene.create()
    with pytest.raises(PermissionDenied):
        await case_types.update_case_type(
            scene.units, caller(), scene.rights, created.id, CaseTypeChanges(active=False)
        )
    assert [c.active for c in scene.journal.case_types] == [True]


async def test_an_unknown_or_another_organisations_folder_or_menu_is_not_found_naming_the_field():
    scene = Scene()
    foreign_folder = scene.put(Folder(id=uuid.uuid4(), org_id=OTHER_ORG, name="Elevakt"))
    foreign_menu = scene.put(TemplateMenu(id=uuid.uuid4(), org_id=OTHER_ORG, name="Meny", items=[]))
    for kwargs, field in [
        ({"folder_id": uuid.uuid4()}, "folder_id"),
        ({"folder_id": foreign_folder.id}, "folder_id"),
        ({"menu_id": uuid.uuid4()}, "template_menu_id"),
        ({"menu_id": foreign_menu.id}, "template_menu_id"),
    ]:
        with pytest.raises(NotFound) as missing:
            await scene.create(**kwargs)
        assert missing.value.field == field
    assert scene.journal.case_types == []


async def test_a_name_taken_in_any_case_even_by_an_inactive_type_is_refused():
    scene = Scene()
    first = await scene.create("Elevhälsoärende")
    await scene.update(first.id, active=False)
    with pytest.raises(AlreadyExists) as taken:
        await scene.create("ELEVHÄLSOÄRENDE")
    assert taken.value.field == "name"
    other = await scene.create("Enhetsärende")
    with pytest.raises(AlreadyExists):
        await scene.update(other.id, name="elevhälsoärende")


async def test_a_case_type_may_be_renamed_in_another_case_deactivated_and_lose_its_menu():
    scene = Scene()
    created = await scene.create(menu_id=scene.menu.id)
    changed, _ = await scene.update(
        created.id, name="ELEVHÄLSOÄRENDE", active=False, template_menu_id=None, student_linked=False
    )
    [stored] = scene.journal.case_types
    assert (stored.name, stored.active, stored.template_menu_id, stored.student_linked) == (
        "ELEVHÄLSOÄRENDE",
        False,
        None,
        False,
    )
    assert changed.updated_at >= created.created_at


async def test_a_change_to_nothing_new_commits_nothing():
    scene = Scene()
    created = await scene.create()
    commits = scene.units.commits
    _, token = await scene.update(created.id, name="Elevhälsoärende", active=True)
    assert (token, scene.units.commits) == ("", commits)


async def test_a_change_to_an_unknown_folder_is_not_found_and_keeps_the_type_as_it_was():
    scene = Scene()
    created = await scene.create()
    with pytest.raises(NotFound) as missing:
        await scene.update(created.id, folder_id=uuid.uuid4(), name="Annat")
    assert missing.value.field == "folder_id"
    assert [c.name for c in scene.journal.case_types] == ["Elevhälsoärende"]


async def test_every_member_lists_case_types_by_name_filtered_by_active():
    scene = Scene()
    linked = await scene.create("Elevhälsoärende")
    unit = await scene.create("Enhetsärende")
    old = await scene.create("arkiverad typ")
    await scene.update(old.id, active=False)
    member = caller()
    assert case_types.list_case_types.open_to_every_member
    listed = await case_types.list_case_types(scene.units, member, None)
    assert [c.id for c in listed] == [old.id, linked.id, unit.id]
    assert [c.id for c in await case_types.list_case_types(scene.units, member, True)] == [linked.id, unit.id]
    assert [c.id for c in await case_types.list_case_types(scene.units, member, False)] == [old.id]
    assert (await case_types.get_case_type(scene.units, member, unit.id)).name == "Enhetsärende"


async def test_another_organisations_case_type_is_not_found():
    scene = Scene()
    foreign = scene.put(
        CaseType(id=uuid.uuid4(), org_id=OTHER_ORG, name="X", student_linked=True, folder_id=uuid.uuid4())
    )
    with pytest.raises(NotFound) as missing:
        await case_types.get_case_type(scene.units, caller(), foreign.id)
    assert missing.value.field == "case_type_id"
    with pytest.raises(NotFound):
        await scene.update(foreign.id, active=False)
