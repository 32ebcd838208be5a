"""Which consumed events to apply now, per (source, organisation): pure rules, no I/O."""

from dataclasses import dataclass, field

from services.common.events import is_replay_marker, source_of


@dataclass(frozen=True)
class Conflict:
    """A different event at a revision already applied: forged, or revisions reused after a restore."""

    key: tuple[str, str]  # (source, org_id)
    revision: int
    applied_event_id: str | None  # when applied in the same batch; otherwise looked up in the inbox
    seen_event_id: str


@dataclass
class Sequenced:
    in_order: list = field(default_factory=list)  # (message, event) to apply, in revision order
    deferred: list = field(default_factory=list)  # (message, event) after a gap
    dropped: list = field(default_factory=list)  # (message, event) of quarantined organisations
    conflicts: list = field(default_factory=list)  # Conflict, in the order they were found
    quarantine: dict = field(default_factory=dict)  # (source, org) → Conflict to quarantine, None to lift
    positions: dict = field(default_factory=dict)  # (source, org) → revision after applying in_order


def key_of(message, event) -> tuple[str, str]:
    return source_of(message.subject), event.meta.org_id


def sequence(
    events: list,
    current: dict[tuple[str, str], int],
    known: set[str] = frozenset(),
    quarantined: set[tuple[str, str]] = frozenset(),
) -> Sequenced:
    """Which events to apply now. Per (source, org) revisions are applied one after another: an event
    consumed before (`known`) is a duplicate, one beyond the next waits, so the read model never claims a
    revision whose predecessors it has not applied (a late grant can never undo a revoke). A different
    event at a revision already applied means the model can no longer be trusted: the organisation is
    quarantined and its events are dropped until a replay marker starts its rebuild."""
    plan = Sequenced(positions=dict(current))
    untrusted, seen, applied_here = set(quarantined), set(known), {}
    for message, event in sorted(events, key=lambda item: (*key_of(*item), item[1].meta.revision)):
        key, revision, event_id = key_of(message, event), event.meta.revision, event.meta.event_id
        if event_id in seen:
            continue
        seen.add(event_id)
        if is_replay_marker(event) and (key in untrusted or revision <= plan.positions[key] + 1):
            if key in untrusted or key in plan.quarantine:
                plan.quarantine[key] = None
            untrusted.discard(key)
            plan.in_order.append((message, event))
            plan.positions[key] = revision
        elif key in untrusted:
            plan.dropped.append((message, event))
        elif revision <= plan.positions[key]:
            conflict = Conflict(key, revision, applied_here.get((key, revision)), event_id)
            plan.conflicts.append(conflict)
            plan.quarantine[key] = conflict
            untrusted.add(key)
            plan.dropped.append((message, event))
        elif revision == plan.positions[key] + 1:
            plan.in_order.append((message, event))
            plan.positions[key] = revision
            applied_here[(key, revision)] = event_id
        else:
            plan.deferred.append((message, event))
    return plan
