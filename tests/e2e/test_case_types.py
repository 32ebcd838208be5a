"""Case types through the gateway over HTTP: administered in records, read by every member."""

import uuid

import pytest

from deploy.local.demo import Seeder
from deploy.local.demo_cases import seed_case_types
from tests.support.api import Tenant


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


def create(tenant: Tenant, **body) -> dict:
    return tenant.create("/api/v1/case-types", body)


def member(tenant: Tenant) -> str:
    role = tenant.role()
    user, email = tenant.user()
    tenant.assign(user["id"], role["id"])
    return tenant.api.login(email)


def listed(api, token: str, ids: set[str], **params) -> list[str]:
    reply = api.call("GET", "/api/v1/case-types", token, params=params)
    assert reply.status_code == 200, reply.text
    return [c["name"] for c in reply.json()["case_types"] if c["id"] in ids]


def assert_problem(reply, status: int, field: str | None = None) -> None:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    if field:
        assert reply.json()["field"] == field


def test_an_administrator_creates_changes_and_deactivates_case_types_that_members_read(api, tenant):
    folder = tenant.folder(unique("Elevakt"))
    menu = tenant.create("/api/v1/template-menus", {"name": unique("Ärendemeny"), "items": []})
    linked = create(
        tenant,
        name=unique("Elevhälsoärende"),
        student_linked=True,
        folder_id=folder["id"],
        template_menu_id=menu["id"],
    )
    unit = create(tenant, name=unique("Enhetsärende"), student_linked=False, folder_id=folder["id"])
    assert (linked["student_linked"], linked["folder_id"], linked["template_menu_id"], linked["active"]) == (
        True,
        folder["id"],
        menu["id"],
        True,
    )
    assert unit["template_menu_id"] is None

    path = f"/api/v1/case-types/{linked['id']}"
    changed = api.call(
        "PATCH", path, tenant.admin, tenant.consistency, json={"active": False, "template_menu_id": None}
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["active"], changed.json()["template_menu_id"], changed.json()["name"]) == (
        False,
        None,
        linked["name"],
    )

    reader = member(tenant)
    ids = {linked["id"], unit["id"]}
    assert sorted(listed(api, reader, ids)) == sorted([linked["name"], unit["name"]])
    assert listed(api, reader, ids, active="true") == [unit["name"]]
    assert listed(api, reader, ids, active="false") == [linked["name"]]
    read = api.call("GET", path, reader)
    assert read.status_code == 200 and read.json()["active"] is False


def test_a_member_may_not_create_or_change_a_case_type(api, tenant):
    folder = tenant.folder()
    case_type = create(tenant, name=unique("Ärende"), student_linked=True, folder_id=folder["id"])
    reader = member(tenant)
    body = {"name": unique("Annat"), "student_linked": False, "folder_id": folder["id"]}
    assert_problem(api.call("POST", "/api/v1/case-types", reader, json=body), 403)
    patch = api.call("PATCH", f"/api/v1/case-types/{case_type['id']}", reader, json={"active": False})
    assert_problem(patch, 403)


def test_an_unknown_or_foreign_folder_or_menu_is_404_and_a_taken_name_409(api, tenant, other_tenant):
    folder = tenant.folder()
    foreign = other_tenant.folder()
    name = unique("Elevhälsoärende")
    create(tenant, name=name, student_linked=True, folder_id=folder["id"])
    for body, field in [
        ({"folder_id": str(uuid.uuid4())}, "folder_id"),
        ({"folder_id": foreign["id"]}, "folder_id"),
        ({"folder_id": folder["id"], "template_menu_id": str(uuid.uuid4())}, "template_menu_id"),
    ]:
        reply = api.call(
            "POST",
            "/api/v1/case-types",
            tenant.admin,
            json={"name": unique("X"), "student_linked": True, **body},
        )
        assert_problem(reply, 404, field)
    taken = {"name": name.upper(), "student_linked": False, "folder_id": folder["id"]}
    assert_problem(api.call("POST", "/api/v1/case-types", tenant.admin, json=taken), 409, "name")


def test_another_organisations_or_an_unknown_case_type_is_404(api, tenant, other_tenant):
    foreign = create(
        other_tenant, name=unique("Ärende"), student_linked=True, folder_id=other_tenant.folder()["id"]
    )
    for case_type_id in (foreign["id"], str(uuid.uuid4()), "nope"):
        path = f"/api/v1/case-types/{case_type_id}"
        assert_problem(api.call("GET", path, tenant.admin), 404)
        assert_problem(api.call("PATCH", path, tenant.admin, json={"active": False}), 404)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "Elev\u0000ärende"}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "   "}, "name"),
        ({"student_linked": "yes"}, "student_linked"),
        ({"student_linked": 1}, "student_linked"),
        ({"folder_id": 42}, "folder_id"),
        ({"folder_id": "not-a-uuid"}, "folder_id"),
        ({"template_menu_id": "nope"}, "template_menu_id"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_input_is_422_naming_the_field(api, tenant, body, field):
    folder = tenant.folder()
    valid = {"name": unique("Ärende"), "student_linked": True, "folder_id": folder["id"]}
    assert_problem(api.call("POST", "/api/v1/case-types", tenant.admin, json=valid | body), 422, field)
    case_type = create(tenant, **valid)
    patch = api.call("PATCH", f"/api/v1/case-types/{case_type['id']}", tenant.admin, json=body)
    assert_problem(patch, 422, field)


def test_the_demo_case_types_seed_over_the_api_once(api, stack):
    fresh = Tenant(api, stack)
    seeder = Seeder(api.http, token=fresh.admin)
    folder = fresh.folder("Elevakt")
    menu = fresh.create("/api/v1/template-menus", {"name": "Elevakt", "items": []})
    seeded = seed_case_types(seeder, {"Elevakt": folder["id"]}, {"Elevakt": menu["id"]})
    assert seed_case_types(seeder, {"Elevakt": folder["id"]}, {"Elevakt": menu["id"]}) == seeded
    listed = api.call("GET", "/api/v1/case-types", fresh.admin).json()["case_types"]
    assert [(c["name"], c["student_linked"], c["folder_id"]) for c in listed] == [
        ("Elevhälsoärende", True, folder["id"]),
        ("Enhetsärende", False, folder["id"]),
    ]
