"""gRPC clients: traced channels, the caller's token forwarded, a deadline on every call."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

import grpc
from opentelemetry.instrumentation.grpc import aio_client_interceptors

from services.common.auth import current_caller
from services.common.grpc_errors import DEPENDENCY, from_grpc_error

DEFAULT_TIMEOUT_SECONDS = 5.0
DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
# Reads that return a whole folder (no pagination yet): up to 100 rows of 20,000 characters per note add up.
LARGE_MESSAGE_BYTES = 64 * 1024 * 1024

# gRPC's default reconnect backoff (1 s, growing by 1.6 up to 120 s) keeps answering UNAVAILABLE for seconds
# after a restarted service is back. Between services on one network, a refused connection costs nothing,
# so retry it often: first after 0.1 s, never more than 0.3 s apart. The minimum is gRPC's floor for how long
# one connection attempt may take, not a delay between attempts.
RECONNECT_OPTIONS = (
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 300),
    ("grpc.min_reconnect_backoff_ms", 1000),
)

R = TypeVar("R")


def open_channel(target: str, *, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> grpc.aio.Channel:
    """A traced insecure channel (the service mesh or network policy protects the hop) that reconnects
    quickly. Calls fail fast while the target is down (no wait_for_ready): a caller gets 503 at once,
    not after its whole deadline."""
    return grpc.aio.insecure_channel(
        target,
        interceptors=aio_client_interceptors(),
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            *RECONNECT_OPTIONS,
        ],
    )


def auth_metadata(token: str | None = None) -> tuple[tuple[str, str], ...]:
    """Metadata that carries the given token, or the current caller's."""
    return (("authorization", f"Bearer {token or current_caller().token}"),)


async def call(
    method: Callable[..., Awaitable[R]],
    request,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    token: str | None = None,
    anonymous: bool = False,
    service: str = DEPENDENCY,
) -> R:
    """Call a unary method as the current caller (or the given token, or nobody, for login);
    downstream failures come back as domain errors, naming `service` if it cannot be reached in time."""
    metadata = () if anonymous else auth_metadata(token)
    try:
        return await method(request, timeout=timeout, metadata=metadata)
    except grpc.aio.AioRpcError as error:
        raise from_grpc_error(error, service) from None
