"""Domain errors shared by every service: plain Python, so domain code and the gateway need no gRPC.

services/common/grpc_errors.py maps them to gRPC status codes and back; gateway/errors.py maps them to HTTP.
"""

from dataclasses import dataclass


class DomainError(Exception):
    """A failure the caller can understand and act on."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidArgument(DomainError):
    pass


@dataclass(frozen=True)
class FieldProblem:
    """One problem in a request: the field (`rows[3].value`), what is wrong, and the rule it breaks."""

    field: str
    message: str
    rule: str


class InvalidFields(InvalidArgument):
    """Every problem found in a request body at once, so the caller can fix them all in one go."""

    def __init__(self, problems: list[FieldProblem]):
        first = problems[0]
        detail = first.message if len(problems) == 1 else f"{first.message} (and {len(problems) - 1} more)"
        super().__init__(detail, field=first.field)
        self.problems = problems


class NotFound(DomainError):
    pass


class AlreadyExists(DomainError):
    pass


class Conflict(DomainError):
    pass


class PreconditionFailed(DomainError):
    """The caller's precondition no longer holds, e.g. an edit based on a version that has changed since."""


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
