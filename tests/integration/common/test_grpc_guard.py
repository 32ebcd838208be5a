"""Every kind of call is guarded or refused: the token is verified, the caller's live state looked up and
bound, and errors mapped, for unary, server-streaming and client-streaming calls; bidirectional ones are
refused without running. Over a real gRPC server with a tiny servicer that has one method of each kind."""

import asyncio

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.common.auth import Caller, PermissionLevel, TokenSigner, TokenVerifier, current_caller
from services.common.callers import with_live_state
from services.common.errors import InvalidArgument
from services.common.grpc_server import ServiceRuntime, create_server
from tests.support.waiting import eventually

SERVICE = "test.Kinds"
ISSUER, AUDIENCE = "elevhalsa-identity", "elevhalsa"
ORG = "00000000-0000-0000-0000-00000000000a"
ADMIN = "00000000-0000-0000-0000-000000000001"


class Directory:
    """Users' live state, as a service's own data would hold it."""

    def __init__(self):
        self.users: dict[str, tuple[bool, str]] = {}
        self.lookups = 0

    async def live(self, caller: Caller, consistency_token: str = "") -> Caller:
        self.lookups += 1
        active, level = self.users.get(caller.user_id, (None, None))
        return with_live_state(caller, active, level)


def whoami() -> bytes:
    caller = current_caller()
    return f"{caller.user_id} {caller.permission_level}".encode()


class Kinds:
    """One behaviour of each kind; remembers which ran."""

    def __init__(self):
        self.ran: list[str] = []

    async def unary(self, request: bytes, context) -> bytes:
        self.ran.append("unary")
        if request == b"bad":
            raise InvalidArgument("name is required", field="name")
        return whoami()

    async def server_stream(self, request: bytes, context):
        self.ran.append("server_stream")
        for _ in range(2):
            yield whoami()

    async def upload(self, request_iterator, context) -> bytes:
        self.ran.append("upload")
        chunks = [chunk async for chunk in request_iterator]
        if b"bad" in chunks:
            raise InvalidArgument("the file is empty", field="file")
        return whoami() + b" %d" % len(chunks)

    async def bidi(self, request_iterator, context):
        self.ran.append("bidi")
        async for chunk in request_iterator:
            yield chunk

    def handler(self) -> grpc.GenericRpcHandler:
        return grpc.method_handlers_generic_handler(
            SERVICE,
            {
                "Unary": grpc.unary_unary_rpc_method_handler(self.unary),
                "Public": grpc.unary_unary_rpc_method_handler(self.unary),
                "SelfResolving": grpc.unary_unary_rpc_method_handler(self.unary),
                "ServerStream": grpc.unary_stream_rpc_method_handler(self.server_stream),
                "Upload": grpc.stream_unary_rpc_method_handler(self.upload),
                "Bidi": grpc.stream_stream_rpc_method_handler(self.bidi),
            },
        )


@pytest.fixture
async def served(key_pair):
    private, public = key_pair
    kinds, directory = Kinds(), Directory()
    directory.users[ADMIN] = (True, "admin")
    server, health = create_server(
        verifier=TokenVerifier(public, issuer=ISSUER, audience=AUDIENCE),
        live_callers=directory,
        register=[lambda s: s.add_generic_rpc_handlers((kinds.handler(),))],
        public_methods=[f"/{SERVICE}/Public"],
        self_resolving_methods=[f"/{SERVICE}/SelfResolving"],
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    await health.set("", health_pb2.HealthCheckResponse.SERVING)
    signer = TokenSigner(private, issuer=ISSUER, audience=AUDIENCE, ttl_seconds=60)
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    token = signer.issue(user_id=ADMIN, org_id=ORG, level=PermissionLevel.ADMIN)
    yield channel, kinds, directory, token
    await channel.close()
    await server.stop(None)


def auth(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


async def chunks(*items: bytes):
    for item in items:
        yield item


async def failure(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


def field_of(error: grpc.aio.AioRpcError) -> str | None:
    return dict(error.trailing_metadata() or ()).get("x-error-field")


async def test_each_guarded_kind_runs_as_the_verified_caller(served):
    channel, kinds, _, token = served
    unary = await channel.unary_unary(f"/{SERVICE}/Unary")(b"", metadata=auth(token))
    streamed = [r async for r in channel.unary_stream(f"/{SERVICE}/ServerStream")(b"", metadata=auth(token))]
    uploaded = await channel.stream_unary(f"/{SERVICE}/Upload")(chunks(b"a", b"b"), metadata=auth(token))
    assert unary == f"{ADMIN} admin".encode()
    assert streamed == [unary, unary]
    assert uploaded == unary + b" 2"
    assert kinds.ran == ["unary", "server_stream", "upload"]


async def test_an_upload_without_a_token_is_refused_before_it_runs(served):
    channel, kinds, _, _ = served
    error = await failure(channel.stream_unary(f"/{SERVICE}/Upload")(chunks(b"a")))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert kinds.ran == []


async def test_an_upload_with_a_forged_token_is_refused_before_it_runs(served, key_pair):
    channel, kinds, _, token = served
    error = await failure(
        channel.stream_unary(f"/{SERVICE}/Upload")(chunks(b"a"), metadata=auth(token + "x"))
    )
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert kinds.ran == []


async def test_an_upload_s_domain_error_comes_back_with_its_status_and_field(served):
    channel, _, _, token = served
    error = await failure(channel.stream_unary(f"/{SERVICE}/Upload")(chunks(b"bad"), metadata=auth(token)))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert error.details() == "the file is empty"
    assert field_of(error) == "file"


async def test_bidirectional_streaming_is_refused_without_running_even_with_a_valid_token(served):
    channel, kinds, _, token = served
    call = channel.stream_stream(f"/{SERVICE}/Bidi")(chunks(b"a"), metadata=auth(token))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in call:
            pass
    assert caught.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert kinds.ran == []


@pytest.mark.parametrize("kind", ["Unary", "ServerStream", "Upload"])
async def test_a_deactivated_user_s_token_stops_working_for_every_kind(served, kind):
    channel, kinds, directory, token = served
    directory.users[ADMIN] = (False, "admin")
    if kind == "Upload":
        call = channel.stream_unary(f"/{SERVICE}/Upload")(chunks(b"a"), metadata=auth(token))
    elif kind == "ServerStream":
        call = channel.unary_stream(f"/{SERVICE}/ServerStream")(b"", metadata=auth(token)).read()
    else:
        call = channel.unary_unary(f"/{SERVICE}/Unary")(b"", metadata=auth(token))
    error = await failure(call)
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert error.details() == "the user is not active"
    assert kinds.ran == []


async def test_an_unknown_user_s_token_is_refused(served):
    channel, kinds, directory, token = served
    del directory.users[ADMIN]
    error = await failure(channel.unary_unary(f"/{SERVICE}/Unary")(b"", metadata=auth(token)))
    assert error.code() is grpc.StatusCode.UNAUTHENTICATED
    assert kinds.ran == []


async def test_a_demoted_user_runs_at_their_live_level_not_the_token_s(served):
    channel, _, directory, token = served
    directory.users[ADMIN] = (True, "member")
    reply = await channel.unary_unary(f"/{SERVICE}/Unary")(b"", metadata=auth(token))
    assert reply == f"{ADMIN} member".encode()


async def test_public_methods_health_and_self_resolving_methods_skip_the_live_lookup(served):
    channel, kinds, directory, token = served
    directory.users[ADMIN] = (False, "admin")
    assert await channel.unary_unary(f"/{SERVICE}/SelfResolving")(b"", metadata=auth(token))
    assert await channel.unary_unary(f"/{SERVICE}/Public")(b"", metadata=auth(token))
    health = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest())
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    assert directory.lookups == 0
    assert kinds.ran == ["unary", "unary"]


async def test_a_unary_domain_error_keeps_its_status_and_field(served):
    channel, _, _, token = served
    error = await failure(channel.unary_unary(f"/{SERVICE}/Unary")(b"bad", metadata=auth(token)))
    assert error.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field_of(error) == "name"


async def test_a_runtime_waiting_for_its_data_reports_serving_only_once_the_data_is_ready(key_pair):
    server, health = create_server(
        verifier=TokenVerifier(key_pair[1], issuer=ISSUER, audience=AUDIENCE),
        live_callers=Directory(),
        register=[],
    )
    runtime = ServiceRuntime(server, health, "127.0.0.1:0")
    loaded = asyncio.Event()
    runtime.serve_once(loaded)
    await runtime.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{runtime.port}")
    probe = health_pb2_grpc.HealthStub(channel)

    async def status():
        return (await probe.Check(health_pb2.HealthCheckRequest())).status

    try:
        assert await status() == health_pb2.HealthCheckResponse.NOT_SERVING
        loaded.set()
        await eventually(lambda: _is(status(), health_pb2.HealthCheckResponse.SERVING))
    finally:
        await channel.close()
        await runtime.stop()


async def _is(value, expected) -> bool:
    return await value == expected
