"""NATS knows each service by its own user: only a service publishes its events; consumers only consume."""

import asyncio
import uuid
from urllib.parse import urlsplit

import nats
import pytest
from elevhalsa.authz.v1 import authz_pb2 as pb
from elevhalsa.common.v1 import types_pb2
from elevhalsa.identity.v1 import events_pb2 as identity_events
from nats.js.errors import NotFoundError

from deploy.local.infra import EmbeddedNats
from services.common import events
from services.common.consistency import ConsistencyToken
from services.common.events import StreamSpec, ensure_stream, subject_of
from services.common.grpc_client import call
from services.common.messaging import ServiceJetStream, inbox_prefix
from tests.support.waiting import eventually

IDENTITY = StreamSpec("identity")


class Connection:
    """A NATS connection as one user, keeping the errors the server sent it."""

    def __init__(self, url: str, user: str = ""):
        self.url, self.user = url, user
        self.errors: list[str] = []
        self.client = None

    async def __aenter__(self) -> "Connection":
        options = {"inbox_prefix": inbox_prefix(self.user)} if self.user else {}
        self.client = await nats.connect(self.url, error_cb=self._on_error, **options)
        return self

    async def __aexit__(self, *_) -> None:
        await self.client.close()

    async def _on_error(self, error: Exception) -> None:
        self.errors.append(str(error))

    def jetstream(self) -> ServiceJetStream:
        return ServiceJetStream(self.client, self.user)

    async def refused(self, subject: str, timeout: float = 5.0) -> bool:
        """Whether the server reported a permissions violation for publishing on `subject`."""
        expected = f'permissions violation for publish to "{subject}"'.lower()
        return await eventually(lambda: any(expected in error.lower() for error in self.errors), timeout)


def with_credentials(url: str, user: str = "", password: str = "") -> str:
    """The server's address with other credentials (none if no user)."""
    address = urlsplit(url).netloc.rsplit("@", 1)[-1]
    return f"nats://{user}:{password}@{address}" if user else f"nats://{address}"


@pytest.fixture
def enforcing(nats_server):
    """The session's NATS server, if the tests know its users."""
    if nats_server.permissions_untested_because:
        pytest.skip(nats_server.permissions_untested_because)
    return nats_server


@pytest.fixture
def fresh_nats(tmp_path):
    """A server of this test's own, with no streams yet."""
    server = EmbeddedNats(tmp_path / "nats", tmp_path / "nats.log")
    server.start()
    yield server
    server.stop()


async def refused_to_connect(url: str) -> str:
    with pytest.raises(nats.errors.Error) as refusal:
        await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2)
    return str(refusal.value)


async def test_a_connection_without_credentials_is_refused(enforcing):
    assert "Authorization Violation" in await refused_to_connect(with_credentials(enforcing.url))


async def test_a_wrong_password_is_refused(enforcing):
    url = with_credentials(enforcing.url, "identity", "not-the-password")
    assert "Authorization Violation" in await refused_to_connect(url)


async def test_records_cannot_revoke_an_assignment_in_identitys_name(enforcing, services, org):
    unit, role, folder = await org.unit(), await org.role(), await org.folder()
    await org.grant(role.id, folder.id)
    nurse, email = await org.user()
    assignment = await org.assign(nurse.id, role.id, unit.id)
    token = await org.login(email)
    revision = ConsistencyToken.decode(org.token).revisions["identity"]
    forged = identity_events.AssignmentRevoked(
        meta=types_pb2.EventMeta(event_id=str(uuid.uuid4()), org_id=org.org_id, revision=revision + 1),
        assignment_id=assignment.id,
        user_id=nurse.id,
    )

    async with Connection(enforcing.url_for("records"), "records") as records:
        with pytest.raises(nats.errors.TimeoutError):
            await records.client.jetstream().publish(
                subject_of(forged),
                forged.SerializeToString(),
                headers={"Nats-Msg-Id": forged.meta.event_id},
                stream=IDENTITY.name,
                timeout=1,
            )
        assert await records.refused(subject_of(forged))

    # identity's next real event takes the revision the forged one claimed; had authz applied the forged
    # revoke, it would skip the real event as already seen and deny the nurse.
    await org.unit()
    check = pb.CheckRequest(
        unit_id=unit.id, folder_id=folder.id, action=pb.ACTION_READ, consistency_token=org.token
    )
    assert (await call(org.authz.Check, check, token=token)).allowed
    async with Connection(enforcing.url) as admin:
        assert not await stored(admin.client.jetstream(), subject_of(forged), forged.meta.event_id)


async def stored(js, subject: str, message_id: str) -> bool:
    """Whether the identity stream's latest message on the subject is the one with this id."""
    try:
        last = await js.get_last_msg(IDENTITY.name, subject)
    except NotFoundError:
        return False
    return (last.headers or {}).get("Nats-Msg-Id") == message_id


@pytest.mark.parametrize("source", ["identity", "records", "imports"])
async def test_authz_cannot_publish_other_services_events(enforcing, source):
    subject = f"elevhalsa.{source}.v1.Anything"
    async with Connection(enforcing.url_for("authz"), "authz") as authz:
        await authz.client.publish(subject, b"forged")
        await authz.client.flush()
        assert await authz.refused(subject)


async def test_a_consumer_cannot_delete_the_stream_it_reads(enforcing):
    async with Connection(enforcing.url_for("authz"), "authz") as authz:
        with pytest.raises(nats.errors.TimeoutError):
            await authz.jetstream().delete_stream(IDENTITY.name)
        assert await authz.refused(f"$JS.API.STREAM.DELETE.{IDENTITY.name}")


async def test_identity_publishes_its_own_events_which_authz_consumes(fresh_nats):
    event = identity_events.UserRoleCreated(
        meta=types_pb2.EventMeta(event_id=str(uuid.uuid4()), org_id=str(uuid.uuid4()), revision=1)
    )
    async with (
        Connection(fresh_nats.url_for("identity"), "identity") as identity,
        Connection(fresh_nats.url_for("authz"), "authz") as authz,
    ):
        await ensure_stream(identity.jetstream(), IDENTITY)
        ack = await identity.jetstream().publish(
            subject_of(event), event.SerializeToString(), headers={"Nats-Msg-Id": event.meta.event_id}
        )
        assert ack.stream == IDENTITY.name

        subscription = await authz.jetstream().pull_subscribe(
            IDENTITY.subjects[0], durable="authz", stream=IDENTITY.name
        )
        [message] = await subscription.fetch(1, timeout=5)
        await message.ack_sync()
        assert identity_events.UserRoleCreated.FromString(message.data) == event
    assert identity.errors == [] and authz.errors == []


async def test_a_consumer_started_before_the_publisher_waits_for_its_stream(fresh_nats, monkeypatch):
    monkeypatch.setattr(events, "STREAM_WAIT_SECONDS", 0.5)
    async with (
        Connection(fresh_nats.url_for("identity"), "identity") as identity,
        Connection(fresh_nats.url_for("authz"), "authz") as authz,
    ):
        with pytest.raises(events.StreamNotYetCreated, match="identity creates it"):
            await ensure_stream(authz.jetstream(), IDENTITY)
        assert not await events.stream_exists(identity.jetstream(), IDENTITY)

        monkeypatch.setattr(events, "STREAM_WAIT_SECONDS", 10.0)
        waiting = asyncio.create_task(ensure_stream(authz.jetstream(), IDENTITY))
        await ensure_stream(identity.jetstream(), IDENTITY)
        await asyncio.wait_for(waiting, 5)
    assert authz.errors == []
