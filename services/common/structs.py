"""JSON values over gRPC: google.protobuf.Struct and Value to and from plain Python.

A Struct carries every number as a double: whole numbers come back as ints (120.0 → 120), so that JSON written
by a client reads the same after the trip; what a number means (an integer, one decimal) is the receiver's rule.
"""

import math
from typing import Any

from google.protobuf import struct_pb2

from services.common.errors import FieldProblem, InvalidFields

# Far below protobuf's own nesting limit (100 messages, two per JSON level), far above any value we take.
MAX_DEPTH = 20
# Whole doubles beyond this are not exact; they stay floats.
EXACT_INTEGERS = 2**53


class TooDeep(ValueError):
    """A JSON value nested deeper than MAX_DEPTH."""


def to_value(data: Any, depth: int = 0) -> struct_pb2.Value:
    """A protobuf Value of a JSON value (an int too large for a double becomes ±infinity)."""
    if depth > MAX_DEPTH:
        raise TooDeep(f"nested deeper than {MAX_DEPTH} levels")
    value = struct_pb2.Value()
    if data is None:
        value.null_value = struct_pb2.NULL_VALUE
    elif isinstance(data, bool):
        value.bool_value = data
    elif isinstance(data, int | float):
        value.number_value = as_double(data)
    elif isinstance(data, str):
        value.string_value = data
    elif isinstance(data, dict):
        value.struct_value.CopyFrom(to_struct(data, depth + 1))
    elif isinstance(data, list | tuple):
        value.list_value.values.extend(to_value(item, depth + 1) for item in data)
    else:
        raise TypeError(f"not a JSON value: {type(data).__name__}")
    return value


def to_struct(data: dict, depth: int = 0) -> struct_pb2.Struct:
    """A protobuf Struct of a JSON object."""
    if depth > MAX_DEPTH:
        raise TooDeep(f"nested deeper than {MAX_DEPTH} levels")
    struct = struct_pb2.Struct()
    for key, item in data.items():
        struct.fields[str(key)].CopyFrom(to_value(item, depth + 1))
    return struct


def as_double(number: int | float) -> float:
    try:
        return float(number)
    except OverflowError:
        return math.copysign(math.inf, number)


def from_value(value: struct_pb2.Value) -> Any:
    """The JSON value of a protobuf Value (an unset Value is null)."""
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        number = value.number_value
        if math.isfinite(number) and number.is_integer() and abs(number) <= EXACT_INTEGERS:
            return int(number)
        return number
    if kind == "string_value":
        return value.string_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return from_struct(value.struct_value)
    if kind == "list_value":
        return [from_value(item) for item in value.list_value.values]
    return None


def from_struct(struct: struct_pb2.Struct) -> dict:
    """The JSON object of a protobuf Struct."""
    return {key: from_value(item) for key, item in struct.fields.items()}


def struct_for(data: dict, field: str) -> struct_pb2.Struct:
    """`to_struct` for a request field: too deep a value is a 422 naming the field."""
    try:
        return to_struct(data)
    except TooDeep as error:
        raise InvalidFields([FieldProblem(field, f"{field} is {error}", "shape")]) from None


def value_for(data: Any, field: str) -> struct_pb2.Value:
    """`to_value` for a request field: too deep a value is a 422 naming the field."""
    try:
        return to_value(data)
    except TooDeep as error:
        raise InvalidFields([FieldProblem(field, f"{field} is {error}", "shape")]) from None
