"""The one mapping from failures to HTTP: domain errors (from gRPC statuses) and bad requests become
application/problem+json with the status, what went wrong, the field it concerns and the trace id."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from gateway.middleware import BodyTooLarge
from gateway.problems import problem
from services.common.enums import UnknownEnumValue
from services.common.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    Internal,
    InvalidArgument,
    InvalidFields,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    TooLarge,
    Unauthenticated,
    Unavailable,
)

log = logging.getLogger(__name__)
METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")

HTTP_STATUS = {
    InvalidArgument: 400,
    Unauthenticated: 401,
    PermissionDenied: 403,
    NotFound: 404,
    AlreadyExists: 409,
    Conflict: 409,
    PreconditionFailed: 412,
    InvalidFields: 422,
    TooLarge: 413,
    Internal: 500,
    Unavailable: 503,
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError):
        status = HTTP_STATUS.get(type(error), 409)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if status == 500:
            return problem(500, "internal error; quote the trace id when reporting it")
        errors = [
            {"field": p.field, "message": p.message, "type": p.rule} for p in getattr(error, "problems", ())
        ]
        return problem(status, error.message, field=error.field, errors=errors, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError):
        errors = [validation_error(e) for e in error.errors()]
        if any(e["type"] == "json_invalid" for e in errors):
            return problem(400, "the request body is not valid JSON")
        first = errors[0]
        return problem(422, f"{first['field']}: {first['message']}", field=first["field"], errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        headers = error.headers
        if error.status_code == 405:
            # Starlette names only the methods of the first route that matched the path.
            headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
        return problem(error.status_code, str(error.detail), headers=headers)

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(request: Request, error: BodyTooLarge):
        return problem(413, "the request body is too large")

    @app.exception_handler(UnknownEnumValue)
    async def unknown_enum_value(request: Request, error: UnknownEnumValue):
        # A service answered with a value this gateway has no name for: it is older than the service.
        log.error("a service answered with a value the gateway does not know: %s", error)
        return problem(500, "internal error; quote the trace id when reporting it")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception):
        log.exception("unexpected error", exc_info=error)
        return problem(500, "internal error; quote the trace id when reporting it")


def validation_error(error: dict) -> dict:
    """One pydantic error as {field, message, type}; the field path leaves out where it was (body, query)."""
    location = [str(part) for part in error.get("loc", ())]
    if location and location[0] in ("body", "query", "path", "header"):
        location = location[1:]
    return {
        "field": ".".join(location) or "body",
        "message": error.get("msg", "invalid"),
        "type": error.get("type"),
    }


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the request's path answers (asked of the routes, included routers too)."""
    routes = request.app.router.routes
    return [
        method
        for method in METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    ]
