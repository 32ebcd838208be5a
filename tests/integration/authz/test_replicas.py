"""Several authz replicas: each holds its own model, follows every event, and answers as the others do."""

import pytest
from elevhalsa.authz.v1 import authz_pb2 as pb
from elevhalsa.authz.v1 import authz_pb2_grpc
from elevhalsa.identity.v1 import identity_pb2 as ipb

from services.authz.entrypoints.app import build_runtime
from services.authz.settings import AuthzSettings
from services.common.grpc_client import call, open_channel


async def start_replica(services):
    """One more authz process's worth of runtime, on its own port, against the same database and NATS."""
    runtime = await build_runtime(AuthzSettings(**services.common("authz"), freshness_timeout_seconds=2.0))
    await runtime.start()
    channel = open_channel(f"127.0.0.1:{runtime.port}")
    return runtime, channel, authz_pb2_grpc.AuthzServiceStub(channel)


@pytest.fixture
async def second(services):
    runtime, channel, stub = await start_replica(services)
    yield stub
    await channel.close()
    await runtime.stop()


async def answers(stubs, token: str, unit_id: str, folder_id: str, consistency: str) -> list[tuple]:
    """(read allowed, write allowed) from each replica."""
    result = []
    for stub in stubs:
        decided = []
        for action in (pb.ACTION_READ, pb.ACTION_WRITE):
            request = pb.CheckRequest(
                unit_id=unit_id, folder_id=folder_id, action=action, consistency_token=consistency
            )
            decided.append((await call(stub.Check, request, token=token)).allowed)
        result.append(tuple(decided))
    return result


async def test_two_replicas_see_every_change_by_its_consistency_token_and_answer_alike(org, second):
    replicas = [org.authz, second]
    unit, role, folder = await org.unit(), await org.role(), await org.folder()
    await org.grant(role.id, folder.id)
    nurse, email = await org.user()
    assignment = await org.assign(nurse.id, role.id, unit.id)
    token = await org.login(email)
    assert await answers(replicas, token, unit.id, folder.id, org.token) == [(True, True)] * 2

    await org.grant(role.id, folder.id, pb.ACCESS_READ)  # through the first replica
    assert await answers(replicas, token, unit.id, folder.id, org.token) == [(True, False)] * 2

    await org.as_admin(
        org.identity.RevokeAssignment, ipb.RevokeAssignmentRequest(assignment_id=assignment.id)
    )
    assert await answers(replicas, token, unit.id, folder.id, org.token) == [(False, False)] * 2


async def test_a_replica_started_after_the_changes_loads_them_from_the_snapshot(services, org):
    unit, role, folder = await org.unit(), await org.role(), await org.folder()
    await org.grant(role.id, folder.id, pb.ACCESS_READ)
    nurse, token = await org.member_with_role(role.id, unit.id)
    runtime, channel, late = await start_replica(services)
    try:
        assert await answers([org.authz, late], token, unit.id, folder.id, org.token) == [(True, False)] * 2
    finally:
        await channel.close()
        await runtime.stop()
