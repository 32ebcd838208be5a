"""`make run`: start the whole system locally, create the demo organisation once, and wait for Ctrl-C."""

import logging
import os
import signal
import sys
import time
from pathlib import Path

from deploy.local import demo
from deploy.local.stack import REPO, LocalStack, StackConfig


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    config = StackConfig(
        var_dir=Path(os.environ.get("ELEVHALSA_VAR_DIR", REPO / "var")),
        database_url=os.environ.get("DATABASE_URL") or None,
        nats_url=os.environ.get("NATS_URL") or None,
        gateway_port=int(os.environ["HTTP_PORT"]) if os.environ.get("HTTP_PORT") else None,
    )
    stack = LocalStack(config)
    # Ctrl-C and SIGTERM both stop everything, even when started where SIGINT is ignored (in the background).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print("Starting Elevhälsa (PostgreSQL, NATS, identity, authz, records, imports, gateway)...", flush=True)
    try:
        stack.start()
        seeded = stack.var / "demo-seeded"
        if bootstrap(stack):
            print("Creating the demo organisation 'Demo kommun'...", flush=True)
            demo.seed_demo(stack.gateway_url)
            seeded.touch()
        elif not seeded.exists():
            print(
                f"Demo kommun exists but its demo data is incomplete; stop and delete {stack.var} to start over."
            )
        print_welcome(stack)
        while not (exited := stack.check_alive()):
            time.sleep(1)
        print(
            f"{', '.join(exited)} stopped unexpectedly; see {stack.log_dir}. Shutting down.", file=sys.stderr
        )
    except KeyboardInterrupt:
        pass
    finally:
        print("\nStopping...", flush=True)
        stack.stop()
        print("Stopped.", flush=True)


def bootstrap(stack: LocalStack) -> bool:
    """Create the demo organisation and its administrator; True if it did not exist before."""
    return stack.bootstrap(demo.ORG_NAME, demo.ADMIN_EMAIL, demo.ADMIN_PASSWORD)["created"]


def print_welcome(stack: LocalStack) -> None:
    url = stack.gateway_url
    staff = "\n".join(f"    {email:38} {role}" for email, _, _, role, _ in demo.STAFF)
    print(
        f"""
Elevhälsa is running.

  Gateway:    {url}
  API docs:   {url}/docs
  Log in as the administrator of Demo kommun:
    curl -s -X POST {url}/api/v1/auth/token -H 'Content-Type: application/json' \\
      -d '{{"email": "{demo.ADMIN_EMAIL}", "password": "{demo.ADMIN_PASSWORD}"}}'
  Staff (password {demo.STAFF_PASSWORD}):
{staff}
  Data:       {stack.var}   Logs: {stack.log_dir}

Press Ctrl-C to stop everything.""",
        flush=True,
    )


if __name__ == "__main__":
    main()
