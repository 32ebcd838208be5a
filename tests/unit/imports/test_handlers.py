"""Imports' handlers with a fake repository and unit of work: who may do what to a run, and what it changes."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.common.auth import Caller, PermissionLevel
from services.common.errors import Conflict, PermissionDenied, TooLarge
from services.imports.adapters.repository import EVERY_ORGANISATION
from services.imports.domain.user_import import RunStatus
from services.imports.service_layer import runs, user_import
from tests.unit.fake_admin_rights import FakeAdminRights
from tests.unit.imports.fakes import FakeIdentity, FakeUnitOfWork, FakeUploadStore, a_run

ORG = uuid.uuid4()
NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
RIGHTS = FakeAdminRights()
ADMIN = Caller(str(uuid.uuid4()), str(ORG), PermissionLevel.ADMIN, "token")
MEMBER = Caller(str(uuid.uuid4()), str(ORG), PermissionLevel.MEMBER, "token")


def waiting_for_review(uow: FakeUnitOfWork, held: list[str]):
    run = a_run(ORG, RunStatus.NEEDS_REVIEW, NOW - timedelta(hours=1))
    uow.data.runs.append(run)
    uow.data.held[run.id] = held
    return run


async def chunks(*parts: bytes):
    for part in parts:
        yield part


async def test_confirming_a_run_waiting_for_review_deactivates_the_held_back_users_and_it_succeeds():
    uow, identity = FakeUnitOfWork(), FakeIdentity(active={"u1", "u2", "u3"})
    run = waiting_for_review(uow, ["u1", "u2"])
    confirmed = await user_import.confirm_run(uow, identity, ADMIN, RIGHTS, run.id, NOW)
    assert identity.calls == [([], ["u1", "u2"])] and identity.active == {"u3"}
    assert (confirmed.status, confirmed.deactivated_users, confirmed.finished_at) == (
        RunStatus.SUCCEEDED,
        2,
        NOW,
    )
    assert uow.committed and run.id not in uow.data.held
    assert uow.data.log[run.id][-1] == ("info", "finished: succeeded")


@pytest.mark.parametrize("status", [RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.RUNNING])
async def test_confirming_a_run_that_is_not_waiting_for_review_is_a_conflict_naming_its_status(status):
    uow, identity = FakeUnitOfWork(), FakeIdentity(active={"u1"})
    run = a_run(ORG, status, NOW)
    uow.data.runs.append(run)
    with pytest.raises(Conflict) as refused:
        await user_import.confirm_run(uow, identity, ADMIN, RIGHTS, run.id, NOW)
    assert f"the run is {status}, not waiting for review" in refused.value.message
    assert refused.value.field == "run_id" and identity.calls == [] and not uow.committed


async def test_a_run_replaced_by_a_later_run_cannot_be_confirmed():
    uow, identity = FakeUnitOfWork(), FakeIdentity(active={"u1"})
    run = waiting_for_review(uow, ["u1"])
    uow.data.runs.append(a_run(ORG, RunStatus.SUCCEEDED, NOW))
    with pytest.raises(Conflict, match="later run"):
        await user_import.confirm_run(uow, identity, ADMIN, RIGHTS, run.id, NOW)
    assert identity.active == {"u1"} and uow.data.held[run.id] == ["u1"]


async def test_only_administrators_confirm_a_run():
    uow, identity = FakeUnitOfWork(), FakeIdentity(active={"u1"})
    run = waiting_for_review(uow, ["u1"])
    with pytest.raises(PermissionDenied):
        await user_import.confirm_run(uow, identity, MEMBER, RIGHTS, run.id, NOW)
    assert identity.active == {"u1"}


async def test_an_upload_is_queued_as_a_run_of_the_callers_organisation_and_its_file_kept_for_it():
    uow, store = FakeUnitOfWork(), FakeUploadStore()
    run = await user_import.start_run(uow, store, ADMIN, RIGHTS, "", chunks(b"<users", b"/>"), 100, NOW)
    assert (run.org_id, run.status, run.filename, run.created_at) == (ORG, RunStatus.QUEUED, "users.xml", NOW)
    assert store.kept == {run.id: 8} and uow.committed


async def test_an_upload_while_a_run_works_is_refused_and_its_file_not_kept():
    uow, store = FakeUnitOfWork(), FakeUploadStore()
    uow.data.runs.append(a_run(ORG, RunStatus.RUNNING, NOW))
    with pytest.raises(Conflict, match="already running"):
        await user_import.start_run(uow, store, ADMIN, RIGHTS, "users.xml", chunks(b"<users/>"), 100, NOW)
    assert (store.kept, store.discarded, len(uow.data.runs)) == ({}, 1, 1)


async def test_an_upload_over_the_limit_starts_no_run():
    uow, store = FakeUnitOfWork(), FakeUploadStore()
    with pytest.raises(TooLarge):
        await user_import.start_run(
            uow, store, ADMIN, RIGHTS, "users.xml", chunks(b"x" * 60, b"x" * 60), 100, NOW
        )
    assert uow.data.runs == [] and not uow.committed


async def test_members_cannot_upload():
    with pytest.raises(PermissionDenied):
        await user_import.start_run(
            FakeUnitOfWork(), FakeUploadStore(), MEMBER, RIGHTS, "u.xml", chunks(b""), 100, NOW
        )


async def test_the_janitor_fails_stale_runs_of_every_organisation_through_its_one_cross_organisation_method():
    uow = FakeUnitOfWork()
    other = uuid.uuid4()
    stale = [
        a_run(org, RunStatus.RUNNING, NOW, heartbeat_at=NOW - timedelta(hours=1)) for org in (ORG, other)
    ]
    alive = a_run(ORG, RunStatus.RUNNING, NOW, heartbeat_at=NOW - timedelta(seconds=10))
    uow.data.runs += [*stale, alive]
    assert await runs.fail_stale_runs(uow, NOW) == 2
    assert [run.status for run in uow.data.runs] == [RunStatus.FAILED, RunStatus.FAILED, RunStatus.RUNNING]
    assert uow.orgs_opened == [EVERY_ORGANISATION] and uow.committed
