"""Identity's rules, free of I/O: what a valid unit, user, password and assignment are, and an organisation's
settings."""

from dataclasses import asdict, dataclass, replace
from datetime import date
from enum import StrEnum

from services.common.auth import PermissionLevel
from services.common.errors import InvalidArgument

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256


class UnitKind(StrEnum):
    SCHOOL = "school"
    CLINIC = "clinic"
    DEPARTMENT = "department"
    OTHER = "other"


class SchoolLevel(StrEnum):
    UNSPECIFIED = "unspecified"
    COMPULSORY = "compulsory"  # grundskola
    UPPER_SECONDARY = "upper_secondary"  # gymnasium


class AssignmentSource(StrEnum):
    MANUAL = "manual"
    IMPORT = "import"


def unit_kind(value: str) -> UnitKind:
    """Parse a unit kind; empty means school, the usual unit."""
    try:
        return UnitKind(value or UnitKind.SCHOOL)
    except ValueError:
        allowed = ", ".join(kind.value for kind in UnitKind)
        raise InvalidArgument(f"kind must be one of: {allowed}", field="kind") from None


def check_password(password: str) -> None:
    """A password an administrator may set."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidArgument(
            f"password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long",
            field="password",
        )


@dataclass(frozen=True)
class AssignmentTerms:
    """What an assignment gives: a role on one unit or on all units, during an optional period."""

    role_id: str
    unit_id: str | None
    all_units: bool
    valid_from: date | None
    valid_to: date | None

    def __post_init__(self):
        if self.all_units == (self.unit_id is not None):
            raise InvalidArgument("give either unit_id or all_units, not both or neither", field="unit_id")
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise InvalidArgument("valid_to is before valid_from", field="valid_to")


@dataclass(frozen=True)
class Settings:
    """An organisation's journal rules; an organisation that never chose has these defaults."""

    prevent_editing_own_signed_notes: bool = False
    subadmins_manage_templates: bool = False
    memory_notes_allowed: bool = False


@dataclass(frozen=True)
class SettingsChange:
    """The settings an administrator changes; None leaves a setting as it is."""

    prevent_editing_own_signed_notes: bool | None = None
    subadmins_manage_templates: bool | None = None
    memory_notes_allowed: bool | None = None

    def applied_to(self, current: Settings) -> Settings:
        """The settings after the change."""
        return replace(current, **{name: value for name, value in asdict(self).items() if value is not None})


@dataclass(frozen=True)
class UserChange:
    """What an administrator changes of a user by hand; None leaves a field as it is."""

    may_sign_notes: bool | None = None
    use_memory_notes: bool | None = None
    permission_level: PermissionLevel | None = None

    def changes(self, user) -> bool:
        """Whether applying the change to the user (anything with these attributes) alters it."""
        return any(value is not None and value != getattr(user, name) for name, value in asdict(self).items())

    def apply(self, user) -> None:
        for name, value in asdict(self).items():
            if value is not None:
                setattr(user, name, value)
