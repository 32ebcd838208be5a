"""A violated database constraint becomes an answer the caller can act on, naming the field, never the values."""

from types import SimpleNamespace

import grpc
from sqlalchemy.exc import IntegrityError

from services.common.errors import AlreadyExists, Internal, InvalidArgument
from services.common.grpc_errors import from_integrity_error, to_grpc_status

PERSONNUMMER = "201503121234"


def violation(sqlstate: str, *, constraint=None, table=None, column=None, detail=None) -> IntegrityError:
    """The error SQLAlchemy raises for a psycopg integrity violation."""
    diag = SimpleNamespace(
        constraint_name=constraint, table_name=table, column_name=column, message_detail=detail
    )
    orig = SimpleNamespace(sqlstate=sqlstate, diag=diag)
    return IntegrityError("INSERT ...", {"personnummer": PERSONNUMMER}, orig)


def test_a_unique_violation_is_already_exists_naming_the_field_from_the_key():
    error = from_integrity_error(
        violation(
            "23505",
            constraint="uq_students_org_id_unit_id_personnummer",
            table="students",
            detail=f"Key (org_id, unit_id, personnummer)=(o, u, {PERSONNUMMER}) already exists.",
        )
    )
    assert type(error) is AlreadyExists
    assert error.field == "personnummer"
    assert to_grpc_status(error)[0] is grpc.StatusCode.ALREADY_EXISTS


def test_a_unique_violation_names_the_field_from_the_constraint_when_the_detail_is_missing():
    error = from_integrity_error(violation("23505", constraint="uq_units_org_id_name", table="units"))
    assert type(error) is AlreadyExists
    assert error.field == "name"
    assert error.message == "name is already in use"


def test_no_answer_says_retry_or_quotes_the_driver():
    states = ["23505", "23503", "23514", "23502", "40001", "23P01"]
    for state in states:
        detail = f"Key (personnummer)=({PERSONNUMMER}) already exists."
        error = from_integrity_error(
            violation(state, constraint="uq_x_personnummer", table="x", detail=detail)
        )
        assert "retry" not in error.message
        assert PERSONNUMMER not in error.message


def test_a_foreign_key_violation_is_invalid_argument_naming_the_missing_reference():
    error = from_integrity_error(
        violation(
            "23503",
            constraint="fk_assignments_unit_id_units",
            table="assignments",
            detail='Key (unit_id)=(5b1c...) is not present in table "units".',
        )
    )
    assert type(error) is InvalidArgument
    assert error.field == "unit_id"
    assert error.message == "unit_id does not name an existing item"


def test_a_reference_still_in_use_is_invalid_argument_saying_so():
    error = from_integrity_error(
        violation(
            "23503",
            constraint="fk_students_unit_id_units",
            table="students",
            detail='Key (id)=(5b1c...) is still referenced from table "students".',
        )
    )
    assert type(error) is InvalidArgument
    assert "still in use" in error.message


def test_a_check_violation_is_invalid_argument_naming_the_rule():
    error = from_integrity_error(violation("23514", constraint="ck_assignments_period", table="assignments"))
    assert type(error) is InvalidArgument
    assert error.field == "period"
    assert to_grpc_status(error)[0] is grpc.StatusCode.INVALID_ARGUMENT


def test_a_not_null_violation_is_invalid_argument_naming_the_column():
    error = from_integrity_error(violation("23502", table="users", column="last_name"))
    assert type(error) is InvalidArgument
    assert error.field == "last_name"
    assert error.message == "last_name is required"


def test_a_constraint_named_outside_the_convention_gets_no_field():
    error = from_integrity_error(violation("23514", constraint="users_level_check", table="users"))
    assert type(error) is InvalidArgument
    assert error.field is None


def test_any_other_integrity_error_is_an_honest_internal_error():
    error = from_integrity_error(violation("23P01", constraint="ex_bookings_period", table="bookings"))
    assert type(error) is Internal
    assert to_grpc_status(error)[0] is grpc.StatusCode.INTERNAL


def test_an_integrity_error_without_a_driver_error_is_internal():
    assert type(from_integrity_error(IntegrityError("INSERT ...", {}, Exception("?")))) is Internal
