"""The command line every service shares: `serve` (default) and `migrate`, plus a service's own commands."""

import argparse
import asyncio
import os
from collections.abc import Awaitable, Callable

from services.common.grpc_server import ServiceRuntime
from services.common.settings import BaseServiceSettings, load_settings
from services.common.telemetry import setup_telemetry

BuildRuntime = Callable[[BaseServiceSettings], Awaitable[ServiceRuntime]]


def service_main(
    name: str,
    settings_cls: type[BaseServiceSettings],
    build_runtime: BuildRuntime,
    extra: dict[str, Callable[[argparse.ArgumentParser], Callable[[argparse.Namespace], None]]] | None = None,
) -> None:
    """Parse the command line and run it. `extra` maps a command name to a function that adds its
    arguments to a sub-parser and returns the function that runs it."""
    parser = argparse.ArgumentParser(prog=f"python -m services.{name}")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the gRPC server and background workers (default)")
    commands.add_parser("migrate", help="apply the database migrations")
    runners = {name_: add(commands.add_parser(name_)) for name_, add in (extra or {}).items()}
    args = parser.parse_args()
    if args.command == "migrate":
        from services.common.migrations import upgrade

        upgrade(name, require_env("DATABASE_URL"))
    elif args.command in runners:
        runners[args.command](args)
    else:
        asyncio.run(serve(name, settings_cls, build_runtime))


def require_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SystemExit(f"missing required environment variable(s): {name}")
    return value


async def serve(name: str, settings_cls: type[BaseServiceSettings], build_runtime: BuildRuntime) -> None:
    settings = load_settings(settings_cls)
    provider = setup_telemetry(name, settings.log_level)
    runtime = await build_runtime(settings)
    await runtime.run_until_signalled()
    provider.shutdown()
