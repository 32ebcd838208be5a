"""The four services in-process on port 0, against the test database and NATS."""

from dataclasses import dataclass, field
from typing import Protocol

from services.authz.entrypoints.app import build_runtime as build_authz
from services.authz.settings import AuthzSettings
from services.common.grpc_client import open_channel
from services.common.grpc_server import ServiceRuntime
from services.identity.entrypoints.app import build_runtime as build_identity
from services.identity.settings import IdentitySettings
from services.imports.entrypoints.app import build_runtime as build_imports
from services.imports.settings import ImportsSettings
from services.records.entrypoints.app import build_runtime as build_records
from services.records.settings import RecordsSettings

LOOPBACK_ANY_PORT = "127.0.0.1:0"


class NatsUsers(Protocol):
    def url_for(self, service: str) -> str: ...


@dataclass
class InProcessServices:
    database_url: str
    nats: NatsUsers  # each service connects as its own user
    private_key: str
    public_key: str
    runtimes: dict[str, ServiceRuntime] = field(default_factory=dict)
    channels: dict = field(default_factory=dict)

    def common(self, service: str) -> dict:
        return {
            "database_url": self.database_url,
            "nats_url": self.nats.url_for(service),
            "grpc_listen": LOOPBACK_ANY_PORT,
            "auth_public_key": self.public_key,
            "db_pool_size": 5,
        }

    def address(self, name: str) -> str:
        return f"127.0.0.1:{self.runtimes[name].port}"

    async def start(self) -> None:
        self.runtimes["authz"] = await build_authz(
            AuthzSettings(**self.common("authz"), freshness_timeout_seconds=1.0)
        )
        self.runtimes["identity"] = await build_identity(self.identity_settings())
        self.runtimes["records"] = await self.records_with(self.address("authz"))
        self.runtimes["imports"] = await build_imports(
            ImportsSettings(
                **self.common("imports"),
                identity_addr=self.address("identity"),
                authz_addr=self.address("authz"),
                max_import_file_bytes=1024 * 1024,
            )
        )
        for runtime in self.runtimes.values():
            await runtime.start()
        self.channels = {
            name: open_channel(self.address(name), max_message_bytes=8 * 1024 * 1024)
            for name in self.runtimes
        }

    def identity_settings(self, **overrides) -> IdentitySettings:
        fields = self.common("identity") | {"authz_addr": self.address("authz")} | overrides
        return IdentitySettings(**fields, auth_signing_key=self.private_key)

    async def records_with(self, authz_addr: str) -> ServiceRuntime:
        """A records runtime that asks the given authz address (e.g. one where nothing listens)."""
        settings = RecordsSettings(
            **self.common("records"),
            identity_addr=self.address("identity"),
            authz_addr=authz_addr,
            grpc_call_timeout_seconds=2,
        )
        return await build_records(settings)

    async def stop(self) -> None:
        for channel in self.channels.values():
            await channel.close()
        for runtime in reversed(list(self.runtimes.values())):
            await runtime.stop()
