"""Case types: journal configuration that every member of the organisation reads (cases are created from them)
and administrators of the folders module write. The rules are in services/records/domain/case_types.py."""

import uuid

from services.common import clock
from services.common.admin_rights import Rights
from services.common.auth import AdminModule, Caller
from services.common.errors import AlreadyExists
from services.common.repository import open_to_every_member
from services.records.adapters.orm import CaseType
from services.records.adapters.repository import RecordsRepository
from services.records.domain.case_types import CaseTypeChanges, changed, check_name, same_name
from services.records.service_layer.handlers import UnitsOfWork, repository

CONFIGURATION = "case types are what every member creates cases from"
FIELDS = ("name", "student_linked", "folder_id", "template_menu_id", "active")


async def create_case_type(
    units: UnitsOfWork,
    caller: Caller,
    rights: Rights,
    name: str,
    student_linked: bool,
    folder_id: uuid.UUID,
    template_menu_id: uuid.UUID | None,
    *,
    token: str = "",
) -> tuple[CaseType, str]:
    """A new, active case type in one of the organisation's folders."""
    await rights.require(caller, AdminModule.FOLDERS, token)
    name = check_name(name)
    async with units() as uow:
        repo = repository(uow, caller)
        await repo.check_case_type_references(folder_id, template_menu_id)
        await require_free_name(repo, name, None)
        now = clock.utcnow()
        case_type = CaseType(
            id=uuid.uuid4(),
            org_id=repo.org_id,
            name=name,
            student_linked=student_linked,
            folder_id=folder_id,
            template_menu_id=template_menu_id,
            active=True,
            created_at=now,
            updated_at=now,
        )
        repo.add(case_type)
        return case_type, await uow.commit()


async def update_case_type(
    units: UnitsOfWork,
    caller: Caller,
    rights: Rights,
    case_type_id: uuid.UUID,
    changes: CaseTypeChanges,
    *,
    token: str = "",
) -> tuple[CaseType, str]:
    """Change the fields given; deactivating keeps the type (and, later, its cases) but offers it no more."""
    await rights.require(caller, AdminModule.FOLDERS, token)
    given = changes.given()
    async with units() as uow:
        repo = repository(uow, caller)
        case_type = await repo.case_type(case_type_id)
        differ = changed({name: getattr(case_type, name) for name in FIELDS}, given)
        if not differ:
            return case_type, ""
        if "folder_id" in differ or "template_menu_id" in differ:
            await repo.check_case_type_references(
                differ.get("folder_id", case_type.folder_id),
                differ.get("template_menu_id", case_type.template_menu_id),
            )
        if "name" in differ:
            await require_free_name(repo, differ["name"], case_type.id)
        for field, value in differ.items():
            setattr(case_type, field, value)
        case_type.updated_at = clock.utcnow()
        return case_type, await uow.commit()


@open_to_every_member(CONFIGURATION)
async def list_case_types(units: UnitsOfWork, caller: Caller, active: bool | None) -> list[CaseType]:
    """By name: all, or only the active (or inactive) ones."""
    async with units() as uow:
        return await repository(uow, caller).case_types(active=active)


@open_to_every_member(CONFIGURATION)
async def get_case_type(units: UnitsOfWork, caller: Caller, case_type_id: uuid.UUID) -> CaseType:
    async with units() as uow:
        return await repository(uow, caller).case_type(case_type_id)


async def require_free_name(repo: RecordsRepository, name: str, own_id: uuid.UUID | None) -> None:
    other = await repo.case_type_named(name)
    if other is not None and other.id != own_id and same_name(other.name, name):
        raise AlreadyExists(f"a case type named {other.name!r} already exists", field="name")
