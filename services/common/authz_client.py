"""Calls to authz from the services that ask it before they answer: with authz's own short deadline, so that
an authz that cannot answer (down, frozen, behind a consistency token) turns into a quick 503, never data."""

from collections.abc import Awaitable, Callable
from typing import TypeVar

from services.common.grpc_client import call

# The service named in the 503 when authz cannot be reached in time.
AUTHZ = "authorization"

R = TypeVar("R")


async def ask_authz(
    method: Callable[..., Awaitable[R]], request, *, timeout: float, token: str | None = None
) -> R:
    """Call an authz method as the current caller (or the given token); Unavailable, saying authorization
    is unavailable, if authz does not answer within `timeout` seconds or cannot be reached."""
    return await call(method, request, timeout=timeout, token=token, service=AUTHZ)
