"""User-import runs: receive the file, then read, plan and apply it through identity, recording everything."""

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from elevhalsa.identity.v1 import identity_pb2
from elevhalsa.imports.v1 import events_pb2, imports_pb2

from services.common.admin_rights import Rights
from services.common.auth import AdminModule, Caller
from services.common.clock import utcnow
from services.common.enums import ProtoEnum
from services.common.errors import Conflict, DomainError
from services.common.uow import UnitOfWork
from services.imports.adapters import memory
from services.imports.adapters.files import UploadStore
from services.imports.adapters.identity_client import IdentityClient
from services.imports.adapters.orm import UserImportRun
from services.imports.adapters.repository import ImportsRepository, RunTotals
from services.imports.domain.codes import CODES, HELD_FOR_REVIEW, IMPORT_FAILED, RunMessage, Severity
from services.imports.domain.user_file import UserFileError, read_user_file_at
from services.imports.domain.user_import import (
    Plan,
    ReviewLimits,
    RunStatus,
    UserCounts,
    plan_user_import,
    review_reason,
)

log = logging.getLogger(__name__)

BATCH_SIZE = 1000
STATUSES = ProtoEnum(imports_pb2.RunStatus, RunStatus)
CREATED, ACTIVATED, DEACTIVATED, UPDATED = (
    identity_pb2.IMPORT_OUTCOME_CREATED,
    identity_pb2.IMPORT_OUTCOME_ACTIVATED,
    identity_pb2.IMPORT_OUTCOME_DEACTIVATED,
    identity_pb2.IMPORT_OUTCOME_UPDATED,
)
OUTCOME_WORDS = {
    CREATED: "created",
    ACTIVATED: "activated",
    DEACTIVATED: "deactivated",
    UPDATED: "updated",
    identity_pb2.IMPORT_OUTCOME_UNCHANGED: "unchanged",
    identity_pb2.IMPORT_OUTCOME_SKIPPED_MANUALLY_MANAGED: "skipped (manually managed)",
}
Beat = Callable[[], Awaitable[None]]


@dataclass
class RunRecord:
    """What a run learns while it works; written to the database when it ends."""

    messages: list[RunMessage] = field(default_factory=list)
    lines: list[tuple[str, str]] = field(default_factory=list)
    status: RunStatus = RunStatus.FAILED
    file_read_at: datetime | None = None
    counts: UserCounts = field(default_factory=UserCounts)
    faulty_users: int = 0
    changes: Counter = field(default_factory=Counter)  # identity's outcome → users
    consistency_token: str = ""
    held: list[str] = field(default_factory=list)  # users whose deactivation waits for review

    def info(self, text: str) -> None:
        self.lines.append(("info", text))

    def report(self, message: RunMessage) -> None:
        code = CODES[message.code]
        self.messages.append(message)
        who = f" [{message.external_id}]" if message.external_id else ""
        self.lines.append(
            (code.severity.value, f"{message.code} {code.text_sv}{who}: {message.detail}".rstrip(": "))
        )

    def totals(self, now: datetime) -> RunTotals:
        errors = sum(1 for m in self.messages if m.severity is Severity.ERROR)
        return RunTotals(
            status=self.status,
            finished_at=now,
            file_read_at=self.file_read_at,
            active_users=self.counts.active,
            inactive_users=self.counts.inactive,
            manually_managed_users=self.counts.manually_managed,
            total_users=self.counts.total,
            faulty_users=self.faulty_users,
            created_users=self.changes[CREATED],
            activated_users=self.changes[ACTIVATED],
            deactivated_users=self.changes[DEACTIVATED],
            updated_users=self.changes[UPDATED],
            error_count=errors,
            warning_count=len(self.messages) - errors,
            consistency_token=self.consistency_token,
        )


async def start_run(
    uow: UnitOfWork,
    store: UploadStore,
    caller: Caller,
    rights: Rights,
    filename: str,
    chunks: AsyncIterator[bytes],
    max_bytes: int,
    now: datetime,
) -> UserImportRun:
    """Write the streamed file to disk and queue a run for it; a conflict while another run works."""
    await rights.require(caller, AdminModule.IMPORTS)
    upload = await store.receive(chunks, max_bytes)
    try:
        repo: ImportsRepository = uow.repository(caller.org_id)
        # Two runs would plan against the same users and undo each other; uploads take turns at this check.
        await repo.take_turn()
        if await repo.working_run() is not None:
            raise Conflict(
                "a user import is already running for the organisation; wait for it to finish", field="file"
            )
        run = UserImportRun(
            id=uuid.uuid4(),
            org_id=repo.org_id,
            status=RunStatus.QUEUED,
            filename=filename[:255] or "users.xml",
            sha256=upload.sha256,
            started_by=uuid.UUID(caller.user_id),
            created_at=now,
        )
        repo.add(run)
        await uow.commit()
    except BaseException:
        store.discard(upload)
        raise
    store.keep(upload, run.id)
    return run


async def process_run(
    new_uow: Callable[[], UnitOfWork],
    identity: IdentityClient,
    store: UploadStore,
    limits: ReviewLimits,
    run: UserImportRun,
) -> None:
    """Carry out a queued run to its end; every failure ends as a failed run with a code, never a crash."""
    run_id, org_id = run.id, str(run.org_id)
    record = RunRecord()
    try:
        async with new_uow() as uow:
            await uow.repository(org_id).start(run_id, utcnow())
            await uow.commit()

        async def beat() -> None:
            async with new_uow() as uow:
                await uow.repository(org_id).beat(run_id, utcnow())
                await uow.commit()

        await read_plan_apply(identity, store, limits, run, record, beat)
    except UserFileError as error:
        record.report(RunMessage(error.code, None, error.detail))
    except DomainError as error:
        record.report(RunMessage(IMPORT_FAILED, None, error.message))
    except Exception as error:  # noqa: BLE001 - the run must end, and say why
        log.exception("user import run %s failed", run_id)
        record.report(RunMessage(IMPORT_FAILED, None, type(error).__name__))
    finally:
        store.delete(run_id)
    await finish_run(new_uow, run_id, org_id, record)
    del record
    memory.give_back()


async def read_plan_apply(
    identity: IdentityClient,
    store: UploadStore,
    limits: ReviewLimits,
    run: UserImportRun,
    record: RunRecord,
    beat: Beat,
) -> None:
    path = store.path_of(run.id)
    record.info(f"file received: {run.filename}, {path.stat().st_size} bytes, sha256 {run.sha256}")
    users = await asyncio.to_thread(read_user_file_at, path)
    record.file_read_at = utcnow()
    record.info(f"file read and validated against the schema: {len(users)} users")
    roles, units, journal = await asyncio.gather(
        identity.role_ids_by_external_id(), identity.unit_ids_by_external_id(), identity.journal_users()
    )
    # Off the event loop, so the service keeps answering (e.g. polls of this run) while 100,000 users are planned.
    plan = await asyncio.to_thread(plan_user_import, users, journal, roles, units)
    del users, journal
    for message in plan.messages:
        record.report(message)
    record.counts, record.faulty_users = plan.counts, plan.faulty_users
    record.info(
        f"planned: {len(plan.upserts)} to create or change, {plan.unchanged} unchanged, "
        f"{len(plan.deactivate_user_ids)} missing from the file to deactivate"
    )
    if reason := review_reason(plan, limits):
        record.held, plan.deactivate_user_ids = plan.deactivate_user_ids, []
        record.report(RunMessage(HELD_FOR_REVIEW, None, f"{reason}; confirm the run to deactivate them"))
    await beat()
    await apply_plan(identity, str(run.id), plan, record, beat)
    record.info(
        f"applied: {record.changes[CREATED]} created, {record.changes[ACTIVATED]} activated, "
        f"{record.changes[DEACTIVATED]} deactivated, {record.changes[UPDATED]} updated"
    )
    record.status = RunStatus.NEEDS_REVIEW if record.held else RunStatus.SUCCEEDED


async def apply_plan(
    identity: IdentityClient, run_id: str, plan: Plan, record: RunRecord, beat: Beat
) -> None:
    """Send the changes in batches; each batch is one transaction in identity, and its counts are kept
    even if a later batch fails."""
    batches = [plan.upserts[i : i + BATCH_SIZE] for i in range(0, len(plan.upserts), BATCH_SIZE)] or [[]]
    for index, batch in enumerate(batches):
        deactivate = plan.deactivate_user_ids if index == len(batches) - 1 else []
        if not batch and not deactivate:
            continue
        results, token = await identity.apply(run_id, batch, deactivate)
        record.consistency_token = token or record.consistency_token
        for result in results:
            record.changes[result.outcome] += 1
            record.info(
                f"user {result.external_id or result.user_id}: {OUTCOME_WORDS.get(result.outcome, '?')}"
            )
        await beat()


async def finish_run(
    new_uow: Callable[[], UnitOfWork], run_id: uuid.UUID, org_id: str, record: RunRecord
) -> None:
    """Write the run's outcome, messages, log and held-back deactivations, and publish that it finished."""
    record.info(f"finished: {record.status}")
    async with new_uow() as uow:
        repo: ImportsRepository = uow.repository(org_id)
        if not await repo.finish(run_id, record.totals(utcnow())):
            log.warning(
                "user import run %s was failed as stale while it worked; its outcome is dropped", run_id
            )
            return
        await repo.add_messages(run_id, record.messages)
        await repo.add_log(run_id, record.lines)
        await repo.hold_deactivations(run_id, record.held)
        event = events_pb2.UserImportRunFinished(run_id=str(run_id), status=STATUSES.number(record.status))
        uow.publish(org_id, event)
        await uow.commit()


async def confirm_run(
    uow: UnitOfWork,
    identity: IdentityClient,
    caller: Caller,
    rights: Rights,
    run_id: uuid.UUID,
    now: datetime,
) -> UserImportRun:
    """Apply the deactivations a run held back for review; the run then ends succeeded."""
    await rights.require(caller, AdminModule.IMPORTS)
    repo: ImportsRepository = uow.repository(caller.org_id)
    run = await repo.run(run_id, for_update=True)  # a second confirmation waits, then finds it succeeded
    if run.status != RunStatus.NEEDS_REVIEW:
        raise Conflict(
            f"the run is {run.status}, not waiting for review; only a run that needs review can be confirmed",
            field="run_id",
        )
    if await repo.newer_run_than(run):
        raise Conflict(
            "a later run has replaced this run's plan; its deactivations can no longer be confirmed",
            field="run_id",
        )
    held = await repo.release_deactivations(run_id)
    results, token = await identity.apply(str(run_id), [], held)
    deactivated = sum(1 for result in results if result.outcome == DEACTIVATED)
    run.status, run.finished_at = RunStatus.SUCCEEDED, now
    run.deactivated_users += deactivated
    run.consistency_token = token or run.consistency_token
    await repo.add_log(
        run_id,
        [
            (
                "info",
                f"confirmed by {caller.user_id}: {deactivated} of {len(held)} held-back users deactivated",
            ),
            *[
                ("info", f"user {r.external_id or r.user_id}: {OUTCOME_WORDS.get(r.outcome, '?')}")
                for r in results
            ],
            ("info", f"finished: {RunStatus.SUCCEEDED}"),
        ],
    )
    event = events_pb2.UserImportRunFinished(run_id=str(run_id), status=STATUSES.number(RunStatus.SUCCEEDED))
    uow.publish(caller.org_id, event)
    await uow.commit()
    return run
