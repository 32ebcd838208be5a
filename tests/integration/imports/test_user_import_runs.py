"""User-import runs end to end inside the services: file → plan → identity, with counts, codes and logs."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from elevhalsa.identity.v1 import identity_pb2 as ipb
from elevhalsa.imports.v1 import imports_pb2 as pb

from services.common.clock import utcnow
from services.common.db import session_factory
from services.common.errors import Conflict, PermissionDenied, TooLarge
from services.common.grpc_client import call
from services.common.uow import UnitOfWork
from services.imports.adapters.orm import KIT, UserImportRun
from services.imports.service_layer.runs import fail_stale_runs
from tests.support.user_files import BILLION_LAUGHS, EXTERNAL_ENTITY, user_file


async def run_import(org, content: bytes, token: str | None = None) -> pb.UserImportRun:
    """Start a run and wait for it to end."""
    run = await call(
        org.imports.StartUserImport,
        pb.StartUserImportRequest(file=content, filename="users.xml"),
        token=token or org.admin,
    )
    for _ in range(200):
        run = await call(
            org.imports.GetUserImportRun, pb.GetUserImportRunRequest(run_id=run.id), token=org.admin
        )
        if run.status in (pb.RUN_STATUS_SUCCEEDED, pb.RUN_STATUS_FAILED):
            return run
        await asyncio.sleep(0.05)
    raise AssertionError("the run did not finish")


async def imported_users(org) -> dict[str, ipb.ImportUser]:
    users = {}
    async for item in org.identity.ListImportUsers(
        ipb.ListImportUsersRequest(), metadata=(("authorization", f"Bearer {org.admin}"),)
    ):
        users[item.user.external_id] = item
    return users


def changes(run) -> tuple[int, int, int, int]:
    return run.changes.created, run.changes.activated, run.changes.deactivated, run.changes.updated


@pytest.fixture
async def source(org):
    """A unit and a role with the external UUIDs the municipality's source system uses."""
    unit_ext, role_ext = str(uuid.uuid4()), str(uuid.uuid4())
    unit, role = await org.unit(external_id=unit_ext), await org.role(external_id=role_ext)
    return {"unit": unit, "role": role, "unit_ext": unit_ext, "role_ext": role_ext}


def staff(source, count=3):
    return [
        {
            "external_id": f"hr-{i}",
            "first_name": f"Person{i}",
            "last_name": "Andersson",
            "email": f"p{i}@kommun.se",
            "assignments": [{"role": source["role_ext"], "unit": source["unit_ext"], "from": "2026-08-01"}],
        }
        for i in range(count)
    ]


async def test_a_file_creates_its_users_with_their_assignments_and_the_run_records_it(org, source):
    run = await run_import(org, user_file(staff(source)))
    assert run.status == pb.RUN_STATUS_SUCCEEDED
    assert changes(run) == (3, 0, 0, 0)
    assert (run.counts.active, run.counts.inactive, run.counts.total) == (3, 0, 3)
    assert (
        run.created_at.seconds
        <= run.started_at.seconds
        <= run.file_read_at.seconds
        <= run.finished_at.seconds
    )
    users = await imported_users(org)
    assert sorted(users) == ["hr-0", "hr-1", "hr-2"]
    assignment = users["hr-0"].assignments[0]
    assert (assignment.role_id, assignment.unit_id, assignment.valid_from.month) == (
        source["role"].id,
        source["unit"].id,
        8,
    )


async def test_the_same_file_twice_changes_nothing_the_second_time(org, source):
    content = user_file(staff(source))
    await run_import(org, content)
    before = await imported_users(org)
    again = await run_import(org, content)
    assert again.status == pb.RUN_STATUS_SUCCEEDED and changes(again) == (0, 0, 0, 0)
    assert await imported_users(org) == before


async def test_changed_missing_and_returning_users_are_updated_deactivated_and_activated(org, source):
    people = staff(source)
    await run_import(org, user_file(people))
    people[0]["last_name"] = "Berg"
    people[1]["active"] = False
    run = await run_import(org, user_file(people[:2]))
    assert changes(run) == (0, 0, 2, 1)
    users = await imported_users(org)
    assert users["hr-0"].user.last_name == "Berg"
    assert not users["hr-1"].user.active and not users["hr-2"].user.active
    back = await run_import(org, user_file(staff(source)))
    assert changes(back)[1] == 2


async def test_manually_managed_users_are_left_alone(org, source):
    manual, _ = await org.user(external_id="hr-manual")
    await call(
        org.identity.CreateUser,
        ipb.CreateUserRequest(
            first_name="M", last_name="M", external_id="hr-manual-2", active=True, manually_managed=True
        ),
        token=org.admin,
    )
    run = await run_import(
        org, user_file([{"external_id": "hr-manual-2", "first_name": "Ändrad", "last_name": "M"}])
    )
    assert run.counts.manually_managed == 1 and changes(run) == (0, 0, 1, 0)
    users = await imported_users(org)
    assert users["hr-manual-2"].user.first_name == "M"
    assert not users["hr-manual"].user.active  # not manually managed and missing from the file


async def test_faulty_users_are_reported_with_their_codes_and_the_rest_is_imported(org, source):
    people = staff(source, 2) + [
        {"first_name": "Utan", "last_name": "Id"},
        {"external_id": "dup"},
        {"external_id": "dup"},
        {"external_id": "bad-mail", "email": "inte en adress"},
        {
            "external_id": "unknown-role",
            "assignments": [{"role": str(uuid.uuid4()), "unit": source["unit_ext"]}],
        },
        {
            "external_id": "unknown-unit",
            "assignments": [{"role": source["role_ext"], "unit": str(uuid.uuid4())}],
        },
    ]
    run = await run_import(org, user_file(people))
    codes = sorted((m.code, m.external_id) for m in run.messages)
    assert codes == [
        (1003, "dup"),
        (1003, "dup"),
        (1004, ""),
        (1010, "unknown-unit"),
        (1011, "unknown-role"),
        (10013, "bad-mail"),
    ]
    assert (run.faulty_users, run.error_count, run.warning_count) == (4, 4, 2)
    assert {m.text_sv for m in run.messages if m.code == 1004} == {"Källsystems-ID saknas"}
    assert sorted(await imported_users(org)) == ["hr-0", "hr-1", "unknown-role", "unknown-unit"]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (BILLION_LAUGHS, 10011),
        (EXTERNAL_ENTITY, 10011),
        (b"Namn;E-post\nAnna;anna@kommun.se\n", 10011),
        (b'<users xmlns="urn:elevhalsa:user-import:1"><person/></users>', 10012),
        (b"<users><user/></users>", 10012),
    ],
    ids=["billion-laughs", "external-entity", "not-xml", "wrong-element", "no-namespace"],
)
async def test_a_hostile_or_broken_file_fails_the_run_and_writes_nothing(org, source, content, code):
    await run_import(org, user_file(staff(source, 1)))
    before = await imported_users(org)
    run = await run_import(org, content)
    assert run.status == pb.RUN_STATUS_FAILED
    assert [m.code for m in run.messages] == [code]
    assert changes(run) == (0, 0, 0, 0)
    assert await imported_users(org) == before
    assert "root:" not in run.messages[0].detail


async def test_the_log_has_every_step_and_the_error_log_only_errors(org, source):
    run = await run_import(org, user_file(staff(source, 1) + [{"first_name": "Utan", "last_name": "Id"}]))
    complete = await call(
        org.imports.GetUserImportRunLog, pb.GetUserImportRunLogRequest(run_id=run.id), token=org.admin
    )
    errors = await call(
        org.imports.GetUserImportRunLog,
        pb.GetUserImportRunLogRequest(run_id=run.id, errors_only=True),
        token=org.admin,
    )
    assert any("hr-0: created" in line.message for line in complete.lines)
    assert [line.message.split()[0] for line in errors.lines] == ["1004"]


async def test_only_administrators_import_and_files_have_a_size_limit(org):
    _, email = await org.user()
    member = await org.login(email)
    with pytest.raises(PermissionDenied):
        await run_import(org, user_file([{"external_id": "x"}]), token=member)
    with pytest.raises(TooLarge):
        await run_import(org, b"<" * (1024 * 1024 + 1))


async def test_only_runs_whose_heartbeat_stopped_are_failed_as_interrupted(org, engine):
    sessions = session_factory(engine)
    alive, stopped = uuid.uuid4(), uuid.uuid4()
    async with sessions() as session, session.begin():
        for run_id, heartbeat in [(alive, utcnow()), (stopped, utcnow() - timedelta(hours=1))]:
            session.add(
                UserImportRun(
                    id=run_id,
                    org_id=uuid.UUID(org.org_id),
                    status="running",
                    filename="users.xml",
                    started_by=uuid.uuid4(),
                    heartbeat_at=heartbeat,
                )
            )
    async with UnitOfWork(sessions, KIT, "imports") as uow:
        await fail_stale_runs(uow)
    statuses = {}
    for run_id in (alive, stopped):
        run = await call(
            org.imports.GetUserImportRun, pb.GetUserImportRunRequest(run_id=str(run_id)), token=org.admin
        )
        statuses[run_id] = (run.status, [m.code for m in run.messages])
    assert statuses == {alive: (pb.RUN_STATUS_RUNNING, []), stopped: (pb.RUN_STATUS_FAILED, [10100])}


async def test_a_second_upload_while_a_run_is_going_is_refused(org, engine):
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        session.add(
            UserImportRun(
                id=uuid.uuid4(),
                org_id=uuid.UUID(org.org_id),
                status="running",
                filename="users.xml",
                started_by=uuid.uuid4(),
                heartbeat_at=utcnow(),
            )
        )
    with pytest.raises(Conflict):
        await run_import(org, user_file([{"external_id": "hr-1"}]))
