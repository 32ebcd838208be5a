"""What every service process opens at start: database, NATS, token verification, and its outbox relay."""

from dataclasses import dataclass

from nats.aio.client import Client
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.common.auth import TokenVerifier
from services.common.db import KitTables, create_engine, session_factory
from services.common.events import StreamSpec
from services.common.grpc_server import ServiceRuntime
from services.common.messaging import close_nats, connect_nats
from services.common.outbox import OutboxRelay
from services.common.settings import BaseServiceSettings
from services.common.uow import UnitOfWork


@dataclass
class ServiceContext:
    """The open resources of one service process."""

    name: str
    settings: BaseServiceSettings
    kit: KitTables
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    nats: Client
    js: JetStreamContext
    verifier: TokenVerifier

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.kit, self.name)

    @property
    def stream(self) -> StreamSpec:
        return StreamSpec(self.name)

    def attach(self, runtime: ServiceRuntime) -> None:
        """Relay this service's outbox while the runtime runs, and close everything when it stops."""
        relay = OutboxRelay(
            engine=self.engine,
            database_url=self.settings.database_url,
            kit=self.kit,
            js=self.js,
            stream=self.stream,
        )
        runtime.add_worker(relay.run)
        runtime.add_closer(self.engine.dispose)
        runtime.add_closer(lambda: close_nats(self.nats))


async def open_service(name: str, settings: BaseServiceSettings, kit: KitTables) -> ServiceContext:
    """Connect to PostgreSQL and NATS with the process settings."""
    engine = create_engine(settings.database_url, application_name=name, pool_size=settings.db_pool_size)
    nc = await connect_nats(settings.nats_url, name=name)
    verifier = TokenVerifier(
        settings.auth_public_key, issuer=settings.auth_issuer, audience=settings.auth_audience
    )
    return ServiceContext(
        name=name,
        settings=settings,
        kit=kit,
        engine=engine,
        sessions=session_factory(engine),
        nats=nc,
        js=nc.jetstream(),
        verifier=verifier,
    )
