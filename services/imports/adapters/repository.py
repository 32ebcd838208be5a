"""The one way in to imports' data: user-import runs, their messages, log lines and held-back deactivations."""

import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update

from services.common.repository import TenantRepository
from services.imports.adapters.orm import (
    HeldDeactivation,
    UserImportLogLine,
    UserImportMessage,
    UserImportRun,
)
from services.imports.domain.codes import RunMessage
from services.imports.domain.user_import import WORKING, RunStatus

# The janitor's repository is opened for no organisation: its scoped queries find nothing, and its one
# cross-organisation method says so in its name.
EVERY_ORGANISATION = uuid.UUID(int=0)
INSERT_BATCH = 10_000


@dataclass(frozen=True)
class RunTotals:
    """What a finished run records about the file and its changes."""

    status: RunStatus
    finished_at: datetime
    file_read_at: datetime | None = None
    active_users: int = 0
    inactive_users: int = 0
    manually_managed_users: int = 0
    total_users: int = 0
    faulty_users: int = 0
    created_users: int = 0
    activated_users: int = 0
    deactivated_users: int = 0
    updated_users: int = 0
    error_count: int = 0
    warning_count: int = 0
    consistency_token: str = ""


class ImportsRepository(TenantRepository):
    """One organisation's user-import runs."""

    async def take_turn(self) -> None:
        """Wait for the organisation's other run starts to commit: two uploads take turns at the busy check."""
        key = zlib.crc32(f"user-import:{self.org_id}".encode())
        await self.session.execute(select(func.pg_advisory_xact_lock(key)))

    async def working_run(self) -> uuid.UUID | None:
        """The organisation's queued or running run, if any."""
        query = self.select_of(UserImportRun, UserImportRun.id).where(UserImportRun.status.in_(WORKING))
        return await self.session.scalar(query.limit(1))

    async def run(self, run_id: uuid.UUID, *, for_update: bool = False) -> UserImportRun:
        """The run, or NotFound naming run_id; `for_update` locks it until the unit of work ends."""
        if for_update:
            query = self.select_of(UserImportRun).where(UserImportRun.id == run_id).with_for_update()
            await self.session.execute(query)
        return await self.one(UserImportRun, run_id, what="user import run", field="run_id")

    async def runs(self, limit: int) -> list[UserImportRun]:
        """The newest runs first."""
        return await self.all(
            self.select_of(UserImportRun).order_by(UserImportRun.created_at.desc()).limit(limit)
        )

    async def newer_run_than(self, run: UserImportRun) -> bool:
        query = self.select_of(UserImportRun, UserImportRun.id).where(
            UserImportRun.created_at > run.created_at
        )
        return await self.session.scalar(query.limit(1)) is not None

    async def messages(self, run_id: uuid.UUID) -> list[UserImportMessage]:
        query = self.select_of(UserImportMessage).where(UserImportMessage.run_id == run_id)
        return await self.all(query.order_by(UserImportMessage.seq))

    async def log(self, run_id: uuid.UUID, *, errors_only: bool) -> list[UserImportLogLine]:
        query = self.select_of(UserImportLogLine).where(UserImportLogLine.run_id == run_id)
        if errors_only:
            query = query.where(UserImportLogLine.level == "error")
        return await self.all(query.order_by(UserImportLogLine.seq))

    async def start(self, run_id: uuid.UUID, now: datetime) -> None:
        """The queued run is running."""
        await self._set(run_id, status=RunStatus.RUNNING, started_at=now, heartbeat_at=now)

    async def beat(self, run_id: uuid.UUID, now: datetime) -> None:
        """The run is still working (the janitor leaves it alone)."""
        await self._set(run_id, heartbeat_at=now)

    async def finish(self, run_id: uuid.UUID, totals: RunTotals) -> bool:
        """Record a running run's outcome; False if it is no longer running (the janitor failed it)."""
        statement = (
            update(UserImportRun)
            .where(UserImportRun.org_id == self.org_id, UserImportRun.id == run_id)
            .where(UserImportRun.status == RunStatus.RUNNING)
            .values(
                status=totals.status,
                finished_at=totals.finished_at,
                file_read_at=totals.file_read_at,
                active_users=totals.active_users,
                inactive_users=totals.inactive_users,
                manually_managed_users=totals.manually_managed_users,
                total_users=totals.total_users,
                faulty_users=totals.faulty_users,
                created_users=totals.created_users,
                activated_users=totals.activated_users,
                deactivated_users=totals.deactivated_users,
                updated_users=totals.updated_users,
                error_count=totals.error_count,
                warning_count=totals.warning_count,
                consistency_token=totals.consistency_token,
            )
            .returning(UserImportRun.id)
        )
        return await self.session.scalar(statement) is not None

    async def add_messages(self, run_id: uuid.UUID, messages: list[RunMessage]) -> None:
        """Append messages after the run's last one."""
        first = await self._next_seq(UserImportMessage, run_id)
        rows = [
            {
                "org_id": self.org_id,
                "run_id": run_id,
                "seq": first + i,
                "code": m.code,
                "severity": m.severity.value,
                "external_id": m.external_id,
                "detail": m.detail,
            }
            for i, m in enumerate(messages)
        ]
        await self._insert(UserImportMessage, rows)

    async def add_log(self, run_id: uuid.UUID, lines: list[tuple[str, str]]) -> None:
        """Append (level, text) lines after the run's last one."""
        first = await self._next_seq(UserImportLogLine, run_id)
        rows = [
            {"org_id": self.org_id, "run_id": run_id, "seq": first + i, "level": level, "message": text}
            for i, (level, text) in enumerate(lines)
        ]
        await self._insert(UserImportLogLine, rows)

    async def hold_deactivations(self, run_id: uuid.UUID, user_ids: list[str]) -> None:
        """Keep the users a run would deactivate until it is confirmed."""
        rows = [{"org_id": self.org_id, "run_id": run_id, "user_id": uuid.UUID(u)} for u in user_ids]
        await self._insert(HeldDeactivation, rows)

    async def release_deactivations(self, run_id: uuid.UUID) -> list[str]:
        """The held-back users of the run, no longer held."""
        statement = (
            delete(HeldDeactivation)
            .where(HeldDeactivation.org_id == self.org_id, HeldDeactivation.run_id == run_id)
            .returning(HeldDeactivation.user_id)
        )
        return sorted(str(user_id) for user_id in await self.session.scalars(statement))

    async def fail_stale_runs_of_every_organisation(
        self, heartbeat_before: datetime, now: datetime, message: RunMessage
    ) -> list[UserImportRun]:
        """The one query across organisations: the janitor fails queued or running runs of any organisation
        whose process stopped (no heartbeat since `heartbeat_before`). Rows locked by a live run are skipped."""
        stale = (
            select(UserImportRun)
            .where(UserImportRun.status.in_(WORKING))
            .where(func.coalesce(UserImportRun.heartbeat_at, UserImportRun.created_at) < heartbeat_before)
            .with_for_update(skip_locked=True)
        )
        runs = list(await self.session.scalars(stale))
        for run in runs:
            run.status, run.finished_at, run.error_count = RunStatus.FAILED, now, run.error_count + 1
            seq = await self.session.scalar(
                select(func.coalesce(func.max(UserImportMessage.seq) + 1, 0)).where(
                    UserImportMessage.org_id == run.org_id, UserImportMessage.run_id == run.id
                )
            )
            self.session.add(
                UserImportMessage(
                    org_id=run.org_id,
                    run_id=run.id,
                    seq=seq,
                    code=message.code,
                    severity=message.severity.value,
                    detail=message.detail,
                )
            )
        return runs

    async def _set(self, run_id: uuid.UUID, **values) -> None:
        await self.session.execute(
            update(UserImportRun)
            .where(UserImportRun.org_id == self.org_id, UserImportRun.id == run_id)
            .values(**values)
        )

    async def _insert(self, model, rows: list[dict]) -> None:
        """Bulk insert of this organisation's rows: a run's 100,000 log lines as plain rows, not ORM objects."""
        for start in range(0, len(rows), INSERT_BATCH):
            await self.session.execute(insert(model), rows[start : start + INSERT_BATCH])

    async def _next_seq(self, model, run_id: uuid.UUID) -> int:
        query = self.select_of(model, func.coalesce(func.max(model.seq) + 1, 0)).where(model.run_id == run_id)
        return await self.session.scalar(query)
