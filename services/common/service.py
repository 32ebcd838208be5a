"""What every service process opens at start: database, NATS, token verification, and its outbox relay."""

from dataclasses import dataclass

from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.common.auth import TokenVerifier
from services.common.db import KitTables, create_engine, session_factory
from services.common.events import StreamSpec
from services.common.grpc_server import ServiceRuntime
from services.common.messaging import Messaging
from services.common.outbox import OutboxRelay
from services.common.repository import RepositoryFactory
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
    messaging: Messaging
    verifier: TokenVerifier
    repositories: RepositoryFactory | None = None  # the service's organisation-scoped repository

    @property
    def js(self) -> JetStreamContext:
        return self.messaging.js

    def unit_of_work(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.kit, self.name, self.repositories)

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
            connected=self.messaging.connected,
        )
        runtime.add_worker(self.messaging.connect)
        runtime.add_worker(relay.run)
        runtime.add_closer(self.engine.dispose)
        runtime.add_closer(self.messaging.close)


async def open_service(
    name: str, settings: BaseServiceSettings, kit: KitTables, repositories: RepositoryFactory | None = None
) -> ServiceContext:
    """Open the database pool and prepare the NATS connection (made by a worker once the runtime starts)."""
    engine = create_engine(settings.database_url, application_name=name, pool_size=settings.db_pool_size)
    verifier = TokenVerifier(
        settings.auth_public_key, issuer=settings.auth_issuer, audience=settings.auth_audience
    )
    return ServiceContext(
        name=name,
        settings=settings,
        kit=kit,
        engine=engine,
        sessions=session_factory(engine),
        messaging=Messaging(settings.nats_url, name),
        verifier=verifier,
        repositories=repositories,
    )
