"""Memory notes: the author's own notes about a student. Every use case looks the note up by its author, the
caller, so nobody else (administrators included) ever reaches one; each use logs that the author accessed the
student, never the text."""

import uuid

from services.common import clock
from services.common.auth import Caller
from services.records.adapters.clients import AuthzClient, IdentityClient
from services.records.adapters.orm import MemoryNote, Student
from services.records.domain.memory_notes import check_enabled
from services.records.domain.model import AccessAction, AccessOutcome
from services.records.domain.post_its import check_text
from services.records.service_layer.handlers import UnitsOfWork, access_entry, refuse, repository

ACTION = AccessAction.MEMORY_NOTES


def author(caller: Caller) -> uuid.UUID:
    return uuid.UUID(caller.user_id)


async def open_student(
    units: UnitsOfWork,
    caller: Caller,
    authz: AuthzClient,
    identity: IdentityClient,
    student_id: uuid.UUID,
    token: str,
) -> tuple[Student, str]:
    """The student and authz's reason, if memory notes are on for the caller and the caller may see the student
    (read access to some folder of the student's unit, as for reading the student). Asks with no unit of work
    open."""
    async with units() as uow:
        student = await repository(uow, caller).student(student_id)
    settings = await identity.settings()
    check_enabled(settings.memory_notes_allowed, await identity.uses_memory_notes(author(caller)))
    allowed, reason = await authz.check(student.unit_id, None, "read", token)
    if not allowed:
        await refuse(units, caller, student, None, ACTION, reason)
    return student, reason


def logged(uow, caller: Caller, student: Student, reason: str) -> None:
    repository(uow, caller).append_to_access_log(
        access_entry(caller, student, None, ACTION, AccessOutcome.ALLOWED, reason)
    )


async def list_memory_notes(
    units: UnitsOfWork,
    caller: Caller,
    authz: AuthzClient,
    identity: IdentityClient,
    student_id: uuid.UUID,
    token: str,
) -> list[MemoryNote]:
    """The caller's memory notes about the student, newest first."""
    student, reason = await open_student(units, caller, authz, identity, student_id, token)
    async with units() as uow:
        found = await repository(uow, caller).memory_notes(author(caller), student.id)
        logged(uow, caller, student, reason)
        await uow.commit()
    return found


async def create_memory_note(
    units: UnitsOfWork,
    caller: Caller,
    authz: AuthzClient,
    identity: IdentityClient,
    student_id: uuid.UUID,
    text: str,
    token: str,
) -> MemoryNote:
    text = check_text(text)
    student, reason = await open_student(units, caller, authz, identity, student_id, token)
    async with units() as uow:
        repo = repository(uow, caller)
        now = clock.utcnow()
        memory_note = MemoryNote(
            id=uuid.uuid4(),
            org_id=repo.org_id,
            author_id=author(caller),
            student_id=student.id,
            text=text,
            created_at=now,
            updated_at=now,
        )
        repo.add(memory_note)
        logged(uow, caller, student, reason)
        await uow.commit()
        return memory_note


async def update_memory_note(
    units: UnitsOfWork,
    caller: Caller,
    authz: AuthzClient,
    identity: IdentityClient,
    student_id: uuid.UUID,
    memory_note_id: uuid.UUID,
    text: str,
    token: str,
) -> MemoryNote:
    """Overwrite the text: memory notes keep no history."""
    text = check_text(text)
    student, reason = await open_student(units, caller, authz, identity, student_id, token)
    async with units() as uow:
        repo = repository(uow, caller)
        memory_note = await repo.memory_note(author(caller), student.id, memory_note_id, for_update=True)
        memory_note.text, memory_note.updated_at = text, clock.utcnow()
        logged(uow, caller, student, reason)
        await uow.commit()
        return memory_note


async def delete_memory_note(
    units: UnitsOfWork,
    caller: Caller,
    authz: AuthzClient,
    identity: IdentityClient,
    student_id: uuid.UUID,
    memory_note_id: uuid.UUID,
    token: str,
) -> None:
    """Remove the row without trace."""
    student, reason = await open_student(units, caller, authz, identity, student_id, token)
    async with units() as uow:
        repo = repository(uow, caller)
        await repo.remove_memory_note(
            await repo.memory_note(author(caller), student.id, memory_note_id, for_update=True)
        )
        logged(uow, caller, student, reason)
        await uow.commit()
