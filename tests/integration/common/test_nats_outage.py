"""With NATS away the services still serve; authz refuses to vouch for what it has not seen, administrative
changes included; then it catches up."""

import asyncio

import pytest
from elevhalsa.authz.v1 import authz_pb2 as pb

from deploy.local.infra import EmbeddedNats, free_port
from services.common.errors import Unavailable
from services.common.grpc_client import call
from services.common.migrations import upgrade
from tests.integration.conftest import SERVICES
from tests.support.orgs import new_org
from tests.support.services import InProcessServices
from tests.support.waiting import eventually


@pytest.fixture
async def without_nats(postgres, key_pair, tmp_path):
    """All four services on a database of their own, pointed at a NATS that is not running yet."""
    url = postgres.new_database("outage")
    for service in SERVICES:
        upgrade(service, url)
    nats = EmbeddedNats(tmp_path / "nats", tmp_path / "nats.log", port=free_port())
    running = InProcessServices(url, nats, *key_pair)
    await running.start()
    yield running, nats
    await running.stop()
    nats.stop()


async def until_available(make):
    """The result of `make()` once authz has caught up (it answers Unavailable until then)."""

    async def made():
        try:
            return (await make(),)  # in a tuple, so that a call returning None counts as done too
        except Unavailable:
            return None

    (result,) = await eventually(made, timeout=60, interval=0.1)
    return result


async def test_changes_made_while_nats_is_down_reach_authz_when_it_is_back(without_nats):
    services, nats = without_nats
    org = await new_org(services)  # the administrator's creation waits in identity's outbox
    # Identity logs the administrator in, but an administrative change needs authz to vouch for them, and
    # authz has seen nothing yet: it refuses, and nothing is changed.
    with pytest.raises(Unavailable):
        await org.unit()

    await asyncio.to_thread(nats.start)
    unit = await until_available(org.unit)
    role, folder = await org.role(), await org.folder()
    nurse, token = await org.member_with_role(role.id, unit.id)
    await org.grant(role.id, folder.id)
    check = pb.CheckRequest(
        unit_id=unit.id, folder_id=folder.id, action=pb.ACTION_READ, consistency_token=org.token
    )
    assert (await call(org.authz.Check, check, token=token)).allowed
