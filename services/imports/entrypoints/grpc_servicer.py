"""Imports' gRPC API. A started run is carried out in the background; clients poll the run."""

import asyncio

from elevhalsa.imports.v1 import imports_pb2 as pb
from elevhalsa.imports.v1 import imports_pb2_grpc

from services.common.admin_rights import Rights
from services.common.auth import current_caller
from services.common.clock import utcnow
from services.common.convert import parse_id, timestamp
from services.common.enums import ProtoEnum
from services.common.errors import InvalidArgument
from services.common.service import ServiceContext
from services.imports.adapters.files import UploadStore
from services.imports.adapters.identity_client import IdentityClient
from services.imports.adapters.orm import UserImportMessage, UserImportRun
from services.imports.domain.codes import CODES, Severity
from services.imports.domain.user_import import ReviewLimits
from services.imports.service_layer import runs, user_import

STATUSES = user_import.STATUSES
SEVERITIES = ProtoEnum(pb.Severity, Severity)


class ImportsServicer(imports_pb2_grpc.ImportsServiceServicer):
    def __init__(
        self,
        ctx: ServiceContext,
        identity: IdentityClient,
        store: UploadStore,
        limits: ReviewLimits,
        max_file_bytes: int,
        rights: Rights,
    ):
        self._ctx = ctx
        self._rights = rights
        self._identity = identity
        self._store = store
        self._limits = limits
        self._max_file_bytes = max_file_bytes
        self.running: set[asyncio.Task] = set()

    async def StartUserImport(self, request_iterator, context):
        first = await anext(aiter(request_iterator), None)
        if first is None or not first.HasField("info"):
            raise InvalidArgument("the first message must carry the file's info", field="info")
        async with self._ctx.unit_of_work() as uow:
            run = await user_import.start_run(
                uow,
                self._store,
                current_caller(),
                self._rights,
                first.info.filename,
                chunks_of(request_iterator),
                self._max_file_bytes,
                utcnow(),
            )
        # The task inherits this call's context: the caller (whose token identity will see) and the trace.
        task = asyncio.create_task(
            user_import.process_run(self._ctx.unit_of_work, self._identity, self._store, self._limits, run)
        )
        self.running.add(task)
        task.add_done_callback(self.running.discard)
        return run_to_proto(run, [])

    async def ConfirmUserImportRun(self, request, context):
        run_id = parse_id(request.run_id, "run_id", "user import run")
        async with self._ctx.unit_of_work() as uow:
            await user_import.confirm_run(
                uow, self._identity, current_caller(), self._rights, run_id, utcnow()
            )
        async with self._ctx.unit_of_work() as uow:
            run, messages = await runs.get_run(uow, current_caller(), self._rights, run_id)
        return run_to_proto(run, messages)

    async def GetUserImportRun(self, request, context):
        run_id = parse_id(request.run_id, "run_id", "user import run")
        async with self._ctx.unit_of_work() as uow:
            run, messages = await runs.get_run(uow, current_caller(), self._rights, run_id)
        return run_to_proto(run, messages)

    async def ListUserImportRuns(self, request, context):
        async with self._ctx.unit_of_work() as uow:
            listed = await runs.list_runs(uow, current_caller(), self._rights)
        return pb.ListUserImportRunsResponse(runs=[run_to_proto(run, []) for run in listed])

    async def GetUserImportRunLog(self, request, context):
        run_id = parse_id(request.run_id, "run_id", "user import run")
        async with self._ctx.unit_of_work() as uow:
            lines = await runs.run_log(uow, current_caller(), self._rights, run_id, request.errors_only)
        return pb.GetUserImportRunLogResponse(
            lines=[
                pb.LogLine(at=timestamp(line.at), level=line.level, message=line.message) for line in lines
            ]
        )


async def chunks_of(request_iterator):
    """The file's bytes, from the messages after the first."""
    async for message in request_iterator:
        if not message.HasField("chunk"):
            raise InvalidArgument("only the first message may carry the file's info", field="chunk")
        yield message.chunk


def message_to_proto(message: UserImportMessage) -> pb.RunMessage:
    code = CODES[message.code]
    return pb.RunMessage(
        code=message.code,
        severity=SEVERITIES.number(message.severity),
        text_sv=code.text_sv,
        text_en=code.text_en,
        external_id=message.external_id or "",
        detail=message.detail,
        ignored=message.ignored,
    )


def run_to_proto(run: UserImportRun, messages: list[UserImportMessage]) -> pb.UserImportRun:
    return pb.UserImportRun(
        id=str(run.id),
        status=STATUSES.number(run.status),
        filename=run.filename,
        created_at=timestamp(run.created_at),
        started_at=timestamp(run.started_at),
        file_read_at=timestamp(run.file_read_at),
        finished_at=timestamp(run.finished_at),
        counts=pb.UserCounts(
            active=run.active_users or 0,
            inactive=run.inactive_users or 0,
            manually_managed=run.manually_managed_users or 0,
            total=run.total_users or 0,
        ),
        changes=pb.UserChanges(
            created=run.created_users or 0,
            activated=run.activated_users or 0,
            deactivated=run.deactivated_users or 0,
            updated=run.updated_users or 0,
        ),
        faulty_users=run.faulty_users or 0,
        error_count=run.error_count or 0,
        warning_count=run.warning_count or 0,
        messages=[message_to_proto(m) for m in messages],
        started_by=str(run.started_by),
        consistency_token=run.consistency_token or "",
    )
