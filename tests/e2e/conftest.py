"""End-to-end: the whole system as separate processes, driven through the gateway over HTTP."""

import pytest

from deploy.local.stack import LocalStack, StackConfig
from tests.support.api import Api, Tenant
from tests.support.otlp import SpanCollector


@pytest.fixture(scope="session")
def collector():
    collector = SpanCollector()
    collector.start()
    yield collector
    collector.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, postgres, nats_server, collector):
    """Its own database on the test PostgreSQL server and its own embedded NATS, traces sent to the collector."""
    config = StackConfig(
        var_dir=tmp_path_factory.mktemp("stack"),
        database_url=postgres.new_database("e2e"),
        gateway_port=None,
        extra_env={
            "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_BSP_SCHEDULE_DELAY": "100",
            "LOG_LEVEL": "INFO",
        },
    )
    running = LocalStack(config)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def api(stack):
    client = Api(stack.gateway_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def tenant(api, stack) -> Tenant:
    return Tenant(api, stack)


@pytest.fixture(scope="session")
def other_tenant(api, stack) -> Tenant:
    return Tenant(api, stack)
