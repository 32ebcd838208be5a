"""The events identity publishes, built from its rows."""

from elevhalsa.identity.v1 import events_pb2, identity_pb2

from services.common.auth import PermissionLevel
from services.common.convert import date_to_proto
from services.common.enums import ProtoEnum
from services.identity.adapters.orm import Assignment, User

PERMISSION_LEVELS = ProtoEnum(identity_pb2.PermissionLevel, PermissionLevel)


def user_changed(user: User) -> events_pb2.UserChanged:
    return events_pb2.UserChanged(
        user_id=str(user.id),
        active=user.active,
        permission_level=PERMISSION_LEVELS.number(user.permission_level),
        may_sign_notes=user.may_sign_notes,
    )


def assignment_granted(assignment: Assignment) -> events_pb2.AssignmentGranted:
    return events_pb2.AssignmentGranted(
        assignment_id=str(assignment.id),
        user_id=str(assignment.user_id),
        role_id=str(assignment.role_id),
        unit_id=str(assignment.unit_id) if assignment.unit_id else "",
        all_units=assignment.all_units,
        valid_from=date_to_proto(assignment.valid_from),
        valid_to=date_to_proto(assignment.valid_to),
    )


def assignment_revoked(assignment: Assignment) -> events_pb2.AssignmentRevoked:
    return events_pb2.AssignmentRevoked(assignment_id=str(assignment.id), user_id=str(assignment.user_id))
