"""Administrative permissions, free of I/O: who may change the organisation's configuration and people.

Each module has a minimum permission level (member < subadmin < admin), per organisation, with the defaults
below. An administrator's action needs only the module's level. A subadministrator gives and ends assignments
only of the roles their own roles may manage (through their assignments valid today) and only on units where
they hold an assignment valid today (one on all units covers every unit); only administrators give or end
assignments on all units, and only they give, change or take away the admin level.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from services.authz.domain.memory import OrgModel
from services.common.auth import AdminModule, PermissionLevel
from services.common.errors import FieldProblem, InvalidFields

Module = AdminModule  # defined in the kit, so that every service names modules as authz does
MODULE_NAMES = frozenset(module.value for module in Module)
ADMIN, SUBADMIN, MEMBER = PermissionLevel.ADMIN, PermissionLevel.SUBADMIN, PermissionLevel.MEMBER
RANK = {MEMBER: 0, SUBADMIN: 1, ADMIN: 2}

# Seed 004: administrators configure the system; administrators and subadministrators manage users and
# student administration. Imports stay with administrators: a user import gives assignments of every role
# on every unit, which no subadmin scope could limit.
DEFAULT_LEVELS: Mapping[Module, PermissionLevel] = {
    Module.TEMPLATES: ADMIN,
    Module.TEMPLATE_MENUS: ADMIN,
    Module.FOLDERS: ADMIN,
    Module.ROLES: ADMIN,
    Module.UNITS: ADMIN,
    Module.USERS: SUBADMIN,
    Module.ASSIGNMENTS: SUBADMIN,
    Module.STUDENTS: SUBADMIN,
    Module.IMPORTS: ADMIN,
    Module.SETTINGS: ADMIN,
    Module.ADDRESS_BOOK: ADMIN,
    Module.CONTACT_TYPES: ADMIN,
    Module.MODULE_LEVELS: ADMIN,
}
# The levels no organisation may lower: its administrators must always be able to undo a change.
FIXED_LEVELS: Mapping[Module, PermissionLevel] = {Module.MODULE_LEVELS: ADMIN}


@dataclass(frozen=True)
class AdminQuestion:
    """One administrative action: its module and, for assignments, what it gives or ends."""

    module: Module
    role_id: str | None = None
    unit_id: str | None = None
    all_units: bool = False
    concerns_admin: bool = False  # gives, changes or takes away the admin level
    lowered_to: PermissionLevel | None = None  # an organisation setting lowers the module to this level
    role_name: str = ""  # for the reason only
    unit_name: str = ""


@dataclass(frozen=True)
class AdminVerdict:
    allowed: bool
    reason: str
    field: str | None = None  # the request field a refusal concerns


def at_least(level: PermissionLevel, minimum: PermissionLevel) -> bool:
    return RANK[level] >= RANK[minimum]


def level_of(value: str) -> PermissionLevel:
    """A stored level; one this version does not know gets the least rights."""
    try:
        return PermissionLevel(value)
    except ValueError:
        return MEMBER


def minimum_of(value: str) -> PermissionLevel:
    """A stored minimum level; one this version does not know is taken as the highest (fail closed)."""
    try:
        return PermissionLevel(value)
    except ValueError:
        return ADMIN


def module_levels(org: OrgModel) -> dict[Module, PermissionLevel]:
    """Every module's minimum level in the organisation: its own where it changed one, else the default."""
    levels = dict(DEFAULT_LEVELS)
    for name, level in org.module_levels.items():
        if name in MODULE_NAMES:  # a module a newer version added is not this version's to decide
            levels[Module(name)] = minimum_of(level)
    return levels


def required_level(org: OrgModel, question: AdminQuestion) -> PermissionLevel:
    """The module's level, lowered by the organisation's setting if it names a lower one."""
    level = module_levels(org)[question.module]
    lowered = question.lowered_to
    if lowered is not None and RANK[lowered] < RANK[level]:
        return lowered
    return level


def manageable_roles(org: OrgModel, user_id: str, today: date) -> frozenset[str]:
    """The roles whose assignments the user may manage: those of the user's roles held today."""
    roles = {fact.role_id for fact in org.held(user_id).values() if fact.valid_on(today)}
    return frozenset().union(*(org.manageable_roles.get(role, ()) for role in roles))


def holds_unit(org: OrgModel, user_id: str, unit_id: str, today: date) -> bool:
    """Whether the user holds an assignment valid today on the unit, or on all units."""
    return any(
        fact.valid_on(today) and fact.unit_id in (None, unit_id) for fact in org.held(user_id).values()
    )


def decide(org: OrgModel, user_id: str, question: AdminQuestion, today: date) -> AdminVerdict:
    """Whether the user may do the administrative action, and the reason when not."""
    facts = org.users.get(user_id)
    if facts is None or not facts.active:
        return AdminVerdict(False, "the user is not active")
    level, needed = level_of(facts.permission_level), required_level(org, question)
    if not at_least(level, needed):
        reason = f"the {question.module} module needs the permission level {needed}; yours is {level}"
        return AdminVerdict(False, reason)
    if level is ADMIN:
        return AdminVerdict(True, f"administrator; the {question.module} module needs {needed}")
    return scoped(org, user_id, question, today)


def scoped(org: OrgModel, user_id: str, question: AdminQuestion, today: date) -> AdminVerdict:
    """What a non-administrator who has the module's level may not do."""
    if question.concerns_admin:
        reason = "only administrators may give, change or take away the admin permission level"
        return AdminVerdict(False, reason, "permission_level")
    if question.all_units:
        return AdminVerdict(
            False, "only administrators may give or end assignments on all units", "all_units"
        )
    if question.role_id and question.role_id not in manageable_roles(org, user_id, today):
        role = label(question.role_name, question.role_id)
        return AdminVerdict(False, f"your roles may not manage assignments of the role {role}", "role_id")
    if question.unit_id and not holds_unit(org, user_id, question.unit_id, today):
        unit = label(question.unit_name, question.unit_id)
        return AdminVerdict(False, f"you hold no assignment valid today on the unit {unit}", "unit_id")
    return AdminVerdict(True, f"the {question.module} module allows your level")


def label(name: str, id_: str) -> str:
    return f"{name!r} ({id_})" if name else id_


def levels_after(
    org: OrgModel, changes: Iterable[tuple[Module, PermissionLevel]]
) -> dict[Module, PermissionLevel]:
    """Every module's level after the changes; InvalidFields (422) for a change no organisation may make."""
    levels = module_levels(org)
    problems = []
    for module, level in changes:
        fixed = FIXED_LEVELS.get(module)
        if fixed is not None and level is not fixed:
            message = f"the {module} module stays at {fixed}: administrators must keep the right to undo"
            problems.append(FieldProblem(f"levels.{module}", message, "fixed_level"))
        levels[module] = level
    if problems:
        raise InvalidFields(problems)
    return levels
