"""Authz's own events about administrative permissions, applied to every replica's in-memory model."""

import logging

from elevhalsa.authz.v1 import events_pb2

from services.authz.domain.memory import AuthzModel
from services.authz.service_layer.admin_permissions import LEVELS, MODULES
from services.common.auth import PermissionLevel
from services.common.enums import UnknownEnumValue

log = logging.getLogger(__name__)


def required_level_name(number: int) -> str:
    """A module's minimum level; one this version does not know is taken as the highest (fail closed)."""
    try:
        return LEVELS.name(number)
    except UnknownEnumValue:
        return PermissionLevel.ADMIN.value


def apply_event(model: AuthzModel, event) -> bool:
    """Apply a ModuleLevelChanged or SubadminScopeChanged; False for any other event."""
    match event:
        case events_pb2.ModuleLevelChanged():
            try:
                module = MODULES.name(event.module)
            except UnknownEnumValue:
                # A newer version's module: no caller of this version asks about it.
                log.warning("skipping the level of a module this version does not know: %d", event.module)
                return True
            model.set_module_level(event.meta.org_id, module, required_level_name(event.level))
            return True
        case events_pb2.SubadminScopeChanged():
            model.set_manageable_roles(event.meta.org_id, event.role_id, event.manageable_role_ids)
            return True
    return False
