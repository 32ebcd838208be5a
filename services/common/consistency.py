"""Consistency tokens: "answer at least as fresh as this change" (Zanzibar's zookie), opaque to clients."""

import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from services.common.errors import InvalidArgument

PREFIX = "ct1."
FIELD = "consistency_token"
# Ours are a few hundred characters (an org id and a revision per publishing service); the bound keeps a
# forged one from costing more than that to refuse.
MAX_TOKEN_LENGTH = 1024


@dataclass(frozen=True)
class ConsistencyToken:
    """Per publishing service, the revision of an organisation's events that a reader must have seen."""

    org_id: str
    revisions: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "revisions", MappingProxyType(dict(self.revisions)))

    def encode(self) -> str:
        body = json.dumps(
            {"o": self.org_id, "r": dict(sorted(self.revisions.items()))}, separators=(",", ":")
        )
        return PREFIX + base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")

    def merged(self, other: "ConsistencyToken") -> "ConsistencyToken":
        """The token that is at least as fresh as both."""
        if other.org_id != self.org_id:
            raise InvalidArgument("consistency tokens belong to different organisations", field=FIELD)
        combined = dict(self.revisions)
        for source, revision in other.revisions.items():
            combined[source] = max(revision, combined.get(source, 0))
        return ConsistencyToken(self.org_id, combined)

    @classmethod
    def decode(cls, token: str) -> "ConsistencyToken":
        """Parse a token; InvalidArgument names the field if it is not one of ours."""
        if len(token) > MAX_TOKEN_LENGTH or not token.startswith(PREFIX):
            raise InvalidArgument("the consistency token is not valid", field=FIELD)
        try:
            raw = token[len(PREFIX) :]
            body = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            revisions = dict(body["r"].items())
            org_id = body["o"]
        except (binascii.Error, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            raise InvalidArgument("the consistency token is not valid", field=FIELD) from None
        if not isinstance(org_id, str) or not all(is_revision(r) for r in revisions.values()):
            raise InvalidArgument("the consistency token is not valid", field=FIELD)
        return cls(org_id, revisions)


def is_revision(value) -> bool:
    """A revision is a non-negative integer (JSON floats, booleans and huge numbers are not)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def merge_tokens(tokens: Iterable[str]) -> str:
    """One token at least as fresh as all given (empty strings are ignored)."""
    decoded = [ConsistencyToken.decode(t) for t in tokens if t]
    if not decoded:
        return ""
    result = decoded[0]
    for token in decoded[1:]:
        result = result.merged(token)
    return result.encode()


def required_token(token: str, org_id: str) -> ConsistencyToken | None:
    """Decode a caller-supplied token for the caller's organisation; None if none was given."""
    if not token:
        return None
    decoded = ConsistencyToken.decode(token)
    if decoded.org_id != org_id:
        raise InvalidArgument("the consistency token belongs to another organisation", field=FIELD)
    return decoded
