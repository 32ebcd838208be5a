"""The user's live state decides: an active user at their current level, anyone else refused."""

import pytest
from elevhalsa.records.v1 import records_pb2 as rpb

from services.common.auth import Caller, PermissionLevel
from services.common.callers import caller_key, with_live_state
from services.common.errors import Unauthenticated
from services.common.grpc_server import consistency_token_of

ORG = "00000000-0000-0000-0000-00000000000a"
USER = "00000000-0000-0000-0000-000000000001"
ADMIN = Caller(user_id=USER, org_id=ORG, permission_level=PermissionLevel.ADMIN, token="t")


def test_an_active_user_keeps_their_level():
    assert with_live_state(ADMIN, True, "admin") == ADMIN


def test_a_demoted_user_is_bound_at_their_live_level_with_the_same_token():
    live = with_live_state(ADMIN, True, "member")
    assert live.permission_level is PermissionLevel.MEMBER
    assert (live.user_id, live.org_id, live.token) == (USER, ORG, "t")


@pytest.mark.parametrize("active, level", [(False, "admin"), (None, None), (True, ""), (True, "owner")])
def test_an_inactive_unknown_or_unrecognisable_user_is_refused(active, level):
    with pytest.raises(Unauthenticated, match="the user is not active"):
        with_live_state(ADMIN, active, level)


def test_a_token_naming_no_uuid_names_no_user():
    with pytest.raises(Unauthenticated):
        caller_key(Caller(user_id="u", org_id=ORG, permission_level=PermissionLevel.ADMIN, token="t"))


def test_the_live_lookup_gets_the_request_s_consistency_token_when_it_has_one():
    assert consistency_token_of(rpb.GetStudentRequest(student_id="s", consistency_token="ct1.x")) == "ct1.x"
    assert consistency_token_of(rpb.CreateFolderRequest(name="Mapp")) == ""
    assert consistency_token_of(object()) == ""
