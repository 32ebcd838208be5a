"""The one mapping from failures to HTTP: domain errors (from gRPC statuses) and bad requests become
application/problem+json with the status, what went wrong, the field it concerns and the trace id."""

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.middleware import BodyTooLarge
from services.common.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    TooLarge,
    Unauthenticated,
    Unavailable,
)
from services.common.telemetry import current_trace_id

log = logging.getLogger(__name__)

HTTP_STATUS = {
    InvalidArgument: 400,
    Unauthenticated: 401,
    PermissionDenied: 403,
    NotFound: 404,
    AlreadyExists: 409,
    Conflict: 409,
    TooLarge: 413,
    Unavailable: 503,
}


def problem(status: int, detail: str, *, field: str | None = None, errors: list | None = None, headers=None):
    """An RFC 9457 problem response."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "trace_id": current_trace_id(),
    }
    if field:
        body["field"] = field
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError):
        status = HTTP_STATUS.get(type(error), 409)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return problem(status, error.message, field=error.field, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError):
        errors = [validation_error(e) for e in error.errors()]
        if any(e["type"] == "json_invalid" for e in errors):
            return problem(400, "the request body is not valid JSON", errors=errors)
        first = errors[0]
        return problem(422, f"{first['field']}: {first['message']}", field=first["field"], errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        return problem(error.status_code, str(error.detail), headers=error.headers)

    @app.exception_handler(BodyTooLarge)
    async def body_too_large(request: Request, error: BodyTooLarge):
        return problem(413, "the request body is too large")

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
