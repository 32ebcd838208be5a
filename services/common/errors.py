"""Domain errors shared by every service: plain Python, so domain code and the gateway need no gRPC.

services/common/grpc_errors.py maps them to gRPC status codes and back; gateway/errors.py maps them to HTTP.
"""


class DomainError(Exception):
    """A failure the caller can understand and act on."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidArgument(DomainError):
    pass


class NotFound(DomainError):
    pass


class AlreadyExists(DomainError):
    pass


class Conflict(DomainError):
    pass


class PermissionDenied(DomainError):
    pass


class Unauthenticated(DomainError):
    pass


class Unavailable(DomainError):
    pass


class TooLarge(DomainError):
    pass


class Internal(DomainError):
    """A failure behind the API that the caller cannot fix (a bug); reported with the trace id, no detail."""
