"""Applying events to the live model: identity's and records' facts as the read model folds them, and
authz's own grants."""

from elevhalsa.authz.v1 import events_pb2 as authz_events
from elevhalsa.common.v1.envelope_pb2 import EventEnvelope
from google.protobuf.message import Message

from services.authz.domain.memory import AuthzModel, OrgGrant
from services.authz.domain.model import GrantRule, Restriction
from services.authz.service_layer.admin_events import apply_event
from services.authz.service_layer.grants import ACCESS, RESTRICTION
from services.authz.service_layer.projections import Changes, fold
from services.common.convert import optional_uuid, parse_uuid
from services.common.errors import DomainError
from services.common.events import is_replay_marker

# What translating a malformed event raises: bad UUIDs from uuid.UUID, bad dates and enums from the kit.
MALFORMED = (ValueError, DomainError)


def apply_events(model: AuthzModel, source: str, events: list[Message]) -> list[Message]:
    """Apply events in order; returns those that could not be applied (nothing of them was)."""
    malformed: list[Message] = []
    pending: list[Message] = []
    for event in events:
        if is_replay_marker(event):
            malformed += _apply_run(model, pending)
            pending = []
            model.forget(event.meta.org_id, source)
        elif isinstance(event, EventEnvelope):
            continue  # of a type this version does not know: its revision counted, nothing else
        elif not apply_event(model, event):  # administrative permissions apply themselves
            pending.append(event)
    return malformed + _apply_run(model, pending)


def _apply_run(model: AuthzModel, events: list[Message]) -> list[Message]:
    """A run of events without replay markers, at once; event by event only if one of them is malformed."""
    try:
        changes, grants = translate(events)
    except MALFORMED:
        malformed = []
        for event in events:
            try:
                model.apply(*translate([event]))
            except MALFORMED:
                malformed.append(event)
        return malformed
    model.apply(changes, grants)
    return []


def well_formed(event: Message) -> bool:
    """Whether the event can be applied (the durable consumer quarantines an organisation's bad event)."""
    try:
        translate([event])
    except MALFORMED:
        return False
    return True


def translate(events: list[Message]) -> tuple[Changes, list[OrgGrant]]:
    """What the events change; one of MALFORMED if one of them is malformed."""
    grants = [
        OrgGrant(str(parse_uuid(e.meta.org_id, "org_id")), grant_rule(e.grant))
        for e in events
        if isinstance(e, authz_events.GrantChanged)
    ]
    return fold(events), grants


def grant_rule(grant) -> GrantRule:
    """A grant as the model keeps it, from its proto."""
    menu = optional_uuid(grant.template_menu_id, "template_menu_id")
    return GrantRule(
        role_id=str(parse_uuid(grant.role_id, "role_id")),
        folder_id=str(parse_uuid(grant.folder_id, "folder_id")),
        access=ACCESS.to_domain(grant.access, "access"),
        restriction=RESTRICTION.to_domain(grant.restriction, "restriction", default=Restriction.NONE),
        template_menu_id=str(menu) if menu else None,
    )
