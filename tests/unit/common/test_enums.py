"""Proto enum values and their API and domain names, read off the descriptors."""

from enum import StrEnum

import pytest
from elevhalsa.identity.v1 import identity_pb2
from elevhalsa.imports.v1 import imports_pb2

from services.common.enums import ProtoEnum, UnknownEnumValue, upper_snake
from services.common.errors import InvalidArgument


class SchoolLevel(StrEnum):
    UNSPECIFIED = "unspecified"
    COMPULSORY = "compulsory"
    UPPER_SECONDARY = "upper_secondary"


class Level(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


def test_an_enum_name_becomes_the_prefix_of_its_values():
    assert upper_snake("SchoolLevel") == "SCHOOL_LEVEL"
    assert upper_snake("RunStatus") == "RUN_STATUS"


def test_api_names_are_the_values_without_prefix_and_without_the_zero_value():
    statuses = ProtoEnum(imports_pb2.RunStatus)
    assert statuses.names()[:2] == ("queued", "running")
    assert "unspecified" not in statuses.names()
    assert statuses.name(imports_pb2.RUN_STATUS_SUCCEEDED) == "succeeded"
    assert statuses.number("failed") == imports_pb2.RUN_STATUS_FAILED


def test_a_number_from_a_newer_peer_is_an_unknown_value_not_a_guess():
    with pytest.raises(UnknownEnumValue, match="RunStatus has no value 99"):
        ProtoEnum(imports_pb2.RunStatus).name(99)


def test_a_request_number_becomes_the_domain_member():
    levels = ProtoEnum(identity_pb2.SchoolLevel, SchoolLevel)
    assert (
        levels.to_domain(identity_pb2.SCHOOL_LEVEL_UPPER_SECONDARY, "school_level")
        is SchoolLevel.UPPER_SECONDARY
    )
    assert levels.to_domain(0, "school_level") is SchoolLevel.UNSPECIFIED
    assert levels.number(SchoolLevel.COMPULSORY) == identity_pb2.SCHOOL_LEVEL_COMPULSORY


def test_an_unset_or_unknown_request_number_names_the_field_unless_there_is_a_default():
    levels = ProtoEnum(identity_pb2.PermissionLevel, Level)
    assert levels.to_domain(0, "permission_level", default=Level.MEMBER) is Level.MEMBER
    with pytest.raises(InvalidArgument) as refused:
        levels.to_domain(0, "permission_level")
    assert refused.value.field == "permission_level"
    with pytest.raises(InvalidArgument, match="admin, member"):
        levels.to_domain(identity_pb2.PERMISSION_LEVEL_SUBADMIN, "permission_level")


def test_a_domain_member_the_proto_lacks_is_found_at_import_time():
    class Extra(StrEnum):
        QUEUED = "queued"
        PAUSED = "paused"

    with pytest.raises(TypeError, match="paused"):
        ProtoEnum(imports_pb2.RunStatus, Extra)
