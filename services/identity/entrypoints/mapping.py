"""Identity rows and requests to and from their protobuf messages."""

import uuid

from elevhalsa.identity.v1 import identity_pb2 as pb

from services.common.auth import PermissionLevel
from services.common.convert import date_from_proto, date_to_proto, optional_uuid, parse_uuid, required_text
from services.common.email import normalise_email
from services.common.errors import InvalidArgument
from services.identity.adapters.orm import Assignment, Unit, User, UserRole
from services.identity.domain.model import AssignmentTerms, SchoolLevel
from services.identity.domain.user_import import Outcome
from services.identity.service_layer.events import PERMISSION_LEVELS

SCHOOL_LEVELS = {
    SchoolLevel.UNSPECIFIED: pb.SCHOOL_LEVEL_UNSPECIFIED,
    SchoolLevel.COMPULSORY: pb.SCHOOL_LEVEL_COMPULSORY,
    SchoolLevel.UPPER_SECONDARY: pb.SCHOOL_LEVEL_UPPER_SECONDARY,
}
LEVEL_FROM_PROTO = {value: PermissionLevel(key) for key, value in PERMISSION_LEVELS.items()}
OUTCOMES = {outcome: getattr(pb, f"IMPORT_OUTCOME_{outcome.name}") for outcome in Outcome}
SOURCES = {"manual": pb.ASSIGNMENT_SOURCE_MANUAL, "import": pb.ASSIGNMENT_SOURCE_IMPORT}


def school_level(value: int) -> SchoolLevel:
    for level, proto in SCHOOL_LEVELS.items():
        if proto == value:
            return level
    raise InvalidArgument("school_level is not a known school level", field="school_level")


def permission_level(value: int) -> PermissionLevel:
    if value == pb.PERMISSION_LEVEL_UNSPECIFIED:
        return PermissionLevel.MEMBER
    try:
        return LEVEL_FROM_PROTO[value]
    except KeyError:
        raise InvalidArgument("permission_level is not a known level", field="permission_level") from None


def optional_email(value: str) -> str | None:
    return normalise_email(value) if value.strip() else None


def optional_text(value: str, field: str, max_length: int = 200) -> str | None:
    return required_text(value, field, max_length=max_length) if value.strip() else None


def assignment_terms(role_id: str, unit_id: str, all_units: bool, valid_from, valid_to) -> AssignmentTerms:
    return AssignmentTerms(
        role_id=str(parse_uuid(role_id, "role_id")),
        unit_id=str(parse_uuid(unit_id, "unit_id")) if unit_id else None,
        all_units=all_units,
        valid_from=date_from_proto(valid_from, "valid_from"),
        valid_to=date_from_proto(valid_to, "valid_to"),
    )


def external_uuid(value: str) -> uuid.UUID | None:
    return optional_uuid(value, "external_id")


def unit_to_proto(unit: Unit) -> pb.Unit:
    return pb.Unit(
        id=str(unit.id),
        name=unit.name,
        kind=unit.kind,
        school_level=SCHOOL_LEVELS[SchoolLevel(unit.school_level)],
        external_id=str(unit.external_id) if unit.external_id else "",
        active=unit.active,
    )


def role_to_proto(role: UserRole) -> pb.UserRole:
    return pb.UserRole(id=str(role.id), name=role.name, external_id=str(role.external_id or ""))


def user_to_proto(user: User) -> pb.User:
    return pb.User(
        id=str(user.id),
        external_id=user.external_id or "",
        first_name=user.first_name,
        last_name=user.last_name,
        email=user.email or "",
        active=user.active,
        permission_level=PERMISSION_LEVELS[user.permission_level],
        manually_managed=user.manually_managed,
    )


def assignment_to_proto(assignment: Assignment) -> pb.Assignment:
    return pb.Assignment(
        id=str(assignment.id),
        user_id=str(assignment.user_id),
        role_id=str(assignment.role_id),
        unit_id=str(assignment.unit_id) if assignment.unit_id else "",
        all_units=assignment.all_units,
        valid_from=date_to_proto(assignment.valid_from),
        valid_to=date_to_proto(assignment.valid_to),
        source=SOURCES[assignment.source],
    )
