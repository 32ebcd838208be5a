"""Response models of who-can-see and explain: authz's answers, with the names of the users and roles they
name."""

from datetime import date
from typing import Literal

from elevhalsa.authz.v1 import authz_pb2 as apb
from elevhalsa.identity.v1 import identity_pb2 as ipb
from pydantic import BaseModel, Field

from gateway.routes.authz import ACCESS, RESTRICTIONS, AccessLevel, Grant, RestrictionKind
from services.common.convert import date_from_proto

ActionName = Literal["read", "write", "sign"]

RESTRICTION = (
    "none: every note of the folder; case_member: only notes in cases the user is a member of; "
    "case_member_notes: only those of them marked visible to case members."
)


class Names:
    """The names of users and roles, as identity gave them; an unknown id has an empty name."""

    def __init__(self, users: list[ipb.UserName], roles: list[ipb.UserRole]):
        self._users = {user.id: f"{user.first_name} {user.last_name}".strip() for user in users}
        self._roles = {role.id: role.name for role in roles}

    def user(self, user_id: str) -> str:
        return self._users.get(user_id, "")

    def knows_user(self, user_id: str) -> bool:
        return user_id in self._users

    def role(self, role_id: str) -> str:
        return self._roles.get(role_id, "")


class AssignmentRef(BaseModel):
    """The assignment that gives the access (or came closest to giving it)."""

    id: str
    role_id: str
    role_name: str
    unit_id: str | None = Field(description="null when the assignment is on all units.")
    all_units: bool = Field(description="On every unit of the organisation, units created later included.")
    valid_from: date | None = Field(description="null: no start.")
    valid_to: date | None = Field(description="null: no end; inclusive.")

    @classmethod
    def of(cls, answer: apb.Seer | apb.ExplainResponse, names: Names) -> "AssignmentRef":
        return cls(
            id=answer.assignment_id,
            role_id=answer.role_id,
            role_name=names.role(answer.role_id),
            unit_id=answer.unit_id or None,
            all_units=answer.all_units,
            valid_from=date_from_proto(answer.valid_from, "valid_from"),
            valid_to=date_from_proto(answer.valid_to, "valid_to"),
        )


class Reader(BaseModel):
    """A user who may read the folder, by one assignment (a user with several appears once per assignment)."""

    user_id: str
    name: str
    assignment: AssignmentRef
    access: AccessLevel
    restriction: RestrictionKind = Field(description=RESTRICTION)

    @classmethod
    def of(cls, seer: apb.Seer, names: Names) -> "Reader":
        return cls(
            user_id=seer.user_id,
            name=names.user(seer.user_id),
            assignment=AssignmentRef.of(seer, names),
            access=ACCESS.name(seer.grant.access),
            restriction=RESTRICTIONS.name(seer.grant.restriction),
        )


class WhoCanSee(BaseModel):
    student_id: str
    folder_id: str
    users: list[Reader] = Field(description="Ordered by user id, then assignment id.")


class Explanation(BaseModel):
    user_id: str
    name: str
    action: ActionName
    allowed: bool = Field(description="Exactly what the same request to read, write or sign would be told.")
    reason: str = Field(
        description='"granted", or what is missing: inactive, no assignment on the unit, the assignment ended '
        "or starts on a date, the role has no grant on the folder, read only, only case members, ..."
    )
    assignment: AssignmentRef | None = Field(
        description="The assignment that allows it, or the one on the unit that came closest; null if none."
    )
    grant: Grant | None = Field(description="That assignment's role's grant on the folder; null if none.")

    @classmethod
    def of(cls, answer: apb.ExplainResponse, action: str, names: Names) -> "Explanation":
        return cls(
            user_id=answer.user_id,
            name=names.user(answer.user_id),
            action=action,
            allowed=answer.allowed,
            reason=answer.reason,
            assignment=AssignmentRef.of(answer, names) if answer.assignment_id else None,
            grant=Grant.of(answer.grant) if answer.HasField("grant") else None,
        )
