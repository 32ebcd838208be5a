"""The NATS connection of a service, made in the background so the service serves while NATS is away.

Events leave through the outbox in PostgreSQL, so nothing waits for NATS: the relay and the consumers
start once the connection is up, and reconnects after that are unlimited.
"""

import asyncio
import logging
from urllib.parse import urlsplit

from nats.aio.client import Client
from nats.js import JetStreamContext

log = logging.getLogger(__name__)

DRAIN_TIMEOUT_SECONDS = 5.0
WARN_EVERY_N_FAILURES = 20


class ServiceJetStream(JetStreamContext):
    """A service's JetStream context: it knows the service, which may create only its own stream."""

    def __init__(self, client: Client, service: str):
        super().__init__(client)
        self.service = service


def inbox_prefix(service: str) -> str:
    """Replies to a service come under its own prefix, so NATS can keep other services from reading them."""
    return f"_INBOX.{service}"


def without_password(url: str) -> str:
    """The URL as it may appear in a log line."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()


class Messaging:
    def __init__(self, url: str, name: str):
        self.url = url
        self.name = name
        self.client = Client()
        self.js = ServiceJetStream(self.client, name)
        self.connected = asyncio.Event()
        self._failures = 0

    async def connect(self, stop: asyncio.Event) -> None:
        """Worker: connect (retrying for as long as it takes) unless the service stops first."""
        connecting = asyncio.create_task(self._connect())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait([connecting, stopping], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not connecting.done():
            connecting.cancel()
            return
        connecting.result()
        self.connected.set()
        log.info("NATS: connected to %s", without_password(self.url))

    async def _connect(self) -> None:
        await self.client.connect(
            self.url,
            name=self.name,
            inbox_prefix=inbox_prefix(self.name),
            max_reconnect_attempts=-1,
            reconnect_time_wait=0.5,
            connect_timeout=2,
            error_cb=self._on_error,
            disconnected_cb=self._on_disconnected,
            reconnected_cb=self._on_reconnected,
        )

    async def _on_error(self, error: Exception) -> None:
        # While NATS is away every attempt fails; one line now and then is enough.
        if self._failures % WARN_EVERY_N_FAILURES == 0:
            log.warning("NATS at %s: %s", without_password(self.url), error or type(error).__name__)
        self._failures += 1

    async def _on_disconnected(self) -> None:
        log.warning("NATS: disconnected; reconnecting")

    async def _on_reconnected(self) -> None:
        self._failures = 0
        log.info("NATS: reconnected")

    async def close(self) -> None:
        """Drain if connected (so acks and publishes in flight finish), else just close; never hang."""
        try:
            if self.client.is_connected:
                await asyncio.wait_for(self.client.drain(), DRAIN_TIMEOUT_SECONDS)
                return
        except Exception:  # noqa: BLE001 - shutting down either way
            log.warning("NATS: drain did not finish; closing")
        await self.client.close()
