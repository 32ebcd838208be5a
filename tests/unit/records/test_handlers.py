"""Records' use cases: every read and refusal is logged, authz decides what is shown, and no unit of work is open
while another service is asked."""

import uuid

import pytest

from services.common.auth import AdminModule, PermissionLevel
from services.common.errors import AlreadyExists, PermissionDenied
from services.records.adapters.orm import Folder, Student
from services.records.service_layer import handlers, templates
from tests.unit.records.fakes import (
    ORG,
    FakeAuthz,
    FakeIdentity,
    FakeRights,
    FakeUnitsOfWork,
    Journal,
    caller,
)

UNIT = uuid.UUID("00000000-0000-0000-0000-0000000000b1")


def a_journal() -> tuple[Journal, Student, Folder]:
    """A student at UNIT and a medical journal."""
    student = Student(
        id=uuid.uuid4(), org_id=ORG, unit_id=UNIT, personnummer="201503122382", first_name="Alva"
    )
    folder = Folder(id=uuid.uuid4(), org_id=ORG, name="Medicinsk journal", group_notes_allowed=False)
    return Journal(students=[student], folders=[folder]), student, folder


def logged(journal: Journal) -> list[tuple]:
    return [(e.action, e.outcome, e.note_count) for e in journal.access_log]


async def test_a_duplicate_student_is_logged_and_refused():
    journal, student, _ = a_journal()
    units = FakeUnitsOfWork(journal)
    again = handlers.NewStudent(UNIT, student.personnummer, "Alva", "Andersson", protected_identity=False)
    with pytest.raises(AlreadyExists) as refused:
        await handlers.create_student(
            units, caller(PermissionLevel.ADMIN), FakeRights(units), FakeIdentity(units, {UNIT}), again
        )
    assert refused.value.field == "personnummer"
    assert journal.students == [student] and journal.events == []
    assert logged(journal) == [("create_student", "denied", 0)]
    assert journal.access_log[0].student_id == student.id


async def test_no_unit_of_work_is_open_while_authz_is_asked():
    journal, student, _ = a_journal()
    units = FakeUnitsOfWork(journal)
    authz = FakeAuthz(units)
    await handlers.get_student(units, caller(), authz, student.id, "")
    assert authz.open_while_asked == [0]
    assert logged(journal) == [("view_student", "allowed", 0)]


async def test_no_unit_of_work_is_open_while_identity_is_asked():
    units = FakeUnitsOfWork()
    identity = FakeIdentity(units, {UNIT})
    new = handlers.NewStudent(UNIT, "201503122382", "Alva", "Andersson", protected_identity=False)
    rights = FakeRights(units)
    student, _ = await handlers.create_student(units, caller(PermissionLevel.ADMIN), rights, identity, new)
    assert identity.open_while_asked == [0] and rights.open_while_asked == [0]
    assert units.journal.students == [student]


async def test_a_subadmin_creates_students_until_an_administrator_raises_the_students_module():
    units = FakeUnitsOfWork()
    rights, identity, subadmin = (
        FakeRights(units),
        FakeIdentity(units, {UNIT}),
        caller(PermissionLevel.SUBADMIN),
    )
    new = handlers.NewStudent(UNIT, "201503122382", "Alva", "Andersson", protected_identity=False)
    await handlers.create_student(units, subadmin, rights, identity, new, token="before")
    rights.model.set_module_level(str(ORG), "students", "admin")
    again = handlers.NewStudent(UNIT, "201503122390", "Bo", "Andersson", protected_identity=False)
    with pytest.raises(PermissionDenied) as refused:
        await handlers.create_student(units, subadmin, rights, identity, again, token="after")
    assert "students module needs the permission level admin" in refused.value.message
    assert len(units.journal.students) == 1
    assert [(module, token) for module, token, _ in rights.asked] == [
        ("students", "before"),
        ("students", "after"),
    ]


def test_folder_names_are_open_to_every_member():
    assert handlers.list_folders.open_to_every_member


@pytest.mark.parametrize(
    "setting, module_level, allowed",
    [(False, None, False), (True, None, True), (False, "subadmin", True)],
    ids=["neither", "the-setting", "the-module-level"],
)
async def test_a_subadmin_manages_templates_where_the_setting_or_the_module_level_allows_it(
    setting, module_level, allowed
):
    units = FakeUnitsOfWork()
    rights, subadmin = FakeRights(units), caller(PermissionLevel.SUBADMIN)
    if module_level:
        rights.model.set_module_level(str(ORG), "templates", module_level)
    identity = FakeIdentity(units, subadmins_manage_templates=setting)
    if allowed:
        await templates.require_template_manager(subadmin, rights, identity, AdminModule.TEMPLATES)
    else:
        with pytest.raises(PermissionDenied):
            await templates.require_template_manager(subadmin, rights, identity, AdminModule.TEMPLATES)


async def test_the_template_setting_lets_no_member_manage_templates():
    units = FakeUnitsOfWork()
    identity = FakeIdentity(units, subadmins_manage_templates=True)
    with pytest.raises(PermissionDenied):
        await templates.require_template_manager(
            caller(PermissionLevel.MEMBER), FakeRights(units), identity, AdminModule.TEMPLATE_MENUS
        )


async def test_an_administrator_manages_templates_without_the_setting_being_read():
    units = FakeUnitsOfWork()
    identity = FakeIdentity(units)
    await templates.require_template_manager(
        caller(PermissionLevel.ADMIN), FakeRights(units), identity, AdminModule.TEMPLATES
    )
    assert identity.open_while_asked == []
