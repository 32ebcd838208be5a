"""authz killed in the middle of applying a batch resumes from its committed position within seconds."""

import asyncio
import subprocess
import sys
import time
import uuid

import nats
import psycopg
import pytest

from deploy.local.stack import REPO, stop_processes, wait_until_serving
from services.common.db import libpq_url
from tests.support.api import Tenant
from tests.support.user_files import user_file
from tests.support.waiting import until

USERS = 1500  # each with one assignment: two identity events per user
# Killed with at most this many events left, so that the time measured is the recovery's, not the time
# to apply a large backlog (which depends on the machine).
LEFT_AT_KILL = 1000
CAUGHT_UP_WITHIN_SECONDS = 5.0


def replay_org(stack, org_id: str) -> None:
    """The operator's replay-org: the organisation's identity state published again, as events."""
    command = [sys.executable, "-m", "services.identity", "replay-org", org_id]
    subprocess.run(command, env=stack.env("identity"), cwd=REPO, capture_output=True, check=True, timeout=120)


def one_value(database_url: str, query: str, *params):
    with psycopg.connect(libpq_url(database_url)) as conn:
        return conn.execute(query, params).fetchone()[0]


def identity_revision(stack, org_id: str) -> int:
    return one_value(stack.database_url, "SELECT revision FROM identity.revisions WHERE org_id = %s", org_id)


def authz_position(stack, org_id: str) -> int:
    query = "SELECT coalesce(max(revision), 0) FROM authz.positions WHERE source = 'identity' AND org_id = %s"
    return one_value(stack.database_url, query, org_id)


def start_authz(stack) -> None:
    stack._spawn("authz", [sys.executable, "-m", "services.authz"])


def start_import(api, tenant: Tenant, count: int) -> str:
    """Upload a user file of `count` users, each with an assignment; returns the run's id."""
    unit_ext, role_ext = str(uuid.uuid4()), str(uuid.uuid4())
    tenant.create("/api/v1/units", {"name": "Kraschskolan", "external_id": unit_ext})
    tenant.create("/api/v1/user-roles", {"name": "Kraschroll", "external_id": role_ext})
    people = [
        {"external_id": f"crash-{i}", "assignments": [{"role": role_ext, "unit": unit_ext}]}
        for i in range(count)
    ]
    started = api.call(
        "POST",
        "/api/v1/imports/user-runs",
        tenant.admin,
        files={"file": ("u.xml", user_file(people), "application/xml")},
    )
    assert started.status_code == 202, started.text
    return started.json()["id"]


def wait_for_run(stack, run_id: str, count: int) -> None:
    """Wait until the run has ended, read from imports' table."""
    query = "SELECT status, created_users FROM imports.user_import_runs WHERE id = %s"

    def outcome_if_ended():
        with psycopg.connect(libpq_url(stack.database_url)) as conn:
            status, created = conn.execute(query, (run_id,)).fetchone()
        return None if status in ("queued", "running") else (status, created)

    assert until(outcome_if_ended, timeout=120) == ("succeeded", count)


async def unacked(nats_url: str) -> int:
    """Messages JetStream delivered to authz that it has not acknowledged."""
    connection = await nats.connect(nats_url)
    try:
        info = await connection.jetstream().consumer_info("ELEVHALSA_IDENTITY", "authz")
        return info.num_ack_pending
    finally:
        await connection.close()


def counts(stack, org_id: str) -> dict:
    q = "SELECT count(*) FROM {} WHERE org_id = %s"
    return {
        "users": (
            one_value(stack.database_url, q.format("identity.users"), org_id),
            one_value(stack.database_url, q.format("authz.users"), org_id),
        ),
        "assignments": (
            one_value(
                stack.database_url, q.format("identity.assignments") + " AND revoked_at IS NULL", org_id
            ),
            one_value(stack.database_url, q.format("authz.assignments"), org_id),
        ),
    }


def inbox_revisions(stack, org_id: str) -> list[int]:
    with psycopg.connect(libpq_url(stack.database_url)) as conn:
        rows = conn.execute(
            "SELECT revision FROM authz.inbox WHERE source = 'identity' AND org_id = %s ORDER BY revision",
            (org_id,),
        ).fetchall()
    return [revision for (revision,) in rows]


@pytest.fixture
def authz_restarted(stack):
    """Whatever happens in the test, authz runs again afterwards for the other tests."""
    yield
    if stack.processes["authz"].poll() is not None:
        start_authz(stack)
        wait_until_serving("authz", stack.ports["authz"], stack.processes["authz"])


@pytest.mark.timeout(300)  # authz starts twice and a few thousand users are imported first
def test_authz_killed_mid_batch_catches_up_within_seconds_of_answering_its_health_check(
    api, stack, authz_restarted, record_property
):
    tenant = Tenant(api, stack)
    wait_for_run(stack, start_import(api, tenant, USERS), USERS)
    # A backlog of permission events builds up while authz is stopped, so that it is mid-batch when killed.
    # Identity republishes the organisation's state: an administrative change would wait for authz to vouch
    # for the administrator, the operator's replay needs no one.
    stop_processes([stack.processes["authz"]])
    replay_org(stack, tenant.org_id)
    start, end = authz_position(stack, tenant.org_id), identity_revision(stack, tenant.org_id)
    assert end - start > LEFT_AT_KILL + 500

    start_authz(stack)
    until(lambda: authz_position(stack, tenant.org_id) >= end - LEFT_AT_KILL, timeout=60, interval=0.005)
    stack.processes["authz"].kill()
    stack.processes["authz"].wait()
    killed = time.monotonic()
    killed_at = authz_position(stack, tenant.org_id)
    assert start < killed_at < end
    assert asyncio.run(unacked(stack.nats_url)) > 0  # a batch was delivered and not acknowledged

    start_authz(stack)
    wait_until_serving("authz", stack.ports["authz"], stack.processes["authz"])
    serving = time.monotonic()
    until(lambda: authz_position(stack, tenant.org_id) >= end, timeout=60, interval=0.02)
    seconds = time.monotonic() - serving
    record_property("authz_caught_up_seconds_after_serving", round(seconds, 2))
    record_property("authz_caught_up_seconds_after_kill", round(time.monotonic() - killed, 2))
    print(
        f"\nauthz killed at revision {killed_at} of {end}; caught up {seconds:.2f} s after answering its "
        f"health check ({serving - killed:.2f} s from the kill to SERVING)"
    )

    assert authz_position(stack, tenant.org_id) == end
    assert seconds <= CAUGHT_UP_WITHIN_SECONDS
    for what, (in_identity, in_authz) in counts(stack, tenant.org_id).items():
        assert in_authz == in_identity, what
    assert inbox_revisions(stack, tenant.org_id) == list(range(1, end + 1))
