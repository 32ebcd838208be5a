"""User-import runs: store the file, then read, plan and apply it through identity, recording everything."""

import asyncio
import hashlib
import logging
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from elevhalsa.identity.v1 import identity_pb2
from elevhalsa.imports.v1 import events_pb2, imports_pb2
from sqlalchemy import func, select, update

from services.common.auth import Caller, PermissionLevel
from services.common.clock import utcnow
from services.common.errors import Conflict, DomainError, TooLarge
from services.common.uow import UnitOfWork
from services.imports.adapters.identity_client import IdentityClient
from services.imports.adapters.orm import UserImportFile, UserImportLogLine, UserImportMessage, UserImportRun
from services.imports.domain.codes import CODES, IMPORT_FAILED, RunMessage, Severity
from services.imports.domain.user_file import UserFileError, parse_user_file
from services.imports.domain.user_import import Plan, plan_user_import

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
QUEUED, RUNNING, SUCCEEDED, FAILED = "queued", "running", "succeeded", "failed"
CHANGE_COLUMNS = {
    identity_pb2.IMPORT_OUTCOME_CREATED: "created_users",
    identity_pb2.IMPORT_OUTCOME_ACTIVATED: "activated_users",
    identity_pb2.IMPORT_OUTCOME_DEACTIVATED: "deactivated_users",
    identity_pb2.IMPORT_OUTCOME_UPDATED: "updated_users",
}
OUTCOME_WORDS = {
    identity_pb2.IMPORT_OUTCOME_CREATED: "created",
    identity_pb2.IMPORT_OUTCOME_ACTIVATED: "activated",
    identity_pb2.IMPORT_OUTCOME_DEACTIVATED: "deactivated",
    identity_pb2.IMPORT_OUTCOME_UPDATED: "updated",
    identity_pb2.IMPORT_OUTCOME_UNCHANGED: "unchanged",
    identity_pb2.IMPORT_OUTCOME_SKIPPED_MANUALLY_MANAGED: "skipped (manually managed)",
}


@dataclass
class RunRecord:
    """What a run learns while it works; written to the database when it ends."""

    messages: list[RunMessage] = field(default_factory=list)
    lines: list[tuple[str, str]] = field(default_factory=list)
    values: dict = field(default_factory=dict)

    def info(self, text: str) -> None:
        self.lines.append(("info", text))

    def report(self, message: RunMessage) -> None:
        code = CODES[message.code]
        self.messages.append(message)
        who = f" [{message.external_id}]" if message.external_id else ""
        self.lines.append(
            (code.severity.value, f"{message.code} {code.text_sv}{who}: {message.detail}".rstrip(": "))
        )


async def start_run(
    uow: UnitOfWork, caller: Caller, filename: str, content: bytes, max_bytes: int
) -> UserImportRun:
    """Store the file and a queued run."""
    caller.require_level(PermissionLevel.ADMIN)
    if len(content) > max_bytes:
        raise TooLarge(f"the file is larger than {max_bytes} bytes", field="file")
    await one_run_at_a_time(uow, caller.org_id)
    run = UserImportRun(
        id=uuid.uuid4(),
        org_id=uuid.UUID(caller.org_id),
        status=QUEUED,
        filename=filename[:255] or "users.xml",
        started_by=uuid.UUID(caller.user_id),
        created_at=utcnow(),
    )
    uow.session.add(run)
    await uow.session.flush()
    uow.session.add(
        UserImportFile(run_id=run.id, content=content, sha256=hashlib.sha256(content).hexdigest())
    )
    await uow.commit()
    return run


async def one_run_at_a_time(uow: UnitOfWork, org_id: str) -> None:
    """Conflict while a run of the organisation is queued or running: two runs would plan against the same
    users and undo each other. The lock makes two simultaneous uploads take turns at this check."""
    await uow.session.execute(
        select(func.pg_advisory_xact_lock(zlib.crc32(f"user-import:{org_id}".encode())))
    )
    busy = await uow.session.scalar(
        select(UserImportRun.id).where(
            UserImportRun.org_id == uuid.UUID(org_id), UserImportRun.status.in_([QUEUED, RUNNING])
        )
    )
    if busy is not None:
        raise Conflict(
            "a user import is already running for the organisation; wait for it to finish", field="file"
        )


async def process_run(new_uow: Callable[[], UnitOfWork], identity: IdentityClient, run_id: uuid.UUID) -> None:
    """Carry out a queued run to its end; every failure ends as a failed run with a code, never a crash."""
    record = RunRecord()
    async with new_uow() as uow:
        run = await uow.session.get(UserImportRun, run_id)
        run.status, run.started_at, run.heartbeat_at = RUNNING, utcnow(), utcnow()
        content = (await uow.session.get(UserImportFile, run_id)).content
        org_id = str(run.org_id)
        await uow.commit()

    async def beat() -> None:
        async with new_uow() as uow:
            await uow.session.execute(
                update(UserImportRun).where(UserImportRun.id == run_id).values(heartbeat_at=utcnow())
            )
            await uow.commit()

    record.values["status"] = FAILED
    try:
        await read_plan_apply(identity, str(run_id), content, record, beat)
        record.values["status"] = SUCCEEDED
    except UserFileError as error:
        record.report(RunMessage(error.code, None, error.detail))
    except DomainError as error:
        record.report(RunMessage(IMPORT_FAILED, None, error.message))
    except Exception as error:  # noqa: BLE001 - the run must end, and say why
        log.exception("user import run %s failed", run_id)
        record.report(RunMessage(IMPORT_FAILED, None, type(error).__name__))
    await finish_run(new_uow, run_id, org_id, record)


async def read_plan_apply(
    identity: IdentityClient, run_id: str, content: bytes, record: RunRecord, beat
) -> None:
    users = await asyncio.to_thread(parse_user_file, content)
    record.values["file_read_at"] = utcnow()
    record.info(f"read {len(users)} users from the file")
    roles, units, journal = await asyncio.gather(
        identity.role_ids_by_external_id(), identity.unit_ids_by_external_id(), identity.journal_users()
    )
    # Off the event loop, so the service keeps answering (e.g. polls of this run) while 100,000 users are planned.
    plan = await asyncio.to_thread(plan_user_import, users, journal, roles, units)
    for message in plan.messages:
        record.report(message)
    record.values.update(
        active_users=plan.counts.active,
        inactive_users=plan.counts.inactive,
        manually_managed_users=plan.counts.manually_managed,
        total_users=plan.counts.total,
        faulty_users=plan.faulty_users,
    )
    record.info(
        f"{len(plan.upserts)} to create or change, {plan.unchanged} unchanged, "
        f"{len(plan.deactivate_user_ids)} missing from the file to deactivate"
    )
    await beat()
    await apply_plan(identity, run_id, plan, record, beat)


async def apply_plan(identity: IdentityClient, run_id: str, plan: Plan, record: RunRecord, beat) -> None:
    """Send the changes in batches; each batch is one transaction in identity, and its counts are kept
    even if a later batch fails."""
    counters = record.values
    counters.update(dict.fromkeys(CHANGE_COLUMNS.values(), 0))
    batches = [plan.upserts[i : i + BATCH_SIZE] for i in range(0, len(plan.upserts), BATCH_SIZE)] or [[]]
    for index, batch in enumerate(batches):
        deactivate = plan.deactivate_user_ids if index == len(batches) - 1 else []
        if not batch and not deactivate:
            continue
        results, token = await identity.apply(run_id, batch, deactivate)
        counters["consistency_token"] = token or counters.get("consistency_token", "")
        for result in results:
            if result.outcome in CHANGE_COLUMNS:
                counters[CHANGE_COLUMNS[result.outcome]] += 1
            record.info(
                f"user {result.external_id or result.user_id}: {OUTCOME_WORDS.get(result.outcome, '?')}"
            )
        await beat()


async def finish_run(
    new_uow: Callable[[], UnitOfWork], run_id: uuid.UUID, org_id: str, record: RunRecord
) -> None:
    """Write the run's outcome, messages and log, and publish that it finished."""
    errors = sum(1 for m in record.messages if m.severity is Severity.ERROR)
    record.info(f"finished: {record.values['status']}")
    async with new_uow() as uow:
        values = dict(record.values, finished_at=utcnow(), error_count=errors)
        values["warning_count"] = len(record.messages) - errors
        still_ours = await uow.session.scalar(
            update(UserImportRun)
            .where(UserImportRun.id == run_id, UserImportRun.status == RUNNING)
            .values(**values)
            .returning(UserImportRun.id)
        )
        if still_ours is None:
            log.warning(
                "user import run %s was failed as stale while it worked; its outcome is dropped", run_id
            )
            return
        uow.session.add_all(
            UserImportMessage(
                run_id=run_id,
                seq=i,
                code=m.code,
                severity=m.severity.value,
                external_id=m.external_id,
                detail=m.detail,
            )
            for i, m in enumerate(record.messages)
        )
        uow.session.add_all(
            UserImportLogLine(run_id=run_id, seq=i, level=level, message=text)
            for i, (level, text) in enumerate(record.lines)
        )
        status = (
            imports_pb2.RUN_STATUS_SUCCEEDED
            if values["status"] == SUCCEEDED
            else imports_pb2.RUN_STATUS_FAILED
        )
        uow.publish(org_id, events_pb2.UserImportRunFinished(run_id=str(run_id), status=status))
        await uow.commit()
