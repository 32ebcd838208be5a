"""python -m services.identity [serve | migrate | bootstrap --org NAME --admin-email E --admin-password P |
replay-org ORG_ID]"""

import asyncio
import json
import os

from services.common.cli import require_env, service_main
from services.identity.entrypoints.app import NAME, build_runtime
from services.identity.settings import IdentitySettings


def bootstrap_command(parser):
    parser.description = "Create an organisation and its first administrator (does nothing if it exists)."
    parser.add_argument("--org", required=True)
    parser.add_argument("--admin-email", required=True)
    parser.add_argument("--admin-password", default=os.environ.get("BOOTSTRAP_ADMIN_PASSWORD"))

    def run(args):
        if not args.admin_password:
            parser.error("--admin-password or BOOTSTRAP_ADMIN_PASSWORD is required")
        print(json.dumps(asyncio.run(bootstrap(args)).__dict__))

    return run


async def bootstrap(args):
    from argon2 import PasswordHasher

    from services.common.db import create_engine, session_factory
    from services.common.uow import UnitOfWork
    from services.identity.adapters.orm import KIT
    from services.identity.adapters.repository import IdentityRepository
    from services.identity.service_layer.bootstrap import bootstrap_organisation

    engine = create_engine(require_env("DATABASE_URL"), application_name=f"{NAME}-bootstrap", pool_size=1)
    try:
        async with UnitOfWork(session_factory(engine), KIT, NAME, IdentityRepository) as uow:
            return await bootstrap_organisation(
                uow,
                PasswordHasher(),
                name=args.org,
                admin_email=args.admin_email,
                admin_password=args.admin_password,
            )
    finally:
        await engine.dispose()


def replay_org_command(parser):
    from elevhalsa.identity.v1 import events_pb2

    from services.common.replay import replay_command
    from services.identity.adapters.orm import KIT
    from services.identity.service_layer.replay import current_state

    return replay_command(NAME, KIT, events_pb2.OrganisationReplayStarted, current_state)(parser)


if __name__ == "__main__":
    service_main(
        NAME,
        IdentitySettings,
        build_runtime,
        {"bootstrap": bootstrap_command, "replay-org": replay_org_command},
    )
