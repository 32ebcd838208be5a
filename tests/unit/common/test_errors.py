"""Domain errors travel over gRPC and come back as the same error, with the field they are about."""

import grpc
import pytest

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
from services.common.grpc_errors import error_field, from_grpc_error, to_grpc_status

ERROR_CLASSES = [
    (InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (Conflict, grpc.StatusCode.FAILED_PRECONDITION),
    (PreconditionFailed, grpc.StatusCode.ABORTED),
    (PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (Unauthenticated, grpc.StatusCode.UNAUTHENTICATED),
    (Unavailable, grpc.StatusCode.UNAVAILABLE),
    (TooLarge, grpc.StatusCode.RESOURCE_EXHAUSTED),
]


def rpc_error(code: grpc.StatusCode, details: str | None, trailers=()) -> grpc.aio.AioRpcError:
    """The error a failed downstream call raises."""
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(*trailers), details=details)


def over_the_wire(error: DomainError) -> DomainError:
    code, message, trailers = to_grpc_status(error)
    return from_grpc_error(rpc_error(code, message, trailers))


@pytest.mark.parametrize("cls, code", ERROR_CLASSES, ids=[cls.__name__ for cls, _ in ERROR_CLASSES])
def test_each_error_maps_to_its_grpc_status(cls, code):
    assert to_grpc_status(cls("it went wrong"))[0] is code


@pytest.mark.parametrize("cls, _", ERROR_CLASSES, ids=[cls.__name__ for cls, _ in ERROR_CLASSES])
def test_each_error_comes_back_from_a_downstream_call_as_itself_with_message_and_field(cls, _):
    back = over_the_wire(cls("email is not a valid e-mail address", field="email"))
    assert type(back) is cls
    assert back.message == "email is not a valid e-mail address"
    assert back.field == "email"


def test_an_error_without_a_field_sends_no_field_trailer():
    assert to_grpc_status(NotFound("student not found"))[2] == ()
    assert over_the_wire(NotFound("student not found")).field is None


def test_a_plain_domain_error_is_a_failed_precondition_and_comes_back_as_a_conflict():
    back = over_the_wire(DomainError("the unit still has active students"))
    assert type(back) is Conflict
    assert back.message == "the unit still has active students"


def test_the_field_is_found_among_other_trailers():
    error = rpc_error(grpc.StatusCode.INVALID_ARGUMENT, "bad", [("x-other", "1"), ("x-error-field", "rows")])
    assert error_field(error) == "rows"


@pytest.mark.parametrize("code", [grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN])
def test_a_downstream_bug_becomes_an_internal_error_without_leaking_its_details(code):
    back = from_grpc_error(rpc_error(code, "Traceback: KeyError in repository.py line 42"))
    assert type(back) is Internal
    assert "Traceback" not in back.message


def test_a_downstream_call_that_times_out_is_unavailable():
    back = from_grpc_error(rpc_error(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded"))
    assert type(back) is Unavailable
    assert "in time" in back.message


def test_a_connection_failure_without_details_becomes_unavailable_with_a_clear_message():
    back = from_grpc_error(rpc_error(grpc.StatusCode.UNAVAILABLE, None))
    assert type(back) is Unavailable
    assert "is unavailable" in back.message


def test_a_service_s_own_unavailable_comes_back_with_its_reason_when_the_callee_is_named():
    code, message, trailers = to_grpc_status(Unavailable("authorization data is not yet up to date; retry"))
    back = from_grpc_error(rpc_error(code, message, trailers), "authorization")
    assert type(back) is Unavailable
    assert back.message == "authorization data is not yet up to date; retry"


def test_a_service_that_cannot_be_reached_is_named_as_unavailable_without_the_transport_s_text():
    refused = (
        "failed to connect to all addresses; last error: UNKNOWN: ipv4:10.0.0.7:50052: Connection refused"
    )
    back = from_grpc_error(rpc_error(grpc.StatusCode.UNAVAILABLE, refused), "authorization")
    assert type(back) is Unavailable
    assert back.message == "authorization is unavailable; retry"


def test_a_named_service_that_does_not_answer_in_time_is_unavailable():
    back = from_grpc_error(rpc_error(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded"), "authorization")
    assert type(back) is Unavailable
    assert back.message.startswith("authorization is unavailable")
    assert "in time" in back.message


def test_only_an_unavailable_is_marked_as_the_service_s_own_answer():
    assert to_grpc_status(NotFound("student not found"))[2] == ()
    assert to_grpc_status(Unavailable("the database is unavailable; retry"))[2] == (
        ("x-error-answered", "1"),
    )


def test_an_internal_error_is_sent_as_internal():
    assert to_grpc_status(Internal("internal error"))[0] is grpc.StatusCode.INTERNAL


def test_a_service_s_own_error_class_maps_like_the_class_it_extends():
    class UnitNotEmpty(Conflict):
        pass

    back = over_the_wire(UnitNotEmpty("the unit still has active students"))
    assert type(back) is Conflict


def test_domain_errors_are_plain_python_without_grpc():
    import services.common.errors as errors

    assert not any(getattr(value, "__module__", "").startswith("grpc") for value in vars(errors).values())
    assert not any(name.startswith("grpc") for name in errors.__dict__)
    assert not hasattr(DomainError, "code")


def test_every_field_problem_comes_back_from_a_downstream_call_with_its_field_and_rule():
    problems = [
        FieldProblem("rows[0].value", "Längd måste vara mellan 30 och 250 cm", "range"),
        FieldProblem("rows[3].value", "is not one of the options", "option"),
    ]
    back = over_the_wire(InvalidFields(problems))
    assert type(back) is InvalidFields
    assert back.problems == problems
    assert back.field == "rows[0].value"
    assert back.message.endswith("(and 1 more)")


def test_a_field_that_cannot_travel_as_a_header_is_left_out_of_the_trailers_and_kept_in_the_problems():
    problems = [FieldProblem("rows.hörsel", "is unknown", "unknown")]
    code, _, trailers = to_grpc_status(InvalidFields(problems))
    assert code is grpc.StatusCode.INVALID_ARGUMENT
    assert [key for key, _ in trailers] == ["x-error-problems-bin"]
    assert over_the_wire(InvalidFields(problems)).problems == problems
