"""The NATS permission table: each service publishes only its own events and reads only what it consumes."""

import importlib
from pathlib import Path

import pytest

import services
from deploy.local.nats_accounts import ADMIN, CONSUMES, FOLLOWS, PUBLISHERS, authorization, permissions
from services.authz.entrypoints import app as authz_app


def matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: `*` is one token, a final `>` one or more."""
    wanted, tokens = pattern.split("."), subject.split(".")
    for index, token in enumerate(wanted):
        if token == ">":
            return len(tokens) > index
        if index >= len(tokens) or token not in ("*", tokens[index]):
            return False
    return len(wanted) == len(tokens)


def may_publish(service: str, subject: str) -> bool:
    return any(matches(pattern, subject) for pattern in permissions(service).publish)


def test_the_table_names_every_stream_authz_consumes():
    assert set(CONSUMES) == {"authz"}
    assert set(CONSUMES["authz"]) == set(authz_app.CONSUMED)


def test_every_service_publishes_its_own_events_and_no_one_elses():
    for service in PUBLISHERS:
        for other in PUBLISHERS:
            subject = f"elevhalsa.{other}.v1.AssignmentRevoked"
            assert may_publish(service, subject) == (service == other), (service, subject)


def test_a_service_creates_its_own_stream_only_and_deletes_none():
    for service in PUBLISHERS:
        for other in PUBLISHERS:
            stream = f"ELEVHALSA_{other.upper()}"
            assert may_publish(service, f"$JS.API.STREAM.CREATE.{stream}") == (service == other)
            assert not may_publish(service, f"$JS.API.STREAM.DELETE.{stream}")
            assert not may_publish(service, f"$JS.API.STREAM.PURGE.{stream}")


@pytest.mark.parametrize("source", ["identity", "records"])
def test_authz_reads_its_sources_through_its_own_durable_consumer(source):
    stream = f"ELEVHALSA_{source.upper()}"
    for api in (
        f"$JS.API.STREAM.INFO.{stream}",
        f"$JS.API.CONSUMER.INFO.{stream}.authz",
        f"$JS.API.CONSUMER.CREATE.{stream}.authz.elevhalsa.{source}.>",
        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.authz",
        f"$JS.ACK.{stream}.authz.1.2.3.4.5.6.7",
    ):
        assert may_publish("authz", api), api
    assert not may_publish("authz", f"$JS.API.CONSUMER.DELETE.{stream}.authz")
    assert not may_publish("records", f"$JS.API.CONSUMER.MSG.NEXT.{stream}.authz")


@pytest.mark.parametrize("source", ["identity", "records", "authz"])
def test_each_authz_replica_follows_the_streams_of_its_model_through_a_consumer_of_its_own(source):
    stream = f"ELEVHALSA_{source.upper()}"
    assert set(FOLLOWS["authz"]) == set(authz_app.FOLLOWED)
    assert may_publish("authz", f"$JS.API.CONSUMER.CREATE.{stream}.Zx81nB2.elevhalsa.{source}.>")
    assert may_publish("authz", f"$JS.API.CONSUMER.MSG.NEXT.{stream}.Zx81nB2")
    assert not may_publish("authz", f"$JS.API.CONSUMER.DELETE.{stream}.Zx81nB2")
    assert not may_publish("authz", f"$JS.API.STREAM.PURGE.{stream}")
    assert not may_publish("records", f"$JS.API.CONSUMER.MSG.NEXT.{stream}.Zx81nB2")


def test_services_subscribe_only_to_their_own_replies():
    for service in PUBLISHERS:
        assert permissions(service).subscribe == (f"_INBOX.{service}.>",)


def test_the_server_knows_the_administrator_and_every_service_by_its_password():
    passwords = {user: f"secret-{user}" for user in (ADMIN, *PUBLISHERS)}
    users = {user["user"]: user for user in authorization(passwords)["users"]}
    assert set(users) == set(passwords)
    assert all(users[user]["password"] == passwords[user] for user in users)
    assert "permissions" not in users[ADMIN]


def test_every_service_process_has_a_user_that_publishes_its_stream():
    # Every service opens a ServiceContext under its NAME, whose outbox relay publishes StreamSpec(NAME).
    apps = sorted(Path(services.__file__).parent.glob("*/entrypoints/app.py"))
    names = {importlib.import_module(f"services.{app.parents[1].name}.entrypoints.app").NAME for app in apps}
    assert names == set(PUBLISHERS)
