"""User-import runs end to end inside the services: file → plan → identity, with counts, codes and logs."""

import uuid
from datetime import timedelta

import pytest
from elevhalsa.identity.v1 import identity_pb2 as ipb
from elevhalsa.imports.v1 import imports_pb2 as pb

from services.common.clock import utcnow
from services.common.db import session_factory
from services.common.errors import Conflict, InvalidArgument, PermissionDenied, TooLarge
from services.common.grpc_client import call
from services.common.uow import UnitOfWork
from services.imports.adapters.orm import KIT, UserImportRun
from services.imports.adapters.repository import ImportsRepository
from services.imports.service_layer.runs import fail_stale_runs
from tests.support.user_files import BILLION_LAUGHS, EXTERNAL_ENTITY, user_file
from tests.support.waiting import eventually

CHUNK = 64 * 1024
ENDED = (pb.RUN_STATUS_SUCCEEDED, pb.RUN_STATUS_FAILED, pb.RUN_STATUS_NEEDS_REVIEW)


def upload(content: bytes, filename: str = "users.xml") -> list[pb.StartUserImportRequest]:
    """The messages of an upload: the file's info, then its bytes in chunks."""
    info = pb.StartUserImportRequest(info=pb.UserImportFileInfo(filename=filename))
    chunks = [content[i : i + CHUNK] for i in range(0, len(content), CHUNK)]
    return [info, *(pb.StartUserImportRequest(chunk=chunk) for chunk in chunks)]


async def start(org, messages, token: str | None = None) -> pb.UserImportRun:
    async def stream():
        for message in messages:
            yield message

    return await call(org.imports.StartUserImport, stream(), token=token or org.admin)


async def run_import(org, content: bytes, token: str | None = None) -> pb.UserImportRun:
    """Start a run and wait for it to end (or to wait for review)."""
    run = await start(org, upload(content), token)
    return await ended(org, run.id)


async def ended(org, run_id: str) -> pb.UserImportRun:
    """The run once it has ended (or waits for review)."""
    request = pb.GetUserImportRunRequest(run_id=run_id)

    async def run_if_ended():
        run = await call(org.imports.GetUserImportRun, request, token=org.admin)
        return run if run.status in ENDED else None

    return await eventually(run_if_ended, timeout=10)


async def confirm(org, run_id: str) -> pb.UserImportRun:
    request = pb.ConfirmUserImportRunRequest(run_id=run_id)
    return await call(org.imports.ConfirmUserImportRun, request, token=org.admin)


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


async def test_a_healthy_file_with_a_leaver_updates_deactivates_and_activates_without_review(org, source):
    people = staff(source, 20)
    await run_import(org, user_file(people))
    people[0]["last_name"] = "Berg"
    people[1]["active"] = False
    run = await run_import(org, user_file(people[:19]))  # hr-19 left: 1 of 20 is within the 10 % limit
    assert run.status == pb.RUN_STATUS_SUCCEEDED
    assert changes(run) == (0, 0, 2, 1)
    users = await imported_users(org)
    assert users["hr-0"].user.last_name == "Berg"
    assert not users["hr-1"].user.active and not users["hr-19"].user.active
    back = await run_import(org, user_file(staff(source, 20)))
    assert back.status == pb.RUN_STATUS_SUCCEEDED and changes(back)[1] == 2


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
    assert run.counts.manually_managed == 1
    assert run.status == pb.RUN_STATUS_NEEDS_REVIEW  # the file would deactivate every imported user
    confirmed = await confirm(org, run.id)
    assert changes(confirmed) == (0, 0, 1, 0)
    users = await imported_users(org)
    assert users["hr-manual-2"].user.first_name == "M" and users["hr-manual-2"].user.active
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
    await run_import(org, user_file(staff(source, 20)))
    people = staff(source, 20)
    people[0]["last_name"] = "Berg"
    people[19] = {"first_name": "Utan", "last_name": "Id"}  # hr-19 is missing, and this user has no id
    run = await run_import(org, user_file(people))
    assert run.status == pb.RUN_STATUS_SUCCEEDED  # 1 faulty and 1 leaver of 20: within the limits
    complete = await call(
        org.imports.GetUserImportRunLog, pb.GetUserImportRunLogRequest(run_id=run.id), token=org.admin
    )
    errors = await call(
        org.imports.GetUserImportRunLog,
        pb.GetUserImportRunLogRequest(run_id=run.id, errors_only=True),
        token=org.admin,
    )
    steps = [
        "file received: users.xml",
        "file read and validated against the schema: 20 users",
        "1004 ",
        "planned: 1 to create or change, 18 unchanged, 1 missing from the file to deactivate",
        "user hr-0: updated",
        "user hr-19: deactivated",
        "applied: 0 created, 0 activated, 1 deactivated, 1 updated",
        "finished: succeeded",
    ]
    messages = [line.message for line in complete.lines]
    found = [next((i for i, m in enumerate(messages) if m.startswith(step)), None) for step in steps]
    assert None not in found, dict(zip(steps, found, strict=True))
    assert found == sorted(found), "the steps are logged in the order they happen"
    assert [line.level for line in errors.lines] == ["error"]
    assert [line.message.split()[0] for line in errors.lines] == ["1004"]
    assert {line.level for line in complete.lines} == {"info", "error"}


async def test_only_administrators_import_and_files_have_a_size_limit(org):
    _, email = await org.user()
    member = await org.login(email)
    with pytest.raises(PermissionDenied):
        await run_import(org, user_file([{"external_id": "x"}]), token=member)
    with pytest.raises(TooLarge):
        await run_import(org, b"<" * (1024 * 1024 + 1))
    runs = await call(org.imports.ListUserImportRuns, pb.ListUserImportRunsRequest(), token=org.admin)
    assert list(runs.runs) == []  # neither upload started a run


async def test_an_upload_must_begin_with_the_files_info(org):
    with pytest.raises(InvalidArgument) as refused:
        await start(org, upload(user_file([{"external_id": "x"}]))[1:])
    assert refused.value.field == "info"


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
    async with UnitOfWork(sessions, KIT, "imports", ImportsRepository) as uow:
        await fail_stale_runs(uow, utcnow())
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


async def test_a_file_whose_only_user_is_faulty_deactivates_nobody_and_waits_for_review(org, source):
    await run_import(org, user_file(staff(source, 3)))
    run = await run_import(org, user_file([{"first_name": "Utan", "last_name": "Id"}]))
    assert run.status == pb.RUN_STATUS_NEEDS_REVIEW
    assert changes(run) == (0, 0, 0, 0)
    assert all(item.user.active for item in (await imported_users(org)).values())
    [held] = [m for m in run.messages if m.code == 10200]
    assert "would deactivate 3 of 3 imported users" in held.detail
    assert "faulty 1 of 1 users in the file" in held.detail

    confirmed = await confirm(org, run.id)
    assert confirmed.status == pb.RUN_STATUS_SUCCEEDED and changes(confirmed) == (0, 0, 3, 0)
    assert not any(item.user.active for item in (await imported_users(org)).values())
    with pytest.raises(Conflict) as again:
        await confirm(org, run.id)
    assert "succeeded" in again.value.message and "not waiting for review" in again.value.message


async def test_a_run_waiting_for_review_cannot_be_confirmed_once_a_later_run_replaced_it(org, source):
    await run_import(org, user_file(staff(source, 3)))
    held = await run_import(org, user_file(staff(source, 1)))
    assert held.status == pb.RUN_STATUS_NEEDS_REVIEW
    later = await run_import(org, user_file(staff(source, 3)))
    assert later.status == pb.RUN_STATUS_SUCCEEDED
    with pytest.raises(Conflict) as refused:
        await confirm(org, held.id)
    assert "later run" in refused.value.message
    assert all(item.user.active for item in (await imported_users(org)).values())
