"""The one mapping between domain errors and gRPC status codes, both ways, with the field a problem is about."""

import grpc

from services.common.errors import (
    AlreadyExists,
    Conflict,
    DomainError,
    Internal,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    TooLarge,
    Unauthenticated,
    Unavailable,
)

# gRPC trailing-metadata key that names the request field a problem is about.
FIELD_METADATA_KEY = "x-error-field"

CODE_BY_ERROR: dict[type[DomainError], grpc.StatusCode] = {
    InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    NotFound: grpc.StatusCode.NOT_FOUND,
    AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    Conflict: grpc.StatusCode.FAILED_PRECONDITION,
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
    trailers = ((FIELD_METADATA_KEY, error.field),) if error.field else ()
    return status_code(error), error.message, trailers


def error_field(error: grpc.aio.AioRpcError) -> str | None:
    """The request field a downstream error names, if any."""
    for key, value in error.trailing_metadata() or ():
        if key == FIELD_METADATA_KEY:
            return value
    return None


def from_grpc_error(error: grpc.aio.AioRpcError) -> DomainError:
    """The domain error a downstream call's status stands for."""
    code = error.code()
    if code in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN):
        return Internal("internal error in a service this request depends on")
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return Unavailable("a service this request depends on did not answer in time")
    cls = _ERROR_BY_CODE.get(code)
    if cls is None or (cls is Unavailable and not error.details()):
        return Unavailable("a service this request depends on is unavailable")
    return cls(error.details() or "", field=error_field(error))
