"""Waiting in tests for a condition, never for a stretch of time: poll until it holds, fail at a deadline."""

import asyncio
import inspect
import time

INTERVAL_SECONDS = 0.05


async def eventually(condition, timeout: float = 15.0, interval: float = INTERVAL_SECONDS):
    """Poll `condition` (sync or async) until it returns something truthy, and return that; fail with what it
    last returned once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value or time.monotonic() > deadline:
            assert value, f"not reached within {timeout} s: {value!r}"
            return value
        await asyncio.sleep(interval)


def until(condition, timeout: float = 15.0, interval: float = INTERVAL_SECONDS):
    """`eventually` for tests that drive the system from outside the event loop (the e2e stack)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            assert value, f"not reached within {timeout} s: {value!r}"
            return value
        time.sleep(interval)
