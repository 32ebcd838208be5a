"""Over HTTP: the organisation's settings, whether a user may sign notes, and the template menu of a grant."""

import uuid

import pytest

from tests.support.api import Tenant

SETTINGS = "/api/v1/settings"


@pytest.fixture(scope="module")
def org(api, stack) -> Tenant:
    """An organisation of this module's own: its settings change here."""
    return Tenant(api, stack)


@pytest.fixture(scope="module")
def member(api, org) -> str:
    _, email = org.user()
    return api.login(email)


def assert_problem(reply, status: int, field: str | None = None) -> dict:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    body = reply.json()
    if field:
        assert body["field"] == field
    return body


def test_a_member_reads_the_settings_and_may_not_change_them(api, org, member):
    read = api.call("GET", SETTINGS, member)
    assert read.status_code == 200, read.text
    assert read.json() == {
        "prevent_editing_own_signed_notes": False,
        "subadmins_manage_templates": False,
        "memory_notes_allowed": False,
    }
    refused = api.call("PATCH", SETTINGS, member, json={"subadmins_manage_templates": True})
    assert_problem(refused, 403)
    assert api.call("GET", SETTINGS, org.admin).json()["subadmins_manage_templates"] is False


def test_an_administrator_changes_the_settings_given_and_members_see_the_change(api, org, member):
    changed = api.call("PATCH", SETTINGS, org.admin, json={"prevent_editing_own_signed_notes": True})
    assert changed.status_code == 200, changed.text
    assert changed.json() == {
        "prevent_editing_own_signed_notes": True,
        "subadmins_manage_templates": False,
        "memory_notes_allowed": False,
    }
    unchanged = api.call("PATCH", SETTINGS, org.admin, json={})
    assert unchanged.json() == changed.json()
    assert api.call("GET", SETTINGS, member).json() == changed.json()


def test_another_organisation_keeps_its_own_settings(api, org, other_tenant):
    api.call("PATCH", SETTINGS, org.admin, json={"subadmins_manage_templates": True})
    assert api.call("GET", SETTINGS, other_tenant.admin).json()["subadmins_manage_templates"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [({"colour": "blue"}, "colour"), ({"subadmins_manage_templates": "yes"}, "subadmins_manage_templates")],
    ids=["unknown-field", "not-a-boolean"],
)
def test_a_settings_body_the_api_does_not_describe_is_refused_naming_the_field(api, org, body, field):
    before = api.call("GET", SETTINGS, org.admin).json()
    assert_problem(api.call("PATCH", SETTINGS, org.admin, json=body), 422, field)
    assert api.call("GET", SETTINGS, org.admin).json() == before


def test_a_user_may_sign_notes_unless_created_otherwise(api, org):
    signing, _ = org.user()
    silent, _ = org.user(may_sign_notes=False)
    assert (signing["may_sign_notes"], silent["may_sign_notes"]) == (True, False)
    assert api.call("GET", f"/api/v1/users/{silent['id']}", org.admin).json()["may_sign_notes"] is False


def test_an_administrator_changes_whether_a_user_may_sign(api, org):
    user, _ = org.user()
    path = f"/api/v1/users/{user['id']}"
    changed = api.call("PATCH", path, org.admin, json={"may_sign_notes": False})
    assert changed.status_code == 200, changed.text
    assert changed.json()["may_sign_notes"] is False and changed.json()["consistency_token"]
    assert changed.headers["consistency-token"] == changed.json()["consistency_token"]
    assert api.call("GET", path, org.admin).json()["may_sign_notes"] is False


def test_a_member_may_not_change_whether_a_user_may_sign(api, org, member):
    user, _ = org.user()
    assert_problem(
        api.call("PATCH", f"/api/v1/users/{user['id']}", member, json={"may_sign_notes": False}), 403
    )
    assert api.call("GET", f"/api/v1/users/{user['id']}", org.admin).json()["may_sign_notes"] is True


def test_a_user_change_names_only_what_may_be_changed_and_users_of_the_organisation(api, org, other_tenant):
    user, _ = org.user()
    path = f"/api/v1/users/{user['id']}"
    assert_problem(api.call("PATCH", path, org.admin, json={"active": False}), 422, "active")
    assert_problem(api.call("PATCH", path, org.admin, json={"may_sign_notes": 0}), 422, "may_sign_notes")
    theirs, _ = other_tenant.user()
    refused = api.call("PATCH", f"/api/v1/users/{theirs['id']}", org.admin, json={"may_sign_notes": False})
    assert_problem(refused, 404, "user_id")
    assert api.call("GET", path, org.admin).json()["active"] is True


def test_a_grant_names_no_template_menu_or_one_authorization_knows(api, org):
    role, folder = org.role(), org.folder()
    path = f"/api/v1/user-roles/{role['id']}/grants/{folder['id']}"
    granted = org.grant(role["id"], folder["id"])
    assert granted["template_menu_id"] is None
    unknown = api.call(
        "PUT",
        path,
        org.admin,
        org.consistency,
        json={"access": "read", "template_menu_id": str(uuid.uuid4())},
    )
    assert_problem(unknown, 404, "template_menu_id")
    listed = api.call("GET", "/api/v1/grants", org.admin).json()["grants"]
    assert [(g["access"], g["template_menu_id"]) for g in listed] == [("read_write", None)]
