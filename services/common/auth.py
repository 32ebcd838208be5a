"""Who is calling: signed JWTs (Ed25519), their verification, and the caller bound to the current request."""

import time
import uuid
from collections import OrderedDict
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.common.errors import PermissionDenied, Unauthenticated

ALGORITHM = "EdDSA"


class PermissionLevel(StrEnum):
    ADMIN = "admin"
    SUBADMIN = "subadmin"
    MEMBER = "member"


class AdminModule(StrEnum):
    """What an administrative action belongs to; authz holds each one's minimum permission level."""

    TEMPLATES = "templates"
    TEMPLATE_MENUS = "template_menus"
    FOLDERS = "folders"
    ROLES = "roles"  # user roles and their grants (journal configuration)
    UNITS = "units"
    USERS = "users"
    ASSIGNMENTS = "assignments"
    STUDENTS = "students"  # students, school years, classes, student groups, placements
    IMPORTS = "imports"
    SETTINGS = "settings"
    ADDRESS_BOOK = "address_book"
    CONTACT_TYPES = "contact_types"
    MODULE_LEVELS = "module_levels"  # module levels and subadmin scopes


@dataclass(frozen=True)
class Caller:
    """The verified identity behind a request, and the raw token to forward downstream."""

    user_id: str
    org_id: str
    permission_level: PermissionLevel
    token: str

    def require_level(self, *allowed: PermissionLevel) -> None:
        """Raise PermissionDenied unless the caller holds one of the allowed permission levels."""
        if self.permission_level not in allowed:
            raise PermissionDenied("your permission level does not allow this action")


class TokenVerifier:
    """Verifies JWTs issued by identity. A token verified once is remembered until it expires: the same
    token arrives with every call of a session, and a signature check costs more than the call itself."""

    def __init__(
        self, public_key_pem: str, *, issuer: str, audience: str, cache_size: int = 10_000, clock=time.time
    ):
        self._key = serialization.load_pem_public_key(public_key_pem.encode())
        self._issuer = issuer
        self._audience = audience
        self._verified: OrderedDict[str, tuple[Caller, int]] = OrderedDict()
        self._cache_size = cache_size
        self._clock = clock

    def verify(self, token: str) -> Caller:
        """The caller the token names, or Unauthenticated."""
        caller, expires = self._verified.get(token) or self._verify_signature(token)
        if self._clock() >= expires:
            self._verified.pop(token, None)
            raise Unauthenticated("the access token has expired")
        self._verified[token] = (caller, expires)
        self._verified.move_to_end(token)
        if len(self._verified) > self._cache_size:
            self._verified.popitem(last=False)
        return caller

    def _verify_signature(self, token: str) -> tuple[Caller, int]:
        """Signature, issuer, audience and claims; expiry is checked by `verify` with the verifier's clock."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": ["exp", "iat", "sub", "org", "lvl"], "verify_exp": False},
            )
            level = PermissionLevel(claims["lvl"])
            expires = int(claims["exp"])
        except (jwt.InvalidTokenError, ValueError, TypeError):
            raise Unauthenticated("the access token is not valid") from None
        return Caller(
            user_id=claims["sub"], org_id=claims["org"], permission_level=level, token=token
        ), expires


class TokenSigner:
    """Issues JWTs; only identity holds the private key."""

    def __init__(self, private_key_pem: str, *, issuer: str, audience: str, ttl_seconds: int):
        self._key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        self._issuer = issuer
        self._audience = audience
        self.ttl_seconds = ttl_seconds

    def issue(
        self, *, user_id: str, org_id: str, level: PermissionLevel, ttl_seconds: int | None = None
    ) -> str:
        """A signed token for the user, valid for the configured lifetime."""
        now = int(time.time())
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": user_id,
            "org": org_id,
            "lvl": str(level),
            "iat": now,
            "exp": now + (self.ttl_seconds if ttl_seconds is None else ttl_seconds),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)


def generate_key_pair() -> tuple[str, str]:
    """A new Ed25519 key pair as (private PEM, public PEM)."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private.decode(), public.decode()


def bearer_token(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer ...` value, or Unauthenticated."""
    if not authorization:
        raise Unauthenticated("an access token is required (Authorization: Bearer <token>)")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
    return token.strip()


_current_caller: ContextVar[Caller | None] = ContextVar("current_caller", default=None)


def current_caller() -> Caller:
    """The caller of the request being served."""
    caller = _current_caller.get()
    if caller is None:
        raise Unauthenticated("an access token is required")
    return caller


def caller_or_none() -> Caller | None:
    """The caller of the request being served, if any (background work has none)."""
    return _current_caller.get()


def bind_caller(caller: Caller | None):
    """Make `caller` the current caller; returns the reset token for `unbind_caller`."""
    return _current_caller.set(caller)


def unbind_caller(reset_token) -> None:
    _current_caller.reset(reset_token)
