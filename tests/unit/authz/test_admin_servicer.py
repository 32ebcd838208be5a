"""Authz's administrative API over its facts in memory: AuthorizeAdmin answers from the caller's live facts,
waits for a caller the facts do not know yet, and every replica applies the events of module levels and scopes."""

import uuid
from types import SimpleNamespace

import pytest
from elevhalsa.authz.v1 import authz_pb2 as pb
from elevhalsa.authz.v1 import events_pb2

from services.authz.domain.admin import module_levels
from services.authz.domain.memory import AuthzModel, OrgModel
from services.authz.entrypoints.admin_servicer import AdminServicer
from services.authz.service_layer.admin_events import apply_event
from services.authz.service_layer.live_model import LiveModel, Snapshot
from services.common.auth import Caller, PermissionLevel, bind_caller, unbind_caller
from services.common.consistency import ConsistencyToken
from services.common.errors import InvalidArgument, Unavailable
from tests.unit.authz.test_memory import assignment, unit, user

ORG = str(uuid.uuid4())
SCHOOL, NURSE, COORDINATOR = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
TOKEN = ConsistencyToken(ORG, {"identity": 0}).encode()
SUBADMIN = Caller(str(uuid.uuid4()), ORG, PermissionLevel.SUBADMIN, "t")


class RecordingLive(LiveModel):
    """The live model, loaded with the given facts, recording the tokens it was asked to honour."""

    def __init__(self, model: AuthzModel, wait: float):
        super().__init__(("identity", "records", "authz"), timeout=wait)
        self.load(Snapshot(model))
        self.tokens: list[str] = []

    async def fresh(self, org_id: str, consistency_token: str, deadline: float | None = None) -> OrgModel:
        self.tokens.append(consistency_token)
        return await super().fresh(org_id, consistency_token, deadline)


class Servicer(AdminServicer):
    def __init__(self, model: AuthzModel, wait: float = 1.0):
        self._live = RecordingLive(model, wait)
        self._ctx = SimpleNamespace(settings=SimpleNamespace(freshness_timeout_seconds=wait))


class Context:
    def time_remaining(self):
        return None


def scoped_organisation() -> AuthzModel:
    model = AuthzModel()
    model.apply(unit(ORG, SCHOOL))
    model.apply(user(ORG, SUBADMIN.user_id, level="subadmin"))
    model.apply(assignment("a-1", ORG, SUBADMIN.user_id, COORDINATOR, unit_id=SCHOOL))
    model.set_manageable_roles(ORG, COORDINATOR, [NURSE])
    return model


@pytest.fixture
def as_subadmin():
    reset = bind_caller(SUBADMIN)
    yield
    unbind_caller(reset)


async def test_authorize_admin_answers_from_the_callers_live_facts_as_fresh_as_the_token(as_subadmin):
    servicer = Servicer(scoped_organisation())
    request = pb.AuthorizeAdminRequest(
        module=pb.ADMIN_MODULE_ASSIGNMENTS,
        target_role_id=NURSE,
        target_unit_id=SCHOOL,
        consistency_token=TOKEN,
    )
    assert (await servicer.AuthorizeAdmin(request, Context())).allowed
    request.target_role_id = str(uuid.uuid4())
    refused = await servicer.AuthorizeAdmin(request, Context())
    assert (refused.allowed, refused.field) == (False, "role_id")
    assert [t for t in servicer._live.tokens if t] == [TOKEN, TOKEN]


async def test_a_caller_the_facts_do_not_know_is_waited_for_then_unavailable_never_refused(as_subadmin):
    servicer = Servicer(AuthzModel(), wait=0.2)
    request = pb.AuthorizeAdminRequest(module=pb.ADMIN_MODULE_USERS)
    with pytest.raises(Unavailable, match="does not know this user"):
        await servicer.AuthorizeAdmin(request, Context())


async def test_a_question_without_a_module_is_invalid(as_subadmin):
    with pytest.raises(InvalidArgument):
        await Servicer(scoped_organisation()).AuthorizeAdmin(pb.AuthorizeAdminRequest(), Context())


def event(message, org_id: str = ORG):
    message.meta.org_id = org_id
    return message


def test_a_module_level_event_changes_that_organisations_level_only():
    model = AuthzModel()
    changed = events_pb2.ModuleLevelChanged(module=pb.ADMIN_MODULE_STUDENTS, level=pb.PERMISSION_LEVEL_ADMIN)
    assert apply_event(model, event(changed))
    assert module_levels(model.org(ORG))["students"] is PermissionLevel.ADMIN
    assert module_levels(model.org(str(uuid.uuid4())))["students"] is PermissionLevel.SUBADMIN


def test_a_scope_event_replaces_the_roles_whole_scope():
    model = scoped_organisation()
    other = str(uuid.uuid4())
    scope = events_pb2.SubadminScopeChanged(role_id=COORDINATOR, manageable_role_ids=[other])
    assert apply_event(model, event(scope))
    assert model.org(ORG).manageable_roles[COORDINATOR] == {other}


def test_a_level_this_version_does_not_know_admits_only_administrators():
    model = AuthzModel()
    changed = events_pb2.ModuleLevelChanged(module=pb.ADMIN_MODULE_STUDENTS, level=99)
    assert apply_event(model, event(changed))
    assert module_levels(model.org(ORG))["students"] is PermissionLevel.ADMIN


def test_a_module_this_version_does_not_know_is_skipped_and_other_events_are_left_to_others():
    model = AuthzModel()
    assert apply_event(
        model, event(events_pb2.ModuleLevelChanged(module=99, level=pb.PERMISSION_LEVEL_MEMBER))
    )
    assert module_levels(model.org(ORG)) == module_levels(AuthzModel().org(ORG))
    assert not apply_event(model, event(events_pb2.GrantChanged()))
