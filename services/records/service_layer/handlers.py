"""Records' use cases. Reads of student data ask authz first and write the access log in the same transaction."""

import uuid
from dataclasses import dataclass
from datetime import date

from elevhalsa.records.v1 import events_pb2

from services.common.auth import Caller, PermissionLevel
from services.common.clock import today
from services.common.errors import AlreadyExists, PermissionDenied
from services.common.telemetry import current_trace_id
from services.common.uow import UnitOfWork
from services.records.adapters.clients import AuthzClient, IdentityClient
from services.records.adapters.orm import AccessLogEntry, Folder, Note, NoteRow, Student
from services.records.adapters.repository import RecordsRepository
from services.records.domain.model import (
    AccessAction,
    AccessOutcome,
    NoteRowValue,
    NoteStatus,
    check_rows,
)

STUDENT_ADMINS = (PermissionLevel.ADMIN, PermissionLevel.SUBADMIN)


def repository(uow: UnitOfWork, caller: Caller) -> RecordsRepository:
    return RecordsRepository(uow.session, uuid.UUID(caller.org_id))


def log_access(
    uow: UnitOfWork, caller: Caller, student: Student, folder_id, action, outcome, reason, count=0
):
    """Append to the access log in the current transaction."""
    uow.session.add(
        AccessLogEntry(
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
    )


async def deny(
    uow: UnitOfWork, caller: Caller, student: Student, folder_id, action: AccessAction, reason: str
):
    """Log the denied attempt, commit the log, and refuse."""
    log_access(uow, caller, student, folder_id, action, AccessOutcome.DENIED, reason)
    await uow.commit()
    raise PermissionDenied("you do not have access to this student's records here")


async def create_folder(
    uow: UnitOfWork, caller: Caller, name: str, group_notes_allowed: bool
) -> tuple[Folder, str]:
    caller.require_level(PermissionLevel.ADMIN)
    repo = repository(uow, caller)
    if await repo.folder_named(name):
        raise AlreadyExists(f"a folder named {name!r} already exists", field="name")
    folder = Folder(id=uuid.uuid4(), org_id=repo.org_id, name=name, group_notes_allowed=group_notes_allowed)
    repo.add(folder)
    uow.publish(caller.org_id, events_pb2.FolderCreated(folder_id=str(folder.id)))
    return folder, await uow.commit()


@dataclass(frozen=True)
class NewStudent:
    unit_id: uuid.UUID
    personnummer: str
    first_name: str
    last_name: str
    protected_identity: bool


async def create_student(
    uow: UnitOfWork, caller: Caller, identity: IdentityClient, new: NewStudent
) -> tuple[Student, str]:
    """Create a student; an attempt that meets an existing one is logged, since the answer reveals an
    enrolment to someone who may have no access to it."""
    caller.require_level(*STUDENT_ADMINS)
    await identity.require_unit(new.unit_id)
    repo = repository(uow, caller)
    student = Student(
        id=uuid.uuid4(),
        org_id=repo.org_id,
        unit_id=new.unit_id,
        personnummer=new.personnummer,
        first_name=new.first_name,
        last_name=new.last_name,
        protected_identity=new.protected_identity,
    )
    if not await repo.insert_student(student):
        existing = await repo.student_at_unit(new.unit_id, new.personnummer)
        log_access(
            uow, caller, existing, None, AccessAction.CREATE_STUDENT, AccessOutcome.DENIED, "already exists"
        )
        await uow.commit()
        raise AlreadyExists("the unit already has a student with this personnummer", field="personnummer")
    uow.publish(
        caller.org_id, events_pb2.StudentCreated(student_id=str(student.id), unit_id=str(new.unit_id))
    )
    return student, await uow.commit()


async def get_student(uow: UnitOfWork, caller: Caller, authz: AuthzClient, student_id: uuid.UUID, token: str):
    """The student, if the caller may read any folder of the student's unit."""
    student = await repository(uow, caller).student(student_id)
    allowed, reason = await authz.check(student.unit_id, None, "read", token)
    if not allowed:
        await deny(uow, caller, student, None, AccessAction.VIEW_STUDENT, reason)
    log_access(uow, caller, student, None, AccessAction.VIEW_STUDENT, AccessOutcome.ALLOWED, reason)
    await uow.commit()
    return student


async def write_note(
    uow: UnitOfWork,
    caller: Caller,
    authz: AuthzClient,
    student_id: uuid.UUID,
    folder_id: uuid.UUID,
    event_date: date | None,
    rows: list[NoteRowValue],
    token: str,
) -> tuple[Note, list[NoteRow], str]:
    """A draft note in the student's folder, if the caller may write there."""
    check_rows(rows)
    repo = repository(uow, caller)
    student = await repo.student(student_id)
    await repo.folder(folder_id)
    allowed, reason = await authz.check(student.unit_id, folder_id, "write", token)
    if not allowed:
        await deny(uow, caller, student, folder_id, AccessAction.WRITE_NOTE, reason)
    note = Note(
        id=uuid.uuid4(),
        org_id=repo.org_id,
        student_id=student.id,
        folder_id=folder_id,
        author_id=uuid.UUID(caller.user_id),
        event_date=event_date or today(),
        status=NoteStatus.DRAFT,
        visible_to_case_members=False,
    )
    note_rows = [
        NoteRow(
            note_id=note.id,
            position=i,
            heading=r.heading.strip(),
            row_type=r.row_type,
            value={"text": r.text},
        )
        for i, r in enumerate(rows)
    ]
    repo.add(note)
    await uow.session.flush()
    uow.session.add_all(note_rows)
    log_access(uow, caller, student, folder_id, AccessAction.WRITE_NOTE, AccessOutcome.ALLOWED, reason, 1)
    uow.publish(
        caller.org_id,
        events_pb2.NoteWritten(note_id=str(note.id), student_id=str(student.id), folder_id=str(folder_id)),
    )
    return note, note_rows, await uow.commit()


async def list_notes(
    uow: UnitOfWork,
    caller: Caller,
    authz: AuthzClient,
    student_id: uuid.UUID,
    folder_id: uuid.UUID,
    token: str,
) -> list[tuple[Note, list[NoteRow]]]:
    """The notes of the folder the caller may read: one authz call for the list, one access-log row."""
    repo = repository(uow, caller)
    student = await repo.student(student_id)
    await repo.folder(folder_id)
    headers = await repo.note_headers(student.id, folder_id)
    decision = await authz.filter_notes(student.unit_id, folder_id, headers, token)
    if not decision.folder_readable:
        await deny(uow, caller, student, folder_id, AccessAction.READ_NOTES, decision.reason)
    visible = [note for note in headers if str(note.id) in decision.allowed]
    rows = await repo.rows_of([note.id for note in visible])
    log_access(
        uow,
        caller,
        student,
        folder_id,
        AccessAction.READ_NOTES,
        AccessOutcome.ALLOWED,
        decision.reason,
        len(visible),
    )
    await uow.commit()
    return [(note, rows[note.id]) for note in visible]
