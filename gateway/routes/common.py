"""Shared bits of the route modules."""

from typing import Annotated

from fastapi import Depends, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from gateway.auth import authenticated, consistency_token
from gateway.clients import Backends, backends
from services.common.auth import Caller

CallerDep = Annotated[Caller, Depends(authenticated)]
BackendsDep = Annotated[Backends, Depends(backends)]
ConsistencyDep = Annotated[str, Depends(consistency_token)]
# Names and ids: trimmed, 1-200 characters, no control characters (a NUL cannot even be stored).
Name = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
    ),
]
CONSISTENCY_HEADER = "Consistency-Token"


class Strict(BaseModel):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class Written(BaseModel):
    consistency_token: str = Field(
        "", description="Pass as the Consistency-Token header so later reads reflect this change."
    )


def key_of(mapping: dict, value) -> str:
    """The API name of a protobuf enum value, from a name → value mapping."""
    return next(key for key, proto in mapping.items() if proto == value)


def with_token(response: Response, token: str) -> str:
    """Expose the consistency token as a header too; returns it for the body."""
    if token:
        response.headers[CONSISTENCY_HEADER] = token
    return token
