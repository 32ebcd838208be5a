"""How an imported user changes a journal user, decided without I/O."""

from dataclasses import dataclass
from enum import StrEnum

from services.identity.domain.model import AssignmentTerms


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    ACTIVATED = "activated"
    DEACTIVATED = "deactivated"
    UNCHANGED = "unchanged"
    SKIPPED_MANUALLY_MANAGED = "skipped_manually_managed"


@dataclass(frozen=True)
class ImportedUserData:
    """A user as the import file describes them."""

    external_id: str
    first_name: str
    last_name: str
    email: str | None
    active: bool
    assignments: frozenset[AssignmentTerms]


@dataclass(frozen=True)
class CurrentUser:
    """What the journal holds for an imported user today."""

    first_name: str
    last_name: str
    email: str | None
    active: bool
    manually_managed: bool
    assignments: frozenset[AssignmentTerms]


def outcome_for(current: CurrentUser | None, incoming: ImportedUserData) -> Outcome:
    """What applying `incoming` does to the user; activation and deactivation win over plain updates."""
    if current is None:
        return Outcome.CREATED
    if current.manually_managed:
        return Outcome.SKIPPED_MANUALLY_MANAGED
    if incoming.active and not current.active:
        return Outcome.ACTIVATED
    if current.active and not incoming.active:
        return Outcome.DEACTIVATED
    same = (
        current.first_name == incoming.first_name
        and current.last_name == incoming.last_name
        and (current.email or None) == (incoming.email or None)
        and current.assignments == incoming.assignments
    )
    return Outcome.UNCHANGED if same else Outcome.UPDATED
