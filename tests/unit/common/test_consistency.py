"""Consistency tokens: opaque to clients, merged to the freshest, refused when foreign or forged."""

import base64
import json

import pytest

from services.common.consistency import ConsistencyToken, merge_tokens, required_token
from services.common.errors import InvalidArgument

ORG = "org-municipality-1"
OTHER_ORG = "org-municipality-2"


def forged(body: dict, prefix: str = "ct1.") -> str:
    """A token with a hand-written body, as a client tampering with one would send."""
    return prefix + base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


def deeply_nested(depth: int) -> str:
    """A token whose revisions are lists inside lists, as a client probing the JSON parser would send."""
    body = '{"o":"org","r":' + "[" * depth + "]" * depth + "}"
    return "ct1." + base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")


def test_a_token_survives_encoding_and_decoding():
    token = ConsistencyToken(ORG, {"identity": 41, "records": 7})
    decoded = ConsistencyToken.decode(token.encode())
    assert decoded.org_id == ORG
    assert dict(decoded.revisions) == {"identity": 41, "records": 7}


def test_an_encoded_token_is_url_safe_and_carries_the_version_prefix():
    encoded = ConsistencyToken(ORG, {"identity": 2**40}).encode()
    assert encoded.startswith("ct1.")
    assert not set(encoded) & set("+/= ")


def test_the_same_revisions_always_encode_to_the_same_token():
    first = ConsistencyToken(ORG, {"identity": 1, "records": 2}).encode()
    second = ConsistencyToken(ORG, {"records": 2, "identity": 1}).encode()
    assert first == second


def test_a_token_cannot_be_changed_after_it_was_made():
    token = ConsistencyToken(ORG, {"identity": 1})
    with pytest.raises(TypeError):
        token.revisions["identity"] = 0


def test_merging_keeps_the_highest_revision_of_each_service():
    a = ConsistencyToken(ORG, {"identity": 10, "records": 3})
    b = ConsistencyToken(ORG, {"identity": 4, "records": 9, "imports": 1})
    assert dict(a.merged(b).revisions) == {"identity": 10, "records": 9, "imports": 1}
    assert dict(b.merged(a).revisions) == {"identity": 10, "records": 9, "imports": 1}


def test_tokens_of_different_organisations_refuse_to_merge():
    with pytest.raises(InvalidArgument) as caught:
        ConsistencyToken(ORG, {"identity": 1}).merged(ConsistencyToken(OTHER_ORG, {"identity": 2}))
    assert caught.value.field == "consistency_token"


def test_merge_tokens_ignores_empty_strings_and_returns_the_freshest():
    merged = merge_tokens(
        ["", ConsistencyToken(ORG, {"identity": 5}).encode(), ConsistencyToken(ORG, {"identity": 8}).encode()]
    )
    assert dict(ConsistencyToken.decode(merged).revisions) == {"identity": 8}


def test_merging_no_tokens_gives_no_token():
    assert merge_tokens(["", ""]) == ""


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "ct1.!!!not-base64!!!",
        "ct1." + base64.urlsafe_b64encode(b"not json").decode(),
        forged({"o": ORG}),
        forged({"r": {"identity": 1}}),
        forged({"o": ORG, "r": {"identity": "many"}}),
        forged({"o": ORG, "r": ["identity", 1]}),
        forged({"o": ORG, "r": {"identity": -1}}),
        "ct1." + base64.urlsafe_b64encode(b'{"o":"org","r":{"identity":Infinity}}').decode(),
        "ct1." + base64.urlsafe_b64encode(b'{"o":"org","r":{"identity":1e400}}').decode(),
        forged({"o": ORG, "r": {"identity": 1}}, prefix=""),
        forged({"o": ORG, "r": {"identity": 1}}, prefix="ct2."),
        forged([1, 2, 3]),
        deeply_nested(100_000),
        deeply_nested(300),
        ConsistencyToken(ORG, {f"service-{n}": n for n in range(100)}).encode(),
    ],
    ids=[
        "garbage",
        "not-base64",
        "not-json",
        "no-revisions",
        "no-organisation",
        "revision-not-a-number",
        "revisions-not-a-map",
        "negative-revision",
        "infinite-revision",
        "overflowing-revision",
        "unprefixed",
        "unknown-version",
        "body-not-an-object",
        "nested-too-deep-to-parse",
        "nested-within-the-length-bound",
        "overlong",
    ],
)
def test_a_token_that_is_not_ours_is_refused_naming_the_field(token):
    with pytest.raises(InvalidArgument) as caught:
        ConsistencyToken.decode(token)
    assert caught.value.field == "consistency_token"


def test_required_token_is_none_when_the_caller_gave_none():
    assert required_token("", ORG) is None


def test_required_token_accepts_a_token_of_the_callers_organisation():
    token = ConsistencyToken(ORG, {"identity": 3})
    assert required_token(token.encode(), ORG) == token


def test_a_token_of_another_organisation_is_refused():
    with pytest.raises(InvalidArgument) as caught:
        required_token(ConsistencyToken(OTHER_ORG, {"identity": 3}).encode(), ORG)
    assert caught.value.field == "consistency_token"
    assert "another organisation" in caught.value.message
