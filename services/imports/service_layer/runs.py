"""User-import runs as administrators see them, and the janitor for runs whose process stopped."""

import uuid
from datetime import datetime, timedelta

from services.common.admin_rights import Rights
from services.common.auth import AdminModule, Caller
from services.common.uow import UnitOfWork
from services.imports.adapters.orm import UserImportLogLine, UserImportMessage, UserImportRun
from services.imports.adapters.repository import EVERY_ORGANISATION, ImportsRepository
from services.imports.domain.codes import IMPORT_FAILED, RunMessage

STALE_AFTER = timedelta(minutes=5)
INTERRUPTED = RunMessage(IMPORT_FAILED, None, "the run was interrupted")


async def fail_stale_runs(uow: UnitOfWork, now: datetime, older_than: timedelta = STALE_AFTER) -> int:
    """Queued or running runs of any organisation whose process stopped (no heartbeat for a while) end as
    failed. The only handler that works across organisations: it acts for no caller, on no one's data."""
    repo: ImportsRepository = uow.repository(EVERY_ORGANISATION)
    failed = await repo.fail_stale_runs_of_every_organisation(now - older_than, now, INTERRUPTED)
    await uow.commit()
    return len(failed)


async def get_run(
    uow: UnitOfWork, caller: Caller, rights: Rights, run_id: uuid.UUID
) -> tuple[UserImportRun, list[UserImportMessage]]:
    await rights.require(caller, AdminModule.IMPORTS)
    repo: ImportsRepository = uow.repository(caller.org_id)
    run = await repo.run(run_id)
    return run, await repo.messages(run_id)


async def list_runs(uow: UnitOfWork, caller: Caller, rights: Rights, limit: int = 100) -> list[UserImportRun]:
    await rights.require(caller, AdminModule.IMPORTS)
    return await uow.repository(caller.org_id).runs(limit)


async def run_log(
    uow: UnitOfWork, caller: Caller, rights: Rights, run_id: uuid.UUID, errors_only: bool
) -> list[UserImportLogLine]:
    await rights.require(caller, AdminModule.IMPORTS)
    repo: ImportsRepository = uow.repository(caller.org_id)
    await repo.run(run_id)
    return await repo.log(run_id, errors_only=errors_only)
