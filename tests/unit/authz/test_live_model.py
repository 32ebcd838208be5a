"""Authz's live model: events count in revision order per organisation, a token waits for its revisions,
and one organisation's bad event stops only that organisation."""

import asyncio
import uuid

import pytest
from elevhalsa.authz.v1 import authz_pb2
from elevhalsa.authz.v1 import events_pb2 as authz_events
from elevhalsa.common.v1.envelope_pb2 import EventEnvelope
from elevhalsa.identity.v1 import events_pb2 as identity_events

from services.authz.domain.memory import AuthzModel
from services.authz.domain.model import Action
from services.authz.service_layer.live_model import (
    MAX_HELD,
    LiveModel,
    ModelLoading,
    OrganisationQuarantined,
    Snapshot,
)
from services.common.clock import today
from services.common.consistency import ConsistencyToken
from services.common.errors import InvalidArgument, Unavailable

SOURCES = ("identity", "records", "authz")


class Org:
    """An organisation whose events are numbered as identity and authz would number them."""

    def __init__(self):
        self.id = str(uuid.uuid4())
        self.unit, self.role, self.folder, self.user = (str(uuid.uuid4()) for _ in range(4))
        self.revisions = {"identity": 0, "authz": 0}

    def stamp(self, source: str, event, revision: int | None = None):
        self.revisions[source] = revision or self.revisions[source] + 1
        event.meta.event_id, event.meta.org_id = str(uuid.uuid4()), self.id
        event.meta.revision = self.revisions[source]
        return event

    def token(self, **revisions) -> str:
        return ConsistencyToken(self.id, revisions or dict(self.revisions)).encode()

    def nurse_events(self) -> list:
        """A unit, the user, and an assignment there."""
        return [
            self.stamp("identity", identity_events.UnitCreated(unit_id=self.unit, active=True)),
            self.stamp("identity", identity_events.UserChanged(user_id=self.user, active=True)),
            self.assignment(),
        ]

    def assignment(self, assignment_id: str | None = None):
        event = identity_events.AssignmentGranted(
            assignment_id=assignment_id or str(uuid.uuid4()),
            user_id=self.user,
            role_id=self.role,
            unit_id=self.unit,
        )
        return self.stamp("identity", event)

    def grant(self, access=authz_pb2.ACCESS_READ_WRITE):
        grant = authz_pb2.Grant(role_id=self.role, folder_id=self.folder, access=access)
        return self.stamp("authz", authz_events.GrantChanged(grant=grant))

    def reads(self, live: LiveModel) -> bool:
        return live.model.check(self.id, self.user, self.unit, self.folder, Action.READ, today())[0]


@pytest.fixture
def live() -> LiveModel:
    live = LiveModel(SOURCES, timeout=0.2)
    live.load(Snapshot(AuthzModel()))
    return live


@pytest.fixture
def org(live) -> Org:
    org = Org()
    live.receive("identity", org.nurse_events())
    live.receive("authz", [org.grant()])
    return org


def test_events_build_the_model_and_advance_the_organisations_position(live, org):
    assert org.reads(live)
    assert (live.position("identity", org.id), live.position("authz", org.id)) == (3, 1)


def test_an_event_that_arrives_before_its_predecessor_waits_for_it(live, org):
    revoke = org.stamp("identity", identity_events.AssignmentRevoked(assignment_id=str(uuid.uuid4())), 5)
    regrant = org.assignment("a-late")
    live.receive("identity", [regrant])  # revision 6 before 4 and 5
    assert live.position("identity", org.id) == 3
    live.receive("identity", [org.stamp("identity", identity_events.UnitCreated(unit_id=org.unit), 4)])
    assert live.position("identity", org.id) == 4
    live.receive("identity", [revoke])
    assert live.position("identity", org.id) == 6


def test_an_event_delivered_again_changes_nothing(live, org):
    assignment_id = str(uuid.uuid4())
    granted = org.assignment(assignment_id)
    live.receive("identity", [granted])
    revoked = org.stamp("identity", identity_events.AssignmentRevoked(assignment_id=assignment_id))
    live.receive("identity", [revoked, granted])  # the grant again, after its revoke
    assert assignment_id not in live.model.org(org.id).assignments


def test_a_revoke_stops_reading_in_the_same_step_that_moves_the_position(live, org):
    revokes = [
        org.stamp("identity", identity_events.AssignmentRevoked(assignment_id=a))
        for a in live.model.org(org.id).assignments
    ]
    live.receive("identity", revokes)
    assert not org.reads(live)
    assert live.position("identity", org.id) == 4


async def test_a_token_waits_until_its_revisions_are_applied(live, org):
    token = org.token(identity=4)
    assert live.position("identity", org.id) == 3
    # Revision 4 arrives only once the call below is waiting for it (callbacks run after it yields).
    asyncio.get_running_loop().call_soon(live.receive, "identity", [org.assignment()])
    assert (await live.fresh(org.id, token)) is live.model.org(org.id)
    assert live.position("identity", org.id) == 4


async def test_a_token_the_model_cannot_reach_in_time_is_unavailable_not_an_answer(live, org):
    with pytest.raises(Unavailable, match="not yet up to date"):
        await live.fresh(org.id, org.token(identity=99))


async def test_a_token_naming_a_source_authz_does_not_follow_is_refused_at_once(live, org):
    with pytest.raises(InvalidArgument):
        await live.fresh(org.id, org.token(imports=1))


async def test_nothing_is_answered_before_the_model_is_loaded(org):
    unloaded = LiveModel(SOURCES, timeout=0.05)
    with pytest.raises(ModelLoading):
        await unloaded.fresh(org.id, org.token(identity=1))


async def test_a_malformed_event_quarantines_its_organisation_and_no_other(live, org):
    other = Org()
    bad = org.stamp(
        "identity", identity_events.AssignmentGranted(assignment_id="not-a-uuid", user_id=org.user)
    )
    live.receive("identity", [bad, *other.nurse_events()])
    with pytest.raises(OrganisationQuarantined):
        await live.fresh(org.id, "")
    assert await live.fresh(other.id, other.token(identity=3))
    assert live.position("identity", other.id) == 3


async def test_an_event_of_an_unknown_type_counts_its_revision_and_changes_nothing(live, org):
    unknown = org.stamp("identity", EventEnvelope())
    live.receive("identity", [unknown, org.assignment()])
    assert live.position("identity", org.id) == 5
    assert await live.fresh(org.id, org.token(identity=5))


async def test_a_replay_marker_forgets_the_source_and_the_replayed_events_rebuild_it(live, org):
    live.quarantine({("identity", org.id)})
    with pytest.raises(OrganisationQuarantined):
        await live.fresh(org.id, "")
    live.receive("identity", [org.assignment()])  # dropped while quarantined
    assert live.position("identity", org.id) == 3
    marker = org.stamp("identity", identity_events.OrganisationReplayStarted(), 10)
    live.receive("identity", [marker])
    assert await live.fresh(org.id, org.token(identity=10))
    assert not org.reads(live)  # identity's facts are gone until replayed; authz's grants stay
    live.receive("identity", org.nurse_events())
    assert org.reads(live)


def test_a_lowered_grant_counts_from_its_revision(live, org):
    live.receive("authz", [org.grant(authz_pb2.ACCESS_NONE)])
    assert not org.reads(live)
    assert live.position("authz", org.id) == 2


async def test_an_organisation_whose_missing_revision_never_comes_is_quarantined_not_held_forever(live, org):
    lost = org.revisions["identity"] + 1
    later = [org.stamp("identity", EventEnvelope(), lost + n) for n in range(1, MAX_HELD + 2)]
    live.receive("identity", later)
    with pytest.raises(OrganisationQuarantined):
        await live.fresh(org.id, "")
