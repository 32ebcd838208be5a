"""Shared bits of the route modules: dependencies, request types, and the errors every route may answer."""

import uuid
from datetime import date
from http import HTTPStatus
from typing import Annotated, Literal

from fastapi import Depends, Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic import Strict as StrictType

from gateway.auth import CONSISTENCY_HEADER, authenticated, consistency_token
from gateway.clients import Backends, backends
from gateway.problems import Problem
from services.common.auth import Caller
from services.common.convert import MAX_TEXT_LENGTH
from services.common.enums import ProtoEnum

CallerDep = Annotated[Caller, Depends(authenticated)]
BackendsDep = Annotated[Backends, Depends(backends)]
ConsistencyDep = Annotated[str, Depends(consistency_token)]
# Names and ids: trimmed, 1-200 characters, no control characters (a NUL cannot even be stored).
Name = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=MAX_TEXT_LENGTH,
        pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$",
    ),
]


def json_string(value):
    """UUIDs and dates come as JSON strings; a number is none of them, whatever it could be read as."""
    if isinstance(value, int | float | bool):
        raise ValueError("should be a string")
    return value


# Strict bodies would refuse a UUID or a date written as a JSON string; these accept the string only.
Uuid = Annotated[uuid.UUID, StrictType(False), BeforeValidator(json_string)]
Day = Annotated[date, StrictType(False), BeforeValidator(json_string)]


class Strict(BaseModel):
    """Request bodies: unknown fields are an error, and no value is coerced (`0` is not `false`)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Written(BaseModel):
    consistency_token: str = Field(
        "", description="Pass as the Consistency-Token header so later reads reflect this change."
    )


def names_of(enum: ProtoEnum, *, unspecified: bool = False):
    """The Literal type of a proto enum's API names, for request and response models."""
    return Literal[enum.names(unspecified=unspecified)]


def with_token(response: Response, token: str) -> str:
    """Expose the consistency token as a header too; returns it for the body."""
    if token:
        response.headers[CONSISTENCY_HEADER] = token
    return token


def problems(*statuses: int) -> dict:
    """OpenAPI responses: a problem+json body for each status (gateway.openapi files them under that type)."""
    return {status: {"model": Problem, "description": HTTPStatus(status).phrase} for status in statuses}


# What any request may be answered with: malformed (400), too large (413, 431), not matching the schema
# (422), a bug (500), a service that is down or late (503).
REQUEST_ERRORS = problems(400, 413, 422, 431, 500, 503)
# And for a caller with a token: not authenticated, not allowed, unknown id, taken name.
CALLER_ERRORS = REQUEST_ERRORS | problems(401, 403, 404, 409)
LOGIN_ERRORS = REQUEST_ERRORS | problems(401)
