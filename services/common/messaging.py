"""NATS connections that retry at start, reconnect forever after, and log outages in one line."""

import asyncio
import logging

import nats
from nats.aio.client import Client

log = logging.getLogger(__name__)

DRAIN_TIMEOUT_SECONDS = 5.0


async def connect_nats(url: str, *, name: str, attempts: int = 30) -> Client:
    """Connect, retrying while NATS is starting; reconnects are unlimited afterwards."""

    async def on_error(error: Exception) -> None:
        log.warning("NATS: %s", error or type(error).__name__)

    async def on_disconnected() -> None:
        log.warning("NATS: disconnected; reconnecting")

    async def on_reconnected() -> None:
        log.info("NATS: reconnected")

    for attempt in range(1, attempts + 1):
        try:
            return await nats.connect(
                url,
                name=name,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                connect_timeout=2,
                error_cb=on_error,
                disconnected_cb=on_disconnected,
                reconnected_cb=on_reconnected,
            )
        except Exception:
            if attempt == attempts:
                raise
            log.warning("NATS at %s not reachable yet (attempt %d)", url, attempt)
            await asyncio.sleep(0.5)
    raise AssertionError("unreachable")


async def close_nats(nc: Client) -> None:
    """Drain if connected (so acks and publishes in flight finish), else just close; never hang."""
    try:
        if nc.is_connected:
            await asyncio.wait_for(nc.drain(), DRAIN_TIMEOUT_SECONDS)
            return
    except Exception:
        log.warning("NATS: drain did not finish; closing")
    await nc.close()
