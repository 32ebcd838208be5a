"""The consumer applies each organisation's events one revision after another."""

import uuid
from types import SimpleNamespace

from elevhalsa.identity.v1 import events_pb2

from services.common.sequencing import sequence

ORG_A, ORG_B = str(uuid.uuid4()), str(uuid.uuid4())


def delivered(revision: int, org: str = ORG_A):
    event = events_pb2.UserRoleCreated(role_id=str(uuid.uuid4()))
    event.meta.org_id, event.meta.revision, event.meta.event_id = org, revision, str(uuid.uuid4())
    return SimpleNamespace(subject="elevhalsa.identity.v1.UserRoleCreated"), event


def revisions(pairs) -> list[int]:
    return [event.meta.revision for _, event in pairs]


def test_the_next_revisions_are_applied_in_order_even_if_they_arrive_shuffled():
    plan = sequence([delivered(3), delivered(1), delivered(2)], {("identity", ORG_A): 0})
    assert revisions(plan.in_order) == [1, 2, 3] and plan.deferred == []
    assert plan.positions[("identity", ORG_A)] == 3


def test_a_revision_after_a_gap_waits_for_the_missing_one():
    plan = sequence([delivered(6), delivered(8)], {("identity", ORG_A): 5})
    assert revisions(plan.in_order) == [6]
    assert revisions(plan.deferred) == [8]
    assert plan.positions[("identity", ORG_A)] == 6


def test_events_already_applied_or_delivered_twice_are_dropped_as_duplicates():
    applied, fresh = delivered(4), delivered(5)
    plan = sequence([applied, fresh, fresh], {("identity", ORG_A): 4}, known={applied[1].meta.event_id})
    assert revisions(plan.in_order) == [5] and plan.deferred == [] and plan.conflicts == []


def test_organisations_are_sequenced_independently():
    plan = sequence(
        [delivered(2, ORG_B), delivered(1, ORG_A)], {("identity", ORG_A): 0, ("identity", ORG_B): 0}
    )
    assert revisions(plan.in_order) == [1] and revisions(plan.deferred) == [2]


KEY = ("identity", ORG_A)


def marker(revision: int, org: str = ORG_A):
    event = events_pb2.OrganisationReplayStarted()
    event.meta.org_id, event.meta.revision, event.meta.event_id = org, revision, str(uuid.uuid4())
    return SimpleNamespace(subject="elevhalsa.identity.v1.OrganisationReplayStarted"), event


def event_id(pair) -> str:
    return pair[1].meta.event_id


def test_a_redelivered_event_already_in_the_inbox_is_a_duplicate_not_a_conflict():
    applied = delivered(4)
    plan = sequence([applied, delivered(5)], {KEY: 4}, known={event_id(applied)})
    assert revisions(plan.in_order) == [5] and plan.conflicts == [] and plan.quarantine == {}


def test_a_different_event_at_an_applied_revision_quarantines_the_organisation():
    forged = delivered(4)
    plan = sequence([forged, delivered(5)], {KEY: 4})
    assert plan.in_order == []
    assert [(c.key, c.revision, c.seen_event_id) for c in plan.conflicts] == [(KEY, 4, event_id(forged))]
    assert plan.quarantine[KEY].revision == 4
    assert revisions(plan.dropped) == [4, 5]
    assert plan.positions[KEY] == 4


def test_two_different_events_at_the_next_revision_apply_the_first_and_quarantine_on_the_second():
    forged, real = delivered(5), delivered(5)
    plan = sequence([forged, real], {KEY: 4})
    assert [event_id(p) for p in plan.in_order] == [event_id(forged)]
    [conflict] = plan.conflicts
    assert (conflict.applied_event_id, conflict.seen_event_id) == (event_id(forged), event_id(real))


def test_a_quarantined_organisation_drops_its_events_and_others_are_unaffected():
    plan = sequence([delivered(5), delivered(1, ORG_B)], {KEY: 4, ("identity", ORG_B): 0}, quarantined={KEY})
    assert revisions(plan.dropped) == [5] and revisions(plan.in_order) == [1]
    assert plan.positions == {KEY: 4, ("identity", ORG_B): 1}


def test_a_replay_marker_lifts_the_quarantine_and_moves_the_position_to_its_revision():
    dropped, replay, rebuilt = delivered(5), marker(7), delivered(8)
    plan = sequence([rebuilt, replay, dropped], {KEY: 4}, quarantined={KEY})
    assert revisions(plan.dropped) == [5]
    assert [event_id(p) for p in plan.in_order] == [event_id(replay), event_id(rebuilt)]
    assert plan.quarantine == {KEY: None} and plan.positions[KEY] == 8


def test_a_replay_marker_may_move_the_position_backwards_after_revisions_were_reused():
    plan = sequence([marker(3), delivered(4)], {KEY: 9})
    assert revisions(plan.in_order) == [3, 4] and plan.positions[KEY] == 4 and plan.conflicts == []


def test_a_replay_marker_after_a_gap_waits_like_any_event_while_the_organisation_is_trusted():
    plan = sequence([marker(7)], {KEY: 4})
    assert plan.in_order == [] and revisions(plan.deferred) == [7]


def test_a_replay_marker_seen_before_is_not_applied_again():
    replay, after = marker(5), delivered(6)
    plan = sequence([replay, after], {KEY: 6}, known={event_id(replay), event_id(after)})
    assert plan.in_order == [] and plan.conflicts == [] and plan.positions[KEY] == 6
