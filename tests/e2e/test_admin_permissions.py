"""Over HTTP: administrative permissions decided by authz from live facts: subadmin scopes on assignments, a
demotion that counts at once, module levels an administrator changes, and no way to lock administrators out."""

import pytest

from services.common.consistency import merge_tokens
from tests.support.api import Tenant

MODULE_LEVELS = "/api/v1/module-levels"


def scope_path(role_id: str) -> str:
    return f"/api/v1/user-roles/{role_id}/manageable-roles"


def problem(reply, status: int) -> dict:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    return reply.json()


@pytest.fixture
def org(api, stack) -> Tenant:
    """An organisation of this test's own: its module levels and scopes change here."""
    return Tenant(api, stack)


@pytest.fixture
def scoped(api, org) -> dict:
    """Schools A and B; a subadmin coordinating on school A, whose coordinator role manages school nurses."""
    a, b = org.unit("Skola A"), org.unit("Skola B")
    nurse, doctor = org.role("Skolsköterska"), org.role("Skolläkare")
    coordinator = org.role("Elevhälsosamordnare")
    subadmin, email = org.user(permission_level="subadmin")
    org.assign(subadmin["id"], coordinator["id"], a["id"])
    org.create(scope_path(coordinator["id"]), {"manageable_role_ids": [nurse["id"]]}, method="PUT")
    employee, _ = org.user()
    return {
        "a": a,
        "b": b,
        "nurse": nurse,
        "doctor": doctor,
        "coordinator": coordinator,
        "subadmin": subadmin,
        "token": api.login(email),
        "employee": employee,
    }


def give(api, org, s: dict, role: str, unit: str | None, token: str | None = None):
    target = {"unit_id": s[unit]["id"]} if unit else {"all_units": True}
    body = {"role_id": s[role]["id"], **target}
    path = f"/api/v1/users/{s['employee']['id']}/assignments"
    return api.call("POST", path, token or s["token"], org.consistency, json=body)


def test_a_subadmin_gives_nurse_assignments_on_their_school_and_nothing_else(api, org, scoped):
    s = scoped
    given = give(api, org, s, "nurse", "a")
    assert given.status_code == 201, given.text
    doctor = problem(give(api, org, s, "doctor", "a"), 403)
    assert doctor["field"] == "role_id" and "Skolläkare" in doctor["detail"]
    elsewhere = problem(give(api, org, s, "nurse", "b"), 403)
    assert elsewhere["field"] == "unit_id" and "Skola B" in elsewhere["detail"]
    everywhere = problem(give(api, org, s, "nurse", None), 403)
    assert everywhere["field"] == "all_units"
    held = api.call("GET", f"/api/v1/users/{s['employee']['id']}/assignments", org.admin).json()
    assert [(x["role_id"], x["unit_id"]) for x in held["assignments"]] == [(s["nurse"]["id"], s["a"]["id"])]


def test_the_subadmin_ends_the_nurse_assignment_they_gave(api, org, scoped):
    given = give(api, org, scoped, "nurse", "a").json()
    ended = api.call("DELETE", f"/api/v1/assignments/{given['id']}", scoped["token"], org.consistency)
    assert ended.status_code == 200, ended.text


def test_a_demoted_subadmin_is_refused_at_the_next_call_carrying_the_demotions_token(api, org, scoped):
    s = scoped
    demoted = api.call(
        "PATCH", f"/api/v1/users/{s['subadmin']['id']}", org.admin, json={"permission_level": "member"}
    )
    assert demoted.status_code == 200, demoted.text
    assert demoted.json()["permission_level"] == "member"
    token = merge_tokens([org.consistency, demoted.json()["consistency_token"]])
    body = {"role_id": s["nurse"]["id"], "unit_id": s["a"]["id"]}
    path = f"/api/v1/users/{s['employee']['id']}/assignments"
    # The subadmin's access token, issued before the demotion, still says "subadmin" for 15 minutes.
    refused = problem(api.call("POST", path, s["token"], token, json=body), 403)
    assert "member" in refused["detail"]


def test_a_subadmin_may_not_promote_anyone_to_administrator(api, org, scoped):
    refused = api.call(
        "PATCH",
        f"/api/v1/users/{scoped['employee']['id']}",
        scoped["token"],
        org.consistency,
        json={"permission_level": "admin"},
    )
    assert problem(refused, 403)["field"] == "permission_level"


def test_an_administrator_raises_the_students_module_and_a_subadmins_student_change_is_refused(
    api, org, scoped
):
    s = scoped
    body = {"unit_id": s["a"]["id"], "personnummer": "201503122382", "first_name": "Alva", "last_name": "A"}
    created = api.call("POST", "/api/v1/students", s["token"], org.consistency, json=body)
    assert created.status_code == 201, created.text
    raised = api.call("PATCH", MODULE_LEVELS, org.admin, json={"levels": {"students": "admin"}})
    assert raised.status_code == 200, raised.text
    assert raised.json()["levels"]["students"] == "admin"
    change = api.call(
        "PATCH",
        f"/api/v1/students/{created.json()['id']}",
        s["token"],
        raised.json()["consistency_token"],
        json={"first_name": "Alvina"},
    )
    assert "students module" in problem(change, 403)["detail"]
    listed = api.call("GET", MODULE_LEVELS, org.admin, raised.json()["consistency_token"])
    assert listed.json()["levels"]["students"] == "admin"


def test_an_organisation_cannot_lock_its_administrators_out_of_module_levels(api, org):
    refused = api.call("PATCH", MODULE_LEVELS, org.admin, json={"levels": {"module_levels": "subadmin"}})
    assert problem(refused, 422)["field"] == "levels.module_levels"
    assert api.call("GET", MODULE_LEVELS, org.admin).json()["levels"]["module_levels"] == "admin"


def test_a_subadmin_reads_no_module_levels_and_widens_no_scope(api, org, scoped):
    assert api.call("GET", MODULE_LEVELS, scoped["token"]).status_code == 403
    widen = {"manageable_role_ids": [scoped["doctor"]["id"]]}
    path = scope_path(scoped["coordinator"]["id"])
    assert api.call("PUT", path, scoped["token"], org.consistency, json=widen).status_code == 403
    assert api.call("GET", path, org.admin).json()["manageable_role_ids"] == [scoped["nurse"]["id"]]


def test_roles_of_another_organisation_are_not_found(api, org, scoped, other_tenant):
    theirs = other_tenant.role("Deras roll")
    ours = scoped["nurse"]["id"]
    assert api.call("GET", scope_path(theirs["id"]), org.admin).status_code == 404
    put_theirs = api.call(
        "PUT", scope_path(theirs["id"]), org.admin, org.consistency, json={"manageable_role_ids": [ours]}
    )
    put_ours = api.call(
        "PUT", scope_path(ours), org.admin, org.consistency, json={"manageable_role_ids": [theirs["id"]]}
    )
    assert (put_theirs.status_code, put_ours.status_code) == (404, 404)
    body = {"role_id": theirs["id"], "unit_id": scoped["a"]["id"]}
    path = f"/api/v1/users/{scoped['employee']['id']}/assignments"
    assert api.call("POST", path, org.admin, org.consistency, json=body).status_code == 404
