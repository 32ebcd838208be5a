"""A forged identity event quarantines the organisation in authz until identity's replay-org rebuilds it."""

import json
import logging
import os
import subprocess
import sys
import uuid

import nats
import pytest
from elevhalsa.authz.v1 import authz_pb2 as pb
from elevhalsa.identity.v1 import events_pb2
from elevhalsa.identity.v1 import identity_pb2 as ipb
from sqlalchemy import select

from services.authz.adapters.orm import KIT as AUTHZ_KIT
from services.authz.adapters.orm import KnownFolder
from services.common.consistency import ConsistencyToken
from services.common.consumer import read_position
from services.common.db import session_factory
from services.common.errors import Unavailable
from services.common.grpc_client import call
from services.identity.adapters.orm import KIT as IDENTITY_KIT
from tests.support.orgs import new_org
from tests.support.waiting import eventually

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


@pytest.fixture
async def js(nats_server):
    connection = await nats.connect(nats_server.url)
    yield connection.jetstream()
    await connection.close()


async def identity_revision(engine, org_id: str) -> int:
    table = IDENTITY_KIT.revisions
    async with session_factory(engine)() as session:
        return await session.scalar(select(table.c.revision).where(table.c.org_id == uuid.UUID(org_id)))


async def authz_position(engine, org_id: str) -> int:
    async with session_factory(engine)() as session:
        return await read_position(session, AUTHZ_KIT, "identity", org_id)


async def position_is(engine, org_id: str, revision: int) -> bool:
    return await authz_position(engine, org_id) == revision


async def quarantined(engine, org_id: str) -> list:
    table = AUTHZ_KIT.quarantine
    async with session_factory(engine)() as session:
        rows = await session.execute(select(table).where(table.c.org_id == uuid.UUID(org_id)))
        return [dict(row._mapping) for row in rows]


async def check(org, token: str, school: dict, consistency: str = "") -> bool:
    request = pb.CheckRequest(
        unit_id=school["unit"].id,
        folder_id=school["folder"].id,
        action=pb.ACTION_READ,
        consistency_token=consistency,
    )
    return (await call(org.authz.Check, request, token=token)).allowed


async def school_of(org) -> dict:
    """A unit, a role with read/write on a folder, and a logged-in member holding that role there."""
    unit, role, folder = await org.unit(), await org.role(), await org.folder()
    await org.grant(role.id, folder.id)
    user, token = await org.member_with_role(role.id, unit.id)
    school = {"unit": unit, "role": role, "folder": folder, "user": user, "token": token}
    assert await check(org, token, school, org.token)
    return school


async def publish_forged(js, org_id: str, revision: int) -> events_pb2.UserChanged:
    """A UserChanged that identity never wrote, at the organisation's next identity revision."""
    forged = events_pb2.UserChanged(
        user_id=str(uuid.uuid4()), active=True, permission_level=ipb.PERMISSION_LEVEL_ADMIN
    )
    forged.meta.event_id, forged.meta.org_id, forged.meta.revision = str(uuid.uuid4()), org_id, revision
    await js.publish(
        "elevhalsa.identity.v1.UserChanged",
        forged.SerializeToString(),
        headers={"Nats-Msg-Id": forged.meta.event_id},
    )
    return forged


def replay_org(database_url: str, org_id: str, service: str = "identity") -> dict:
    """The operator's command, as a process of its own."""
    result = subprocess.run(
        [sys.executable, "-m", f"services.{service}", "replay-org", org_id],
        env=dict(os.environ, DATABASE_URL=database_url),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


async def test_a_forged_event_quarantines_its_organisation_until_replay_org_rebuilds_it(
    services, engine, database_url, js, caplog
):
    org, other = await new_org(services), await new_org(services)
    school, other_school = await school_of(org), await school_of(other)
    leaver, leaver_email = await org.user()
    assignment = await org.assign(leaver.id, school["role"].id, school["unit"].id)
    leaver_token = await org.login(leaver_email)
    assert await check(org, leaver_token, school, org.token)

    revision = await identity_revision(engine, org.org_id)
    await eventually(lambda: position_is(engine, org.org_id, revision))
    forged = await publish_forged(js, org.org_id, revision + 1)
    await eventually(lambda: position_is(engine, org.org_id, revision + 1))
    caplog.set_level(logging.ERROR, logger="services.common.consumer")
    newcomer, newcomer_email = await org.user()  # identity's real event at the forged revision

    [row] = await eventually(lambda: quarantined(engine, org.org_id))
    assert (row["source"], row["revision"]) == ("identity", revision + 1)
    assert str(row["applied_event_id"]) == forged.meta.event_id
    alert = next(r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert org.org_id in alert and f"revision {revision + 1}" in alert
    assert f"python -m services.identity replay-org {org.org_id}" in alert
    with pytest.raises(Unavailable):
        await check(org, school["token"], school)
    with pytest.raises(Unavailable):
        await call(
            org.authz.FilterNotes,
            pb.FilterNotesRequest(unit_id=school["unit"].id, folder_id=school["folder"].id),
            token=school["token"],
        )
    assert await check(other, other_school["token"], other_school, other.token)

    # Administrative changes fail closed too: authz cannot vouch for who may make them.
    revoke = ipb.RevokeAssignmentRequest(assignment_id=assignment.id)
    with pytest.raises(Unavailable):
        await org.as_admin(org.identity.RevokeAssignment, revoke)

    replayed = replay_org(database_url, org.org_id)
    after = ConsistencyToken(org.org_id, {"identity": replayed["last_revision"]}).encode()
    assert await check(org, school["token"], school, after)
    # The snapshot in PostgreSQL follows on its own schedule.
    await eventually(lambda: position_is(engine, org.org_id, replayed["last_revision"]))
    assert await quarantined(engine, org.org_id) == []

    revoke.consistency_token = after
    await org.as_admin(org.identity.RevokeAssignment, revoke)
    await org.assign(newcomer.id, school["role"].id, school["unit"].id)  # the rebuilt facts know the newcomer
    assert not await check(org, leaver_token, school, org.token)
    assert await check(org, await org.login(newcomer_email), school, org.token)


async def test_a_records_replay_rebuilds_the_organisations_folders_and_leaves_identitys_facts(
    services, engine, database_url
):
    org = await new_org(services)
    school = await school_of(org)
    stray = uuid.uuid4()  # a folder authz knows of that records does not have
    async with session_factory(engine)() as session, session.begin():
        session.add(KnownFolder(org_id=uuid.UUID(org.org_id), folder_id=stray))

    replayed = replay_org(database_url, org.org_id, "records")
    after = ConsistencyToken(org.org_id, {"records": replayed["last_revision"]}).encode()
    assert await check(org, school["token"], school, after)

    async def only_the_real_folder() -> bool:
        async with session_factory(engine)() as session:
            folders = await session.scalars(
                select(KnownFolder.folder_id).where(KnownFolder.org_id == uuid.UUID(org.org_id))
            )
            return set(folders) == {uuid.UUID(school["folder"].id)}

    await eventually(only_the_real_folder)
