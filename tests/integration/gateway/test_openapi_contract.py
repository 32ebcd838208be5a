"""The OpenAPI document tells the truth: schemathesis, with every check, stateful too, finds nothing.

The gateway app runs in-process (schemathesis calls it over ASGI, on an event loop of its own) against the
in-process services of the integration tests, as the administrator of an organisation of its own.
"""

import asyncio
from dataclasses import dataclass, field

import pytest
import schemathesis
from schemathesis.engine import Status, events

from gateway.app import create_app
from gateway.settings import GatewaySettings

# Bounded so that the whole run takes about a minute on a busy 2-core machine.
CONFIG = """
seed = 20261128
continue-on-failure = true

[generation]
mode = "all"
max-examples = 3

[phases.coverage]
enabled = true

[phases.stateful]
max-steps = 10

# Every check is on (the CLI's `--checks all`); one is told what the API may answer:
[checks.positive_data_acceptance]
# A request the schema allows may still hold a value the domain refuses with 400 and the field's name: a
# personnummer whose check digit is wrong, a consistency token that is not one of ours, an assignment that
# ends before it starts. A schema cannot say these; 400 is the documented answer. A body whose parts break
# rules of the service that the schema cannot say (a template row's settings for its type, a menu tree's
# depth, a name that is blank once trimmed) is answered 422 with every problem listed, as documented.
expected-statuses = ["2xx", "400", "401", "403", "404", "409", "422"]

[[operations]]
include-path = "/api/v1/imports/user-runs"
include-method = "POST"
# A multipart file part is bytes: schemathesis sends a JSON object as the file's content and calls that
# schema-violating, but no server can tell it from a file that happens to hold JSON (the service reads it
# as XML and fails the run, as for any broken file).
checks.negative_data_rejection.enabled = false
"""


@dataclass(frozen=True)
class Finding:
    check: str
    operation: str
    title: str
    message: str = field(compare=False)
    reproduce: str = field(compare=False)

    def __str__(self) -> str:
        return f"{self.operation} {self.check}: {self.title}\n  {self.message}\n  {self.reproduce}"


@pytest.fixture
def gateway_app(services, org):
    """The gateway as production builds it, its backends the in-process services."""
    settings = GatewaySettings(
        identity_addr=services.address("identity"),
        records_addr=services.address("records"),
        authz_addr=services.address("authz"),
        imports_addr=services.address("imports"),
        auth_public_key=services.public_key,
    )
    return create_app(settings)


def run_schemathesis(app, admin_token: str) -> tuple[list[Finding], int]:
    """Every phase of a schemathesis run; returns what failed (once per check, operation and kind of failure)
    and how many requests were made."""
    config = schemathesis.Config.from_str(CONFIG + f'\n[auth.openapi.bearer]\nbearer = "{admin_token}"\n')
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)
    findings, requests = set(), 0
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            requests += len(event.recorder.interactions)
            findings |= failures_of(event.recorder)
        elif isinstance(event, events.NonFatalError | events.FatalError):
            findings.add(Finding("engine", "", type(event).__name__, str(getattr(event, "value", event)), ""))
    return sorted(findings, key=str), requests


def failures_of(recorder) -> set[Finding]:
    found = set()
    for checks in recorder.checks.values():
        for check in checks:
            if check.status == Status.FAILURE and check.failure_info is not None:
                failure = check.failure_info.failure
                found.add(
                    Finding(
                        check.name,
                        failure.operation,
                        failure.title,
                        failure.message,
                        check.failure_info.code_sample,
                    )
                )
    return found


async def test_schemathesis_finds_no_response_the_document_does_not_describe(gateway_app, org):
    # In a thread, so that this event loop goes on serving the in-process services meanwhile.
    findings, requests = await asyncio.to_thread(run_schemathesis, gateway_app, org.admin)
    assert requests > 200, f"schemathesis made only {requests} requests"
    assert not findings, f"{len(findings)} distinct failures:\n" + "\n".join(map(str, findings))
