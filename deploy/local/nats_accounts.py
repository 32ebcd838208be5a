"""Who may do what on NATS: one table of publishers and consumers, and the server's users made from it.

Run `python -m deploy.local.nats_accounts PASSWORDS.json` to print the `authorization` block for a
production nats-server from a JSON file of user → password (or bcrypt hash).
"""

import json
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

from services.common.events import StreamSpec
from services.common.messaging import inbox_prefix

ADMIN = "admin"  # every right: operators' tools and the test harness, never a service
# Every service's outbox relay publishes its own stream, ELEVHALSA_<SERVICE> on elevhalsa.<service>.>.
PUBLISHERS = ("identity", "records", "imports", "authz")
# Consumer → the services whose streams it reads, with a durable consumer named after itself.
CONSUMES = {"authz": ("identity", "records")}
# Follower → the services whose streams each of its replicas reads through a short-lived consumer of its own.
FOLLOWS = {"authz": ("identity", "records", "authz")}
SERVICES = PUBLISHERS


@dataclass(frozen=True)
class Permissions:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]


def permissions(service: str) -> Permissions:
    """What a service's user may publish and subscribe; everything else is refused."""
    publish = list(publishing(service)) if service in PUBLISHERS else []
    for source in CONSUMES.get(service, ()):
        publish += consuming(service, source)
    for source in FOLLOWS.get(service, ()):
        publish += following(source)
    return Permissions(tuple(dict.fromkeys(publish)), (f"{inbox_prefix(service)}.>",))


def publishing(service: str) -> list[str]:
    """Its events, and looking up and creating its stream (never deleting or purging it)."""
    stream = StreamSpec(service)
    return [*stream.subjects, f"$JS.API.STREAM.INFO.{stream.name}", f"$JS.API.STREAM.CREATE.{stream.name}"]


def consuming(service: str, source: str) -> list[str]:
    """Reading another service's stream through the durable consumer named after the reader."""
    stream, durable = StreamSpec(source).name, service
    return [
        f"$JS.API.STREAM.INFO.{stream}",
        f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
        f"$JS.API.CONSUMER.CREATE.{stream}.{durable}",
        # nats-py appends the filter subject: ...CREATE.<stream>.<durable>.elevhalsa.<source>.>
        f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.>",
        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
        f"$JS.ACK.{stream}.{durable}.>",
    ]


def following(source: str) -> list[str]:
    """Reading a whole stream through consumers the server names (one per replica, removed when idle).

    NATS cannot limit a generated name, so these rights cover any consumer of the stream; a follower reads
    every event of it anyway, and acks nothing."""
    stream = StreamSpec(source).name
    return [
        f"$JS.API.STREAM.INFO.{stream}",
        f"$JS.API.CONSUMER.CREATE.{stream}.*.>",
        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.*",
    ]


def new_passwords() -> dict[str, str]:
    """A random password for the administrator and for each service."""
    return {user: secrets.token_urlsafe(24) for user in (ADMIN, *SERVICES)}


def load_or_create_passwords(path: Path) -> dict[str, str]:
    """The passwords kept in `path`, with one made for any user it lacks; readable only by the owner."""
    kept = json.loads(path.read_text()) if path.exists() else {}
    passwords = new_passwords() | kept
    if passwords != kept:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(passwords, indent=2))
    return passwords


def authorization(passwords: dict[str, str]) -> dict:
    """The nats-server `authorization` block: the administrator unrestricted, each service as permitted."""
    users = [{"user": ADMIN, "password": passwords[ADMIN]}]
    for service in SERVICES:
        allowed = permissions(service)
        users.append(
            {
                "user": service,
                "password": passwords[service],
                "permissions": {
                    "publish": {"allow": list(allowed.publish)},
                    "subscribe": {"allow": list(allowed.subscribe)},
                },
            }
        )
    return {"users": users}


def server_config(*, port: int, store_dir: Path, passwords: dict[str, str]) -> str:
    """A whole nats-server configuration for one loopback server with JetStream."""
    # The configuration format reads JSON values; quoted strings keep `$JS...` from being variables.
    return "\n".join(
        [
            f"listen: {json.dumps(f'127.0.0.1:{port}')}",
            f"jetstream: {json.dumps({'store_dir': str(store_dir)})}",
            f"authorization: {json.dumps(authorization(passwords), indent=2)}",
            "",
        ]
    )


def main(args: list[str]) -> None:
    if len(args) != 1:
        sys.exit("usage: python -m deploy.local.nats_accounts PASSWORDS.json")
    passwords = json.loads(Path(args[0]).read_text())
    missing = [user for user in (ADMIN, *SERVICES) if user not in passwords]
    if missing:
        sys.exit(f"no password for: {', '.join(missing)}")
    print(f"authorization: {json.dumps(authorization(passwords), indent=2)}")


if __name__ == "__main__":
    main(sys.argv[1:])
