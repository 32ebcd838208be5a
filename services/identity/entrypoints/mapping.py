"""Identity rows and requests to and from their protobuf messages."""

import uuid

from elevhalsa.identity.v1 import identity_pb2 as pb

from services.common.auth import PermissionLevel
from services.common.convert import date_from_proto, date_to_proto, optional_uuid, parse_uuid, required_text
from services.common.email import normalise_email
from services.common.enums import ProtoEnum
from services.identity.adapters.orm import Assignment, Unit, User, UserRole
from services.identity.domain.model import AssignmentSource, AssignmentTerms, SchoolLevel, Settings
from services.identity.domain.user_import import Outcome
from services.identity.service_layer.events import PERMISSION_LEVELS

SCHOOL_LEVELS = ProtoEnum(pb.SchoolLevel, SchoolLevel)
OUTCOMES = ProtoEnum(pb.ImportOutcome, Outcome)
SOURCES = ProtoEnum(pb.AssignmentSource, AssignmentSource)


def school_level(value: int) -> SchoolLevel:
    """The school level a request names; the zero value is a real level here, "unspecified"."""
    return SCHOOL_LEVELS.to_domain(value, "school_level")


def permission_level(value: int) -> PermissionLevel:
    """The permission level a request names; none named means member, the least."""
    return PERMISSION_LEVELS.to_domain(value, "permission_level", default=PermissionLevel.MEMBER)


def changed_level(value: int) -> PermissionLevel | None:
    """The permission level an update names; none named leaves it as it is."""
    return PERMISSION_LEVELS.to_domain(value, "permission_level") if value else None


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
        school_level=SCHOOL_LEVELS.number(unit.school_level),
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
        permission_level=PERMISSION_LEVELS.number(user.permission_level),
        manually_managed=user.manually_managed,
        may_sign_notes=user.may_sign_notes,
        use_memory_notes=user.use_memory_notes,
    )


def user_name_to_proto(user: User) -> pb.UserName:
    return pb.UserName(
        id=str(user.id), first_name=user.first_name, last_name=user.last_name, active=user.active
    )


def optional_bool(message, field: str) -> bool | None:
    """An `optional bool` of a request: None when the caller left it unset."""
    return getattr(message, field) if message.HasField(field) else None


def settings_to_proto(settings: Settings) -> pb.OrganisationSettings:
    return pb.OrganisationSettings(
        prevent_editing_own_signed_notes=settings.prevent_editing_own_signed_notes,
        subadmins_manage_templates=settings.subadmins_manage_templates,
        memory_notes_allowed=settings.memory_notes_allowed,
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
        source=SOURCES.number(assignment.source),
    )
