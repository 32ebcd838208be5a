"""What a service's NATS connection writes in its log."""

from services.common.messaging import without_password


def test_the_password_in_nats_url_never_reaches_the_log():
    shown = without_password("nats://records:s3cr3t-Pa55@nats.example:4222")
    assert shown == "nats://records:***@nats.example:4222"


def test_a_url_without_credentials_is_shown_as_it_is():
    assert without_password("nats://127.0.0.1:4222") == "nats://127.0.0.1:4222"
