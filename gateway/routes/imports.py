"""User-import runs (imports)."""

from datetime import UTC, datetime
from typing import Literal

from elevhalsa.imports.v1 import imports_pb2 as pb
from fastapi import APIRouter, UploadFile, status
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel

from gateway.routes.common import BackendsDep, CallerDep

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])

STATUSES = {
    pb.RUN_STATUS_QUEUED: "queued",
    pb.RUN_STATUS_RUNNING: "running",
    pb.RUN_STATUS_SUCCEEDED: "succeeded",
    pb.RUN_STATUS_FAILED: "failed",
}
SEVERITIES = {pb.SEVERITY_ERROR: "error", pb.SEVERITY_WARNING: "warning"}


def instant(stamp: Timestamp, present: bool) -> datetime | None:
    return stamp.ToDatetime(tzinfo=UTC) if present else None


class RunMessage(BaseModel):
    code: int
    severity: Literal["error", "warning"]
    text_sv: str
    text_en: str
    external_id: str | None
    detail: str
    ignored: bool


class UserImportRun(BaseModel):
    id: str
    status: Literal["queued", "running", "succeeded", "failed"]
    filename: str
    started_by: str
    created_at: datetime | None
    started_at: datetime | None
    file_read_at: datetime | None
    finished_at: datetime | None
    users: dict[str, int]
    changes: dict[str, int]
    faulty_users: int
    errors: int
    warnings: int
    messages: list[RunMessage]
    consistency_token: str

    @classmethod
    def of(cls, run: pb.UserImportRun) -> "UserImportRun":
        return cls(
            id=run.id,
            status=STATUSES[run.status],
            filename=run.filename,
            started_by=run.started_by,
            created_at=instant(run.created_at, run.HasField("created_at")),
            started_at=instant(run.started_at, run.HasField("started_at")),
            file_read_at=instant(run.file_read_at, run.HasField("file_read_at")),
            finished_at=instant(run.finished_at, run.HasField("finished_at")),
            users={
                "active": run.counts.active,
                "inactive": run.counts.inactive,
                "manually_managed": run.counts.manually_managed,
                "total": run.counts.total,
            },
            changes={
                "created": run.changes.created,
                "activated": run.changes.activated,
                "deactivated": run.changes.deactivated,
                "updated": run.changes.updated,
            },
            faulty_users=run.faulty_users,
            errors=run.error_count,
            warnings=run.warning_count,
            messages=[
                RunMessage(
                    code=m.code,
                    severity=SEVERITIES[m.severity],
                    text_sv=m.text_sv,
                    text_en=m.text_en,
                    external_id=m.external_id or None,
                    detail=m.detail,
                    ignored=m.ignored,
                )
                for m in run.messages
            ],
            consistency_token=run.consistency_token,
        )


class UserImportRuns(BaseModel):
    runs: list[UserImportRun]


class LogLine(BaseModel):
    at: datetime
    level: str
    message: str


class RunLog(BaseModel):
    lines: list[LogLine]


@router.post("/user-runs", status_code=status.HTTP_202_ACCEPTED, response_model=UserImportRun)
async def start_user_import(file: UploadFile, caller: CallerDep, services: BackendsDep):
    """Upload a user-import XML file (multipart field `file`); the run is carried out in the background."""
    request = pb.StartUserImportRequest(file=await file.read(), filename=file.filename or "")
    return UserImportRun.of(await services.call(services.imports.StartUserImport, request, caller))


@router.get("/user-runs", response_model=UserImportRuns)
async def list_user_import_runs(caller: CallerDep, services: BackendsDep):
    reply = await services.call(services.imports.ListUserImportRuns, pb.ListUserImportRunsRequest(), caller)
    return UserImportRuns(runs=[UserImportRun.of(r) for r in reply.runs])


@router.get("/user-runs/{run_id}", response_model=UserImportRun)
async def get_user_import_run(run_id: str, caller: CallerDep, services: BackendsDep):
    reply = await services.call(
        services.imports.GetUserImportRun, pb.GetUserImportRunRequest(run_id=run_id), caller
    )
    return UserImportRun.of(reply)


@router.get("/user-runs/{run_id}/log", response_model=RunLog)
async def get_user_import_log(
    run_id: str, caller: CallerDep, services: BackendsDep, errors_only: bool = False
):
    """The complete log of a run, or only its errors."""
    request = pb.GetUserImportRunLogRequest(run_id=run_id, errors_only=errors_only)
    reply = await services.call(services.imports.GetUserImportRunLog, request, caller)
    return RunLog(
        lines=[
            LogLine(at=line.at.ToDatetime(tzinfo=UTC), level=line.level, message=line.message)
            for line in reply.lines
        ]
    )
