"""The one mapping between domain errors and gRPC status codes, both ways, with the field a problem is about."""

import json
import re

import grpc
from sqlalchemy.exc import IntegrityError

from services.common.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    FieldProblem,
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

# gRPC trailing-metadata key that names the request field a problem is about.
FIELD_METADATA_KEY = "x-error-field"
# Every problem of an InvalidFields error, as UTF-8 JSON (binary: the messages may be Swedish).
PROBLEMS_METADATA_KEY = "x-error-problems-bin"
# Set on an UNAVAILABLE a service answers itself, so that its caller can tell the service's own reason (worth
# passing on) from a failure to reach it, whose text is the transport's (addresses, sockets) and is not.
ANSWERED_METADATA_KEY = "x-error-answered"
ANSWERED = ((ANSWERED_METADATA_KEY, "1"),)
# Who failed, in a message about a downstream failure, when the caller does not name the service.
DEPENDENCY = "a service this request depends on"

CODE_BY_ERROR: dict[type[DomainError], grpc.StatusCode] = {
    InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    NotFound: grpc.StatusCode.NOT_FOUND,
    AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    Conflict: grpc.StatusCode.FAILED_PRECONDITION,
    PreconditionFailed: grpc.StatusCode.ABORTED,
    PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    Unavailable: grpc.StatusCode.UNAVAILABLE,
    TooLarge: grpc.StatusCode.RESOURCE_EXHAUSTED,
    Internal: grpc.StatusCode.INTERNAL,
    DomainError: grpc.StatusCode.FAILED_PRECONDITION,
}

_ERROR_BY_CODE = {code: cls for cls, code in CODE_BY_ERROR.items() if cls not in (DomainError, Internal)}


def status_code(error: DomainError) -> grpc.StatusCode:
    """The status of the nearest mapped class, so a service's own subclass maps like its parent."""
    for cls in type(error).__mro__:
        if cls in CODE_BY_ERROR:
            return CODE_BY_ERROR[cls]
    return grpc.StatusCode.FAILED_PRECONDITION


def to_grpc_status(error: DomainError) -> tuple[grpc.StatusCode, str, tuple[tuple[str, str], ...]]:
    """Status code, message and trailing metadata for a domain error."""
    # A text header carries only printable ASCII; a field named otherwise travels in the problems alone.
    sendable = error.field and error.field.isascii() and error.field.isprintable()
    trailers = ((FIELD_METADATA_KEY, error.field),) if sendable else ()
    if isinstance(error, InvalidFields):
        problems = [{"field": p.field, "message": p.message, "rule": p.rule} for p in error.problems]
        trailers += ((PROBLEMS_METADATA_KEY, json.dumps(problems).encode()),)
    if isinstance(error, Unavailable):
        trailers += ANSWERED
    return status_code(error), error.message, trailers


def error_problems(error: grpc.aio.AioRpcError) -> list[FieldProblem]:
    """The field problems a downstream InvalidFields error carries; none for any other error."""
    for key, value in error.trailing_metadata() or ():
        if key == PROBLEMS_METADATA_KEY:
            try:
                return [FieldProblem(p["field"], p["message"], p["rule"]) for p in json.loads(value)]
            except (ValueError, KeyError, TypeError):
                return []
    return []


def error_field(error: grpc.aio.AioRpcError) -> str | None:
    """The request field a downstream error names, if any."""
    for key, value in error.trailing_metadata() or ():
        if key == FIELD_METADATA_KEY:
            return value
    return None


def answered(error: grpc.aio.AioRpcError) -> bool:
    """Whether the downstream service itself answered this UNAVAILABLE (rather than gRPC, failing to reach it)."""
    return any(key == ANSWERED_METADATA_KEY for key, _ in error.trailing_metadata() or ())


def from_grpc_error(error: grpc.aio.AioRpcError, service: str = DEPENDENCY) -> DomainError:
    """The domain error a downstream call's status stands for; a failure to reach `service` (or an answer
    too late) says that it is unavailable, naming it."""
    code = error.code()
    if code in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN):
        return Internal(f"internal error in {DEPENDENCY}")
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return Unavailable(f"{service} is unavailable: it did not answer in time; retry")
    cls = _ERROR_BY_CODE.get(code)
    if cls is None or (cls is Unavailable and not (error.details() and answered(error))):
        return Unavailable(f"{service} is unavailable; retry")
    if cls is InvalidArgument and (problems := error_problems(error)):
        return InvalidFields(problems)
    return cls(error.details() or "", field=error_field(error))


# SQLSTATEs of integrity violations (PostgreSQL appendix A).
UNIQUE_VIOLATION = "23505"
FOREIGN_KEY_VIOLATION = "23503"
CHECK_VIOLATION = "23514"
NOT_NULL_VIOLATION = "23502"
# Columns every scoped table starts its keys with; never a field the caller chose.
SCOPE_COLUMNS = ("org_id",)
_KEY_COLUMNS = re.compile(r"^Key \(([a-z0-9_, ]+)\)=")


def from_integrity_error(error: IntegrityError) -> DomainError:
    """What a violated constraint means to the caller, by SQLSTATE; the driver's text (which quotes the
    values, personal data among them) is never passed on, only column names."""
    orig = getattr(error, "orig", None)
    diag = getattr(orig, "diag", None)
    state = getattr(orig, "sqlstate", None)
    constraint = getattr(diag, "constraint_name", None) or ""
    table = getattr(diag, "table_name", None) or ""
    if state == UNIQUE_VIOLATION:
        field = key_field(getattr(diag, "message_detail", None)) or constraint_field(constraint, "uq", table)
        what = field or "this value"
        return AlreadyExists(f"{what} is already in use", field=field)
    if state == FOREIGN_KEY_VIOLATION:
        detail = getattr(diag, "message_detail", None) or ""
        field = key_field(detail) or constraint_field(constraint, "fk", table)
        what = field or "a referenced item"
        if "still referenced" in detail:
            return InvalidArgument(f"{what} is still in use", field=field)
        return InvalidArgument(f"{what} does not name an existing item", field=field)
    if state == CHECK_VIOLATION:
        field = constraint_field(constraint, "ck", table)
        return InvalidArgument(f"{field or 'a value'} is not allowed here", field=field)
    if state == NOT_NULL_VIOLATION:
        field = getattr(diag, "column_name", None) or None
        return InvalidArgument(f"{field or 'a value'} is required", field=field)
    return Internal("a database constraint was violated")


def key_field(detail: str | None) -> str | None:
    """The caller's column in "Key (org_id, name)=(...)": the last one, the scope columns left out."""
    match = _KEY_COLUMNS.match(detail or "")
    if not match:
        return None
    columns = [c.strip() for c in match.group(1).split(",") if c.strip() not in SCOPE_COLUMNS]
    return columns[-1] if columns else None


def constraint_field(constraint: str, kind: str, table: str) -> str | None:
    """The field in a conventionally named constraint, `<kind>_<table>_<rest>`, the scope left out."""
    prefix = f"{kind}_{table}_"
    if not table or not constraint.startswith(prefix):
        return None
    rest = constraint[len(prefix) :]
    for scope in SCOPE_COLUMNS:
        rest = rest.removeprefix(f"{scope}_")
    return rest or None
