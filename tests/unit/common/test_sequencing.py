"""The consumer applies each organisation's events one revision after another."""

import uuid
from types import SimpleNamespace

from elevhalsa.identity.v1 import events_pb2

from services.common.consumer import sequence

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


def test_revisions_already_applied_are_dropped_as_duplicates():
    plan = sequence([delivered(4), delivered(5), delivered(5)], {("identity", ORG_A): 4})
    assert revisions(plan.in_order) == [5] and plan.deferred == []


def test_organisations_are_sequenced_independently():
    plan = sequence(
        [delivered(2, ORG_B), delivered(1, ORG_A)], {("identity", ORG_A): 0, ("identity", ORG_B): 0}
    )
    assert revisions(plan.in_order) == [1] and revisions(plan.deferred) == [2]
