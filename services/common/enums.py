"""One mapping between protobuf enum values and the names the API and the domain use, read off the enum's
descriptor: `SCHOOL_LEVEL_UPPER_SECONDARY` is "upper_secondary". Adding a value to a .proto is the only change."""

import re
from enum import StrEnum
from typing import Generic, TypeVar

from services.common.errors import InvalidArgument

E = TypeVar("E", bound=StrEnum)

UNSPECIFIED = "unspecified"


class UnknownEnumValue(ValueError):
    """A number the enum does not define: a peer speaks a newer version of the protocol (or has a bug)."""


def upper_snake(name: str) -> str:
    """`SchoolLevel` → `SCHOOL_LEVEL`, the prefix protobuf style gives an enum's values."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).upper()


class ProtoEnum(Generic[E]):
    """The names of a proto enum's values, and their domain enum when there is one."""

    def __init__(self, enum_type, domain: type[E] | None = None):
        descriptor = enum_type.DESCRIPTOR
        prefix = upper_snake(descriptor.name) + "_"
        self.proto_name = descriptor.full_name
        self._names = {value.number: value.name.removeprefix(prefix).lower() for value in descriptor.values}
        self._numbers = {name: number for number, name in self._names.items()}
        self._domain = domain
        # Number → domain member, built once: requests convert enums on every call.
        self._members = {n: domain(name) for n, name in self._names.items() if name in self._values(domain)}
        if domain is not None:
            missing = {member.value for member in domain} - set(self._numbers)
            if missing:
                raise TypeError(f"{self.proto_name} has no values for {sorted(missing)} of {domain.__name__}")

    @staticmethod
    def _values(domain) -> set[str]:
        return {member.value for member in domain} if domain is not None else set()

    def names(self, *, unspecified: bool = False) -> tuple[str, ...]:
        """The API names, in proto order; `unspecified` (the zero value) only when asked for."""
        return tuple(name for name in self._names.values() if unspecified or name != UNSPECIFIED)

    def name(self, number: int) -> str:
        """The API name of a number; UnknownEnumValue if the enum does not define it."""
        try:
            return self._names[number]
        except KeyError:
            raise UnknownEnumValue(f"{self.proto_name} has no value {number}") from None

    def number(self, name: str) -> int:
        """The proto number of an API name or domain member."""
        try:
            return self._numbers[str(name)]
        except KeyError:
            raise UnknownEnumValue(f"{self.proto_name} has no value named {name!r}") from None

    def to_domain(self, number: int, field: str, *, default: E | None = None) -> E:
        """The domain member a request's number stands for; InvalidArgument naming the field if none does."""
        assert self._domain is not None, f"{self.proto_name} has no domain enum"
        if number == 0 and default is not None:
            return default
        member = self._members.get(number)
        if member is None:
            allowed = ", ".join(member.value for member in self._domain)
            raise InvalidArgument(f"{field} must be one of: {allowed}", field=field)
        return member
