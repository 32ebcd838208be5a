"""python -m bench.echo: a bare gRPC echo built like authz, the baseline `Check` is measured against.

It is made with the same kit as authz: `create_server` with the OpenTelemetry server interceptor and the
CallContextInterceptor, a TokenVerifier on the stack's public key, issuer and audience (read from the same
environment as authz), and tracing set up as every service sets it up. Its one method, which is not part of
the product, takes authz's CheckRequest and answers CheckResponse(allowed=True) without any I/O. Like authz's
`Check` it is self-resolving, so the interceptor verifies the token (a cache hit after the first call) and
binds the caller but looks up no live state: authz's `Check` reads the caller's state with its decision, so
the difference between the two is the decision."""

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import grpc
from elevhalsa.authz.v1 import authz_pb2

from deploy.local.infra import free_port
from deploy.local.stack import REPO, LocalStack, stop_processes, wait_until_serving
from services.common.auth import Caller, TokenVerifier, current_caller
from services.common.grpc_server import ServiceRuntime, create_server
from services.common.settings import BaseServiceSettings, load_settings
from services.common.telemetry import setup_telemetry

NAME = "echo"
SERVICE = "elevhalsa.bench.Echo"
METHOD = f"/{SERVICE}/Check"
ALLOWED = authz_pb2.CheckResponse(allowed=True)


class NoLiveLookup:
    """The echo's LiveCallers: never asked, because its method resolves the caller itself (as `Check` does)."""

    async def live(self, caller: Caller, consistency_token: str = "") -> Caller:
        raise RuntimeError("the echo looks up no live callers: its method is self-resolving")


async def echo(request: authz_pb2.CheckRequest, context: grpc.aio.ServicerContext) -> authz_pb2.CheckResponse:
    """Allowed, for the caller the interceptor bound."""
    current_caller()
    return ALLOWED


def register(server: grpc.aio.Server) -> None:
    """The echo method on CheckRequest/CheckResponse through a generic handler (no service in protos/),
    registered as grpc's generated code registers authz's methods."""
    handlers = {
        "Check": grpc.unary_unary_rpc_method_handler(
            echo,
            request_deserializer=authz_pb2.CheckRequest.FromString,
            response_serializer=authz_pb2.CheckResponse.SerializeToString,
        )
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, handlers),))
    server.add_registered_method_handlers(SERVICE, handlers)


def build_runtime(settings: BaseServiceSettings) -> ServiceRuntime:
    """The echo server with authz's interceptors and token settings."""
    verifier = TokenVerifier(
        settings.auth_public_key, issuer=settings.auth_issuer, audience=settings.auth_audience
    )
    server, health = create_server(
        verifier=verifier,
        live_callers=NoLiveLookup(),
        register=[register],
        self_resolving_methods=[METHOD],
    )
    return ServiceRuntime(server, health, settings.grpc_listen)


async def serve() -> None:
    """Serve until signalled, set up as a service process is (settings, telemetry)."""
    settings = load_settings(BaseServiceSettings)
    provider = setup_telemetry(NAME, settings.log_level)
    await build_runtime(settings).run_until_signalled()
    provider.shutdown()


@contextmanager
def running_echo(stack: LocalStack) -> Iterator[subprocess.Popen]:
    """The echo in its own process on a free port, with authz's environment, known to the stack's ports as
    "echo" while it runs (so that bench.system.aio_channel reaches it); yields the process."""
    port = free_port()
    env = dict(stack.env("authz"), GRPC_LISTEN=f"127.0.0.1:{port}")
    with (stack.log_dir / f"{NAME}.log").open("ab") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.echo"],
            cwd=REPO,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_serving(NAME, port, process)
        stack.ports[NAME] = port
        yield process
    finally:
        stack.ports.pop(NAME, None)
        stop_processes([process])


def echo_stub(channel: grpc.aio.Channel):
    """The client side of the echo, made as authz's generated stub makes `Check`."""
    return channel.unary_unary(
        METHOD,
        request_serializer=authz_pb2.CheckRequest.SerializeToString,
        response_deserializer=authz_pb2.CheckResponse.FromString,
        _registered_method=True,
    )


if __name__ == "__main__":
    asyncio.run(serve())
