"""User-import runs (imports)."""

from datetime import UTC, datetime
from typing import Literal

from elevhalsa.imports.v1 import imports_pb2 as pb
from fastapi import APIRouter, UploadFile, status
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel

from gateway.routes.common import BackendsDep, CallerDep
from services.common.enums import ProtoEnum
from services.common.grpc_client import call

router = APIRouter(prefix="/api/v1/imports", tags=["imports"])

STATUSES = ProtoEnum(pb.RunStatus)
SEVERITIES = ProtoEnum(pb.Severity)
# The upload is passed on as it is read (Starlette spools it to disk), never whole in memory.
UPLOAD_CHUNK_BYTES = 1024 * 1024
UPLOAD_TIMEOUT_SECONDS = 300.0


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
    status: Literal["queued", "running", "succeeded", "failed", "needs_review"]
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
            status=STATUSES.name(run.status),
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
                    severity=SEVERITIES.name(m.severity),
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
    timeout = max(services.timeout, UPLOAD_TIMEOUT_SECONDS)
    reply = await call(
        services.imports.StartUserImport, upload_messages(file), timeout=timeout, token=caller.token
    )
    return UserImportRun.of(reply)


async def upload_messages(file: UploadFile):
    """The file's info, then its bytes chunk by chunk."""
    yield pb.StartUserImportRequest(info=pb.UserImportFileInfo(filename=file.filename or ""))
    while chunk := await file.read(UPLOAD_CHUNK_BYTES):
        yield pb.StartUserImportRequest(chunk=chunk)


@router.post("/user-runs/{run_id}/confirm", response_model=UserImportRun)
async def confirm_user_import_run(run_id: str, caller: CallerDep, services: BackendsDep):
    """Apply the deactivations a run held back for review (status `needs_review`); the run then succeeds.
    409 if the run is not waiting for review."""
    request = pb.ConfirmUserImportRunRequest(run_id=run_id)
    return UserImportRun.of(await services.call(services.imports.ConfirmUserImportRun, request, caller))


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
