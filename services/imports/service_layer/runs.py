"""User-import runs as administrators see them, and the janitor for runs whose process stopped."""

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from services.common.auth import Caller, PermissionLevel
from services.common.clock import utcnow
from services.common.errors import NotFound
from services.common.uow import UnitOfWork
from services.imports.adapters.orm import UserImportLogLine, UserImportMessage, UserImportRun
from services.imports.domain.codes import IMPORT_FAILED
from services.imports.service_layer.user_import import FAILED, QUEUED, RUNNING

STALE_AFTER = timedelta(minutes=5)


async def fail_stale_runs(uow: UnitOfWork, older_than: timedelta = STALE_AFTER) -> int:
    """Queued or running runs whose process stopped (no heartbeat for a while) end as failed."""
    limit = utcnow() - older_than
    stale = (
        select(UserImportRun)
        .where(UserImportRun.status.in_([QUEUED, RUNNING]))
        .where(func.coalesce(UserImportRun.heartbeat_at, UserImportRun.created_at) < limit)
        .with_for_update(skip_locked=True)
    )
    runs = list(await uow.session.scalars(stale))
    for run in runs:
        run.status, run.finished_at, run.error_count = FAILED, utcnow(), run.error_count + 1
        uow.session.add(
            UserImportMessage(
                run_id=run.id, seq=0, code=IMPORT_FAILED, severity="error", detail="the run was interrupted"
            )
        )
    await uow.commit()
    return len(runs)


async def get_run(
    uow: UnitOfWork, caller: Caller, run_id: uuid.UUID
) -> tuple[UserImportRun, list[UserImportMessage]]:
    caller.require_level(PermissionLevel.ADMIN)
    query = select(UserImportRun).where(
        UserImportRun.id == run_id, UserImportRun.org_id == uuid.UUID(caller.org_id)
    )
    run = await uow.session.scalar(query)
    if run is None:
        raise NotFound("user import run not found", field="run_id")
    messages = await uow.session.scalars(
        select(UserImportMessage).where(UserImportMessage.run_id == run_id).order_by(UserImportMessage.seq)
    )
    return run, list(messages)


async def list_runs(uow: UnitOfWork, caller: Caller, limit: int = 100) -> list[UserImportRun]:
    caller.require_level(PermissionLevel.ADMIN)
    query = (
        select(UserImportRun)
        .where(UserImportRun.org_id == uuid.UUID(caller.org_id))
        .order_by(UserImportRun.created_at.desc())
        .limit(limit)
    )
    return list(await uow.session.scalars(query))


async def run_log(
    uow: UnitOfWork, caller: Caller, run_id: uuid.UUID, errors_only: bool
) -> list[UserImportLogLine]:
    await get_run(uow, caller, run_id)
    query = select(UserImportLogLine).where(UserImportLogLine.run_id == run_id)
    if errors_only:
        query = query.where(UserImportLogLine.level == "error")
    return list(await uow.session.scalars(query.order_by(UserImportLogLine.seq)))
