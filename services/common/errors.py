"""Domain errors shared by every service, and the one mapping from them to gRPC status codes."""

import grpc


class DomainError(Exception):
    """A failure the caller can understand and act on."""

    code = grpc.StatusCode.FAILED_PRECONDITION

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidArgument(DomainError):
    code = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(DomainError):
    code = grpc.StatusCode.NOT_FOUND


class AlreadyExists(DomainError):
    code = grpc.StatusCode.ALREADY_EXISTS


class Conflict(DomainError):
    code = grpc.StatusCode.FAILED_PRECONDITION


class PermissionDenied(DomainError):
    code = grpc.StatusCode.PERMISSION_DENIED


class Unauthenticated(DomainError):
    code = grpc.StatusCode.UNAUTHENTICATED


class Unavailable(DomainError):
    code = grpc.StatusCode.UNAVAILABLE


class TooLarge(DomainError):
    code = grpc.StatusCode.RESOURCE_EXHAUSTED


class Internal(DomainError):
    """A failure behind the API that the caller cannot fix (a bug); reported with the trace id, no detail."""

    code = grpc.StatusCode.INTERNAL


# gRPC trailing-metadata key that names the request field a problem is about.
FIELD_METADATA_KEY = "x-error-field"


def to_grpc_status(error: DomainError) -> tuple[grpc.StatusCode, str, tuple[tuple[str, str], ...]]:
    """Status code, message and trailing metadata for a domain error."""
    trailers = ((FIELD_METADATA_KEY, error.field),) if error.field else ()
    return error.code, error.message, trailers


_ERROR_BY_CODE = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.FAILED_PRECONDITION: Conflict,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.RESOURCE_EXHAUSTED: TooLarge,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
}


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
