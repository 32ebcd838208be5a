"""gRPC aio servers: `create_server()` builds one, `ServiceRuntime` runs it with its background workers."""

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import grpc
from google.protobuf.message import Message
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from opentelemetry.instrumentation.grpc import aio_server_interceptor
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError

from services.common.auth import TokenVerifier, bearer_token, bind_caller, unbind_caller
from services.common.callers import LiveCallers
from services.common.errors import DomainError, Internal
from services.common.grpc_errors import ANSWERED, from_integrity_error, to_grpc_status
from services.common.waiting import until_set

log = logging.getLogger(__name__)

DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
GRACE_SECONDS = 5.0

Worker = Callable[[asyncio.Event], Awaitable[None]]
Closer = Callable[[], Awaitable[None]]


class CallContextInterceptor(grpc.aio.ServerInterceptor):
    """Around every RPC: verify the caller's token, look up their live state, bind the caller, and map
    domain errors to status codes. Kinds of call it cannot guard this way are refused, never served bare."""

    def __init__(
        self,
        verifier: TokenVerifier,
        live_callers: LiveCallers,
        public_methods: Iterable[str] = (),
        self_resolving_methods: Iterable[str] = (),
    ):
        self._verifier = verifier
        self._live_callers = live_callers
        self._public = set(public_methods)
        self._self_resolving = set(self_resolving_methods)

    async def intercept_service(self, continuation, details):
        handler = await continuation(details)
        if handler is None:
            return None
        public = details.method in self._public or details.method.startswith("/grpc.health.")
        guard = Guard(
            metadata={key: value for key, value in (details.invocation_metadata or ())},
            public=public,
            live=not public and details.method not in self._self_resolving,
        )
        serializers = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(self._unary(handler.unary_unary, guard), **serializers)
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._streaming(handler.unary_stream, guard), **serializers
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._unary(handler.stream_unary, guard), **serializers
            )
        log.error("refusing %s: bidirectional streaming is not guarded", details.method)
        return grpc.stream_stream_rpc_method_handler(refuse_unguarded, **serializers)

    async def _bind(self, guard: "Guard", request):
        header = guard.metadata.get("authorization")
        if guard.public and not header:
            return bind_caller(None)
        caller = self._verifier.verify(bearer_token(header))
        if guard.live:
            caller = await self._live_callers.live(caller, consistency_token_of(request))
        return bind_caller(caller)

    def _unary(self, behavior, guard: "Guard"):
        """Unary and client-streaming calls: one response, after the caller is bound."""

        async def call(request_or_iterator, context):
            reset = None
            try:
                reset = await self._bind(guard, request_or_iterator)
                return await behavior(request_or_iterator, context)
            except Exception as error:  # noqa: BLE001 - every failure gets a status, never a traceback
                await abort_with(context, error)
            finally:
                if reset is not None:
                    unbind_caller(reset)

        return call

    def _streaming(self, behavior, guard: "Guard"):
        async def call(request, context):
            reset = None
            try:
                reset = await self._bind(guard, request)
                async for response in behavior(request, context):
                    yield response
            except Exception as error:  # noqa: BLE001
                await abort_with(context, error)
            finally:
                if reset is not None:
                    unbind_caller(reset)

        return call


@dataclass(frozen=True)
class Guard:
    """What one call needs checked: its metadata, whether it may come without a token, and whether the
    caller's live state must be looked up (not for public methods, nor for those that look it up themselves)."""

    metadata: dict
    public: bool
    live: bool


def consistency_token_of(request) -> str:
    """The request's consistency token, so live state is looked up at least that fresh ("" if none)."""
    if isinstance(request, Message):
        return getattr(request, "consistency_token", "") or ""
    return ""


async def refuse_unguarded(request_iterator, context: grpc.aio.ServicerContext):
    """A kind of call the interceptor does not guard is refused before its behaviour runs."""
    await context.abort(grpc.StatusCode.UNIMPLEMENTED, "this kind of call is not served")
    yield  # never reached; a generator, as the tracing interceptor expects of a streaming behaviour


async def abort_with(context: grpc.aio.ServicerContext, error: Exception) -> None:
    """End the call with the status that `error` maps to (INTERNAL, without detail, for the unexpected)."""
    if isinstance(error, grpc.aio.AbortError | asyncio.CancelledError):
        raise error
    if isinstance(error, IntegrityError):
        integrity = from_integrity_error(error)
        if isinstance(integrity, Internal):
            log.error("unexpected integrity error (SQLSTATE %s)", getattr(error.orig, "sqlstate", None))
        error = integrity
    if isinstance(error, DomainError):
        code, message, trailers = to_grpc_status(error)
        if trailers:
            context.set_trailing_metadata(trailers)
        await context.abort(code, message)
    if isinstance(error, OperationalError | InterfaceError | ConnectionError):
        log.warning("database unavailable: %s", type(error).__name__)
        context.set_trailing_metadata(ANSWERED)
        await context.abort(grpc.StatusCode.UNAVAILABLE, "the database is unavailable; retry")
    if isinstance(error, DataError):
        await context.abort(
            grpc.StatusCode.INVALID_ARGUMENT, "a value cannot be stored (e.g. it contains a NUL byte)"
        )
    log.exception("unexpected error in %s", type(error).__name__, exc_info=error)
    await context.abort(grpc.StatusCode.INTERNAL, "internal error")


def create_server(
    *,
    verifier: TokenVerifier,
    live_callers: LiveCallers,
    register: Iterable[Callable[[grpc.aio.Server], None]],
    public_methods: Iterable[str] = (),
    self_resolving_methods: Iterable[str] = (),
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
) -> tuple[grpc.aio.Server, health.aio.HealthServicer]:
    """A server with tracing, authentication (the token, then the caller's live state), error mapping and
    the reference health service. `self_resolving_methods` decide from the caller's live state themselves."""
    guard = CallContextInterceptor(verifier, live_callers, public_methods, self_resolving_methods)
    server = grpc.aio.server(
        interceptors=[aio_server_interceptor(), guard],
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
        ],
    )
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for add in register:
        add(server)
    return server, health_servicer


class ServiceRuntime:
    """A started server plus its background workers (outbox relay, consumers), stopped in order."""

    def __init__(self, server: grpc.aio.Server, health_servicer, listen: str):
        self.server = server
        self._health = health_servicer
        self.port = server.add_insecure_port(listen)
        self._workers: list[Worker] = []
        self._closers: list[Closer] = []
        self._tasks: list[asyncio.Task] = []
        self._stop = asyncio.Event()
        self._ready: list[asyncio.Event] = []
        self.failed = asyncio.Event()

    def add_worker(self, worker: Worker) -> None:
        self._workers.append(worker)

    def serve_once(self, ready: asyncio.Event) -> None:
        """Report SERVING only once `ready` is set (e.g. a model loaded), so no traffic arrives before."""
        self._ready.append(ready)

    def add_closer(self, closer: Closer) -> None:
        """Run at stop, after the server and workers, in reverse order of adding."""
        self._closers.append(closer)

    async def start(self) -> None:
        await self.server.start()
        self._tasks = [asyncio.create_task(self._supervised(worker)) for worker in self._workers]
        if self._ready:
            await self._health.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
            self._tasks.append(asyncio.create_task(self._serve_when_ready()))
        else:
            await self._health.set("", health_pb2.HealthCheckResponse.SERVING)

    async def _serve_when_ready(self) -> None:
        for ready in self._ready:
            if not await until_set(ready, self._stop):
                return
        if not self.failed.is_set():
            await self._health.set("", health_pb2.HealthCheckResponse.SERVING)

    async def _supervised(self, worker: Worker) -> None:
        """A worker that fails (a bug: workers retry what can be retried) takes the process down, rather
        than leaving it serving without its relay or consumer; the platform restarts it."""
        try:
            await worker(self._stop)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.critical("background worker %s failed; stopping the process", worker, exc_info=True)
            await self._health.set("", health_pb2.HealthCheckResponse.NOT_SERVING)
            self.failed.set()

    async def stop(self) -> None:
        """Refuse new calls, finish running ones, stop the workers, then close resources."""
        await self._health.enter_graceful_shutdown()
        self._stop.set()
        await self.server.stop(GRACE_SECONDS)
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=GRACE_SECONDS)
            for task in pending:
                task.cancel()
        for closer in reversed(self._closers):
            await closer()

    async def run_until_signalled(self) -> None:
        """Serve until SIGTERM or SIGINT, then stop gracefully."""
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        await self.start()
        log.info("serving on port %d", self.port)
        signalled = asyncio.create_task(stopping.wait())
        failed = asyncio.create_task(self.failed.wait())
        await asyncio.wait([signalled, failed], return_when=asyncio.FIRST_COMPLETED)
        signalled.cancel()
        failed.cancel()
        log.info("stopping")
        await self.stop()
        if self.failed.is_set():
            raise SystemExit(1)
