"""Waiting in background workers: for an event or a while, always ending early when the service stops."""

import asyncio


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, waking early if `stop` is set."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass


async def until_set(event: asyncio.Event | None, stop: asyncio.Event) -> bool:
    """Wait for `event` (None counts as set); False if `stop` came first."""
    if event is None or event.is_set():
        return not stop.is_set()
    waiting = asyncio.create_task(event.wait())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait([waiting, stopping], return_when=asyncio.FIRST_COMPLETED)
    waiting.cancel()
    stopping.cancel()
    return event.is_set() and not stop.is_set()
