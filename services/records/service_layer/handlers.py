"""Records' use cases. Reads of student data ask authz first and commit their access-log row with the read.

No transaction is open while another service answers: a handler reads what the question needs in one unit of
work, ends it, asks, and then reads the rest and writes the log (and the change) in a short unit of work of its
own. A slow or frozen authz then holds only the requests waiting for it, never the pool's connections."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from elevhalsa.records.v1 import events_pb2

from services.common.admin_rights import Rights
from services.common.auth import AdminModule, Caller
from services.common.errors import AlreadyExists, PermissionDenied
from services.common.repository import open_to_every_member
from services.common.telemetry import current_trace_id
from services.common.uow import UnitOfWork
from services.records.adapters.clients import AuthzClient, IdentityClient
from services.records.adapters.orm import AccessLogEntry, Folder, Student
from services.records.adapters.repository import RecordsRepository
from services.records.domain.model import (
    AccessAction,
    AccessOutcome,
)
from services.records.domain.school import Contact

# Opens a new unit of work (a transaction on a pooled connection, from the first query to the end of the block).
UnitsOfWork = Callable[[], UnitOfWork]


def repository(uow: UnitOfWork, caller: Caller) -> RecordsRepository:
    return uow.repository(caller.org_id)


def access_entry(
    caller: Caller,
    student: Student,
    folder_id: uuid.UUID | None,
    action: AccessAction,
    outcome: AccessOutcome,
    reason: str,
    count: int = 0,
) -> AccessLogEntry:
    """The access-log row of one read, write or attempt."""
    return AccessLogEntry(
        org_id=student.org_id,
        user_id=uuid.UUID(caller.user_id),
        student_id=student.id,
        folder_id=folder_id,
        unit_id=student.unit_id,
        action=action,
        outcome=outcome,
        reason=reason,
        note_count=count,
        trace_id=current_trace_id(),
    )


async def refuse(
    units: UnitsOfWork,
    caller: Caller,
    student: Student,
    folder_id,
    action: AccessAction,
    reason: str,
    message: str = "you do not have access to this student's records here",
) -> NoReturn:
    """Log the denied attempt, commit the log, and refuse."""
    async with units() as uow:
        entry = access_entry(caller, student, folder_id, action, AccessOutcome.DENIED, reason)
        repository(uow, caller).append_to_access_log(entry)
        await uow.commit()
    raise PermissionDenied(message)


async def create_folder(
    units: UnitsOfWork,
    caller: Caller,
    rights: Rights,
    name: str,
    group_notes_allowed: bool,
    *,
    token: str = "",
) -> tuple[Folder, str]:
    await rights.require(caller, AdminModule.FOLDERS, token)
    async with units() as uow:
        repo = repository(uow, caller)
        if await repo.folder_named(name):
            raise AlreadyExists(f"a folder named {name!r} already exists", field="name")
        folder = Folder(
            id=uuid.uuid4(), org_id=repo.org_id, name=name, group_notes_allowed=group_notes_allowed
        )
        repo.add(folder)
        uow.publish(caller.org_id, events_pb2.FolderCreated(folder_id=str(folder.id)))
        return folder, await uow.commit()


@open_to_every_member("folder names are the tabs every member of the organisation sees")
async def list_folders(units: UnitsOfWork, caller: Caller) -> list[Folder]:
    async with units() as uow:
        return await repository(uow, caller).folders()


@dataclass(frozen=True)
class NewStudent:
    unit_id: uuid.UUID
    personnummer: str
    first_name: str
    last_name: str
    protected_identity: bool
    contact: Contact = Contact()
    never_archive: bool = False


async def create_student(
    units: UnitsOfWork,
    caller: Caller,
    rights: Rights,
    identity: IdentityClient,
    new: NewStudent,
    *,
    token: str = "",
) -> tuple[Student, str]:
    """Create a student; an attempt that meets an existing one is logged, since the answer reveals an
    enrolment to someone who may have no access to it."""
    await rights.require(caller, AdminModule.STUDENTS, token)
    await identity.require_unit(new.unit_id)
    async with units() as uow:
        repo = repository(uow, caller)
        student = Student(
            id=uuid.uuid4(),
            org_id=repo.org_id,
            unit_id=new.unit_id,
            personnummer=new.personnummer,
            first_name=new.first_name,
            last_name=new.last_name,
            protected_identity=new.protected_identity,
            never_archive=new.never_archive,
            street_address=new.contact.street_address,
            postcode=new.contact.postcode,
            city=new.contact.city,
            country=new.contact.country,
            phone_numbers=list(new.contact.phone_numbers),
            email=new.contact.email,
        )
        if not await repo.insert_student(student):
            existing = await repo.student_at_unit(new.unit_id, new.personnummer)
            entry = access_entry(
                caller, existing, None, AccessAction.CREATE_STUDENT, AccessOutcome.DENIED, "already exists"
            )
            repo.append_to_access_log(entry)
            await uow.commit()
            raise AlreadyExists("the unit already has a student with this personnummer", field="personnummer")
        uow.publish(
            caller.org_id, events_pb2.StudentCreated(student_id=str(student.id), unit_id=str(new.unit_id))
        )
        return student, await uow.commit()


async def get_student(
    units: UnitsOfWork, caller: Caller, authz: AuthzClient, student_id: uuid.UUID, token: str
) -> Student:
    """The student, if the caller may read any folder of the student's unit."""
    async with units() as uow:
        student = await repository(uow, caller).student(student_id)
    allowed, reason = await authz.check(student.unit_id, None, "read", token)
    if not allowed:
        await refuse(units, caller, student, None, AccessAction.VIEW_STUDENT, reason)
    async with units() as uow:
        entry = access_entry(caller, student, None, AccessAction.VIEW_STUDENT, AccessOutcome.ALLOWED, reason)
        repository(uow, caller).append_to_access_log(entry)
        await uow.commit()
    return student
