"""Signed access tokens: who is calling, and when a token must be refused."""

import json
import time

import jwt
import pytest

from services.common.auth import (
    Caller,
    PermissionLevel,
    TokenSigner,
    TokenVerifier,
    bearer_token,
    bind_caller,
    current_caller,
    generate_key_pair,
    unbind_caller,
)
from services.common.errors import PermissionDenied, Unauthenticated

ISSUER = "elevhalsa-identity"
AUDIENCE = "elevhalsa"
USER = "user-nurse-1"
ORG = "org-municipality-1"


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return generate_key_pair()


def signer(private_pem: str, *, issuer=ISSUER, audience=AUDIENCE, ttl=300) -> TokenSigner:
    return TokenSigner(private_pem, issuer=issuer, audience=audience, ttl_seconds=ttl)


def verifier(public_pem: str) -> TokenVerifier:
    return TokenVerifier(public_pem, issuer=ISSUER, audience=AUDIENCE)


def issue(private_pem: str, level=PermissionLevel.MEMBER, **signer_options) -> str:
    return signer(private_pem, **signer_options).issue(user_id=USER, org_id=ORG, level=level)


def refusal(public_pem: str, token: str) -> Unauthenticated:
    with pytest.raises(Unauthenticated) as caught:
        verifier(public_pem).verify(token)
    return caught.value


def test_a_valid_token_names_the_user_the_organisation_and_the_level(keys):
    private, public = keys
    token = issue(private, level=PermissionLevel.SUBADMIN)
    assert verifier(public).verify(token) == Caller(USER, ORG, PermissionLevel.SUBADMIN, token)


def test_each_issued_token_is_unique(keys):
    private, _ = keys
    assert issue(private) != issue(private)


def test_an_expired_token_is_refused_as_expired(keys):
    private, public = keys
    token = signer(private).issue(user_id=USER, org_id=ORG, level=PermissionLevel.ADMIN, ttl_seconds=-5)
    assert "expired" in refusal(public, token).message


def test_a_token_signed_with_another_key_is_refused(keys):
    _, public = keys
    stranger_private, _ = generate_key_pair()
    assert "not valid" in refusal(public, issue(stranger_private)).message


def test_a_token_for_another_audience_is_refused(keys):
    private, public = keys
    refusal(public, issue(private, audience="some-other-system"))


def test_a_token_from_another_issuer_is_refused(keys):
    private, public = keys
    refusal(public, issue(private, issuer="someone-else"))


def test_a_token_with_a_tampered_payload_is_refused(keys):
    private, public = keys
    header, payload, signature = issue(private).split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload)) | {"lvl": "admin"}
    promoted = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    refusal(public, f"{header}.{promoted}.{signature}")


def test_an_unsigned_token_is_refused(keys):
    _, public = keys
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": USER, "org": ORG, "lvl": "admin", "iat": now}
    unsigned = jwt.encode(claims | {"exp": now + 60}, key=None, algorithm="none")
    refusal(public, unsigned)


def test_a_token_claiming_an_unknown_permission_level_is_refused(keys):
    private, public = keys
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": USER, "org": ORG, "lvl": "superuser", "iat": now}
    token = jwt.encode(claims | {"exp": now + 60}, private, algorithm="EdDSA")
    refusal(public, token)


def test_a_token_without_an_organisation_is_refused(keys):
    private, public = keys
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": USER, "lvl": "member", "iat": now, "exp": now + 60}
    refusal(public, jwt.encode(claims, private, algorithm="EdDSA"))


def test_a_string_that_is_not_a_token_is_refused(keys):
    _, public = keys
    refusal(public, "not-a-jwt")


@pytest.mark.parametrize(
    "header, token",
    [("Bearer abc.def.ghi", "abc.def.ghi"), ("bearer abc.def.ghi", "abc.def.ghi"), ("Bearer  abc ", "abc")],
)
def test_the_token_is_taken_from_a_bearer_authorization_header(header, token):
    assert bearer_token(header) == token


@pytest.mark.parametrize("header", [None, "", "Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "abc.def.ghi"])
def test_a_missing_or_non_bearer_authorization_header_is_refused(header):
    with pytest.raises(Unauthenticated):
        bearer_token(header)


def test_a_member_may_not_do_what_only_admins_may():
    member = Caller(USER, ORG, PermissionLevel.MEMBER, "token")
    with pytest.raises(PermissionDenied):
        member.require_level(PermissionLevel.ADMIN, PermissionLevel.SUBADMIN)


def test_a_subadmin_may_do_what_admins_and_subadmins_may():
    subadmin = Caller(USER, ORG, PermissionLevel.SUBADMIN, "token")
    subadmin.require_level(PermissionLevel.ADMIN, PermissionLevel.SUBADMIN)


def test_without_a_bound_caller_the_request_is_unauthenticated():
    with pytest.raises(Unauthenticated):
        current_caller()


def test_the_bound_caller_is_the_current_caller_until_unbound():
    caller = Caller(USER, ORG, PermissionLevel.ADMIN, "token")
    reset = bind_caller(caller)
    try:
        assert current_caller() is caller
    finally:
        unbind_caller(reset)
    with pytest.raises(Unauthenticated):
        current_caller()


def test_a_remembered_token_is_refused_once_it_has_expired():
    private, public = generate_key_pair()
    now = [time.time()]
    signer = TokenSigner(private, issuer="elevhalsa-identity", audience="elevhalsa", ttl_seconds=60)
    verifier = TokenVerifier(public, issuer="elevhalsa-identity", audience="elevhalsa", clock=lambda: now[0])
    token = signer.issue(user_id="u", org_id="o", level=PermissionLevel.MEMBER)
    assert verifier.verify(token).user_id == "u"
    now[0] += 120
    with pytest.raises(Unauthenticated, match="expired"):
        verifier.verify(token)


def test_the_cache_of_verified_tokens_is_bounded():
    private, public = generate_key_pair()
    signer = TokenSigner(private, issuer="elevhalsa-identity", audience="elevhalsa", ttl_seconds=60)
    verifier = TokenVerifier(public, issuer="elevhalsa-identity", audience="elevhalsa", cache_size=3)
    tokens = [signer.issue(user_id=f"u{i}", org_id="o", level=PermissionLevel.MEMBER) for i in range(5)]
    assert [verifier.verify(t).user_id for t in tokens] == [f"u{i}" for i in range(5)]
    assert len(verifier._verified) == 3
