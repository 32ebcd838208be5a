"""In-memory stand-ins for imports' repository, unit of work, upload store and identity client."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from elevhalsa.identity.v1 import identity_pb2

from services.common.errors import NotFound, TooLarge
from services.imports.adapters.files import Upload
from services.imports.adapters.orm import UserImportRun
from services.imports.domain.user_import import WORKING, RunStatus


class FakeRepository:
    def __init__(self, data: "FakeData", org_id: uuid.UUID):
        self.data, self.org_id = data, org_id

    def _mine(self) -> list[UserImportRun]:
        return [run for run in self.data.runs if run.org_id == self.org_id]

    async def take_turn(self) -> None:
        pass

    async def working_run(self):
        return next((run.id for run in self._mine() if run.status in WORKING), None)

    def add(self, run: UserImportRun) -> None:
        assert run.org_id == self.org_id
        self.data.runs.append(run)

    async def run(self, run_id, *, for_update=False) -> UserImportRun:
        found = next((run for run in self._mine() if run.id == run_id), None)
        if found is None:
            raise NotFound("user import run not found", field="run_id")
        return found

    async def newer_run_than(self, run) -> bool:
        return any(other.created_at > run.created_at for other in self._mine())

    async def messages(self, run_id):
        return []

    async def add_log(self, run_id, lines) -> None:
        self.data.log.setdefault(run_id, []).extend(lines)

    async def release_deactivations(self, run_id) -> list[str]:
        return sorted(self.data.held.pop(run_id, []))

    async def fail_stale_runs_of_every_organisation(self, heartbeat_before, now, message):
        stale = [r for r in self.data.runs if r.status in WORKING and r.heartbeat_at < heartbeat_before]
        for run in stale:
            run.status, run.finished_at = RunStatus.FAILED, now
        return stale


class FakeData:
    def __init__(self):
        self.runs: list[UserImportRun] = []
        self.held: dict[uuid.UUID, list[str]] = {}
        self.log: dict[uuid.UUID, list[tuple[str, str]]] = {}


class FakeUnitOfWork:
    def __init__(self, data: FakeData | None = None):
        self.data = data or FakeData()
        self.orgs_opened: list[uuid.UUID] = []
        self.published: list = []
        self.committed = False

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        pass

    def repository(self, org_id) -> FakeRepository:
        self.orgs_opened.append(uuid.UUID(str(org_id)))
        return FakeRepository(self.data, uuid.UUID(str(org_id)))

    def publish(self, org_id, event) -> None:
        self.published.append((org_id, event))

    async def commit(self) -> str:
        self.committed = True
        return ""


class FakeUploadStore:
    """Counts bytes instead of writing them."""

    def __init__(self):
        self.kept: dict[uuid.UUID, int] = {}
        self.discarded = 0

    async def receive(self, chunks, max_bytes: int) -> Upload:
        size = 0
        async for chunk in chunks:
            size += len(chunk)
            if size > max_bytes:
                raise TooLarge(f"the file is larger than {max_bytes} bytes", field="file")
        return Upload(Path("upload.part"), size, "sha")

    def keep(self, upload: Upload, run_id) -> None:
        self.kept[run_id] = upload.size

    def discard(self, upload: Upload) -> None:
        self.discarded += 1


@dataclass
class FakeIdentity:
    """Deactivates whom it is told to, if they are active."""

    active: set[str]

    def __post_init__(self):
        self.calls: list[tuple[list, list[str]]] = []

    async def apply(self, run_id: str, upserts: list, deactivate_ids: list[str]):
        self.calls.append((upserts, deactivate_ids))
        results = [
            identity_pb2.ImportedUserResult(user_id=user_id, outcome=identity_pb2.IMPORT_OUTCOME_DEACTIVATED)
            for user_id in deactivate_ids
            if user_id in self.active
        ]
        self.active -= set(deactivate_ids)
        return results, "token"


def a_run(org_id: uuid.UUID, status: RunStatus, created_at: datetime, **fields) -> UserImportRun:
    return UserImportRun(
        id=uuid.uuid4(),
        org_id=org_id,
        status=status,
        filename="users.xml",
        started_by=uuid.uuid4(),
        created_at=created_at,
        deactivated_users=0,
        consistency_token="",
        **fields,
    )
