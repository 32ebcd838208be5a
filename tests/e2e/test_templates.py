"""Note templates, template menus, the address book and contact types through the gateway over HTTP."""

import uuid

import pytest

from deploy.local.demo import Seeder
from deploy.local.demo_templates import seed_templates
from tests.support.api import Tenant

HALSOBESOK = {
    "name": "Hälsobesök åk 4",
    "rows": [
        {"heading": "Längd", "type": "length", "required": True},
        {"heading": "Vikt", "type": "weight", "settings": {"min": 15, "max": 80}},
        {
            "heading": "Hörseltest",
            "type": "hearing_test",
            "settings": {"frequencies": [500, 1000, 2000, 4000]},
        },
        {"heading": "Glasögon", "type": "yes_no"},
        {
            "heading": "Kost",
            "type": "multiple_choice",
            "settings": {"options": ["Frukost", "Lunch", "Middag"]},
        },
        {"heading": "Puls", "type": "integer", "settings": {"min": 30, "max": 250, "unit": "slag/min"}},
        {"heading": "Remiss till", "type": "recipient"},
        {"heading": "Anteckning", "type": "free_text", "help_text": "Fritt"},
    ],
}


@pytest.fixture(scope="module")
def member(tenant):
    """A logged-in member without any grant: configuration is still readable."""
    user, email = tenant.user()
    return tenant.api.login(email)


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


def test_an_administrator_writes_a_template_and_every_member_reads_it(api, tenant, member):
    body = {**HALSOBESOK, "name": unique("Hälsobesök åk 4")}
    created = tenant.create("/api/v1/note-templates", body)
    assert (created["status"], created["current_version"]) == ("active", 1)
    version = created["version"]
    assert version["id"] == created["current_version_id"] and version["in_use"] is False
    assert [(r["heading"], r["type"]) for r in version["rows"]] == [
        (r["heading"], r["type"]) for r in body["rows"]
    ]
    settings = {r["heading"]: r["settings"] for r in version["rows"]}
    assert settings["Längd"] == {"min": 30, "max": 250}
    assert settings["Puls"] == {"min": 30, "max": 250, "unit": "slag/min"}
    assert settings["Anteckning"] == {"max_length": 20000}
    assert version["rows"][0]["required"] and version["rows"][0]["prefill"] is None

    read = api.call("GET", f"/api/v1/note-templates/{created['id']}", member)
    assert read.status_code == 200 and read.json()["version"] == version
    listed = api.call("GET", "/api/v1/note-templates", member).json()["templates"]
    assert created["id"] in {t["id"] for t in listed} and "version" not in listed[0]
    refused = api.call("POST", "/api/v1/note-templates", member, json={**body, "name": unique("X")})
    assert refused.status_code == 403


def test_an_edit_keeps_row_ids_and_a_prefill_names_a_row_of_the_template(api, tenant):
    doctor = tenant.create(
        "/api/v1/note-templates",
        {"name": unique("Läkarbesök"), "rows": [{"heading": "Anamnes", "type": "free_text"}]},
    )
    rows = doctor["version"]["rows"]
    assessment = {"heading": "Bedömning", "type": "free_text"}
    edited = tenant.create(
        f"/api/v1/note-templates/{doctor['id']}",
        {
            "name": doctor["name"],
            "rows": [{"id": rows[0]["id"], "heading": "Anamnes", "type": "free_text"}, assessment],
        },
        method="PUT",
    )
    assert edited["current_version"] == 1 and edited["version"]["rows"][0]["id"] == rows[0]["id"]
    new_row = edited["version"]["rows"][1]
    prefill = {"template_id": doctor["id"], "row_id": new_row["id"]}
    with_prefill = [
        {"id": r["id"], "heading": r["heading"], "type": r["type"]} for r in edited["version"]["rows"]
    ]
    with_prefill[1]["prefill"] = prefill
    saved = tenant.create(
        f"/api/v1/note-templates/{doctor['id']}", {"name": doctor["name"], "rows": with_prefill}, method="PUT"
    )
    assert saved["version"]["rows"][1]["prefill"] == prefill
    old = api.call("GET", f"/api/v1/note-templates/{doctor['id']}?version=1", tenant.admin)
    assert old.status_code == 200 and old.json()["version"]["version"] == 1
    assert (
        api.call("GET", f"/api/v1/note-templates/{doctor['id']}?version=2", tenant.admin).status_code == 404
    )


def test_a_template_with_many_problems_gets_one_422_listing_them_all(api, tenant):
    body = {
        "name": " ",
        "rows": [
            {"heading": "", "type": "free_text", "settings": {"max_length": 0}},
            {"heading": "Samtalsform", "type": "single_choice", "settings": {"options": []}},
            {"heading": "Puls", "type": "integer", "settings": {"min": 120.5, "colour": "röd"}},
            {"heading": "Hörsel", "type": "hearing_test", "settings": {"frequencies": [600]}},
            {
                "heading": "Bedömning",
                "type": "free_text",
                "prefill": {"template_id": str(uuid.uuid4()), "row_id": str(uuid.uuid4())},
            },
        ],
    }
    reply = api.call("POST", "/api/v1/note-templates", tenant.admin, json=body)
    assert reply.status_code == 422 and reply.headers["content-type"] == "application/problem+json"
    problem = reply.json()
    assert [(e["field"], e["type"]) for e in problem["errors"]] == [
        ("name", "required"),
        ("rows[0].heading", "required"),
        ("rows[0].settings.max_length", "range"),
        ("rows[1].settings.options", "range"),
        ("rows[2].settings.colour", "shape"),
        ("rows[2].settings.min", "type"),
        ("rows[3].settings.frequencies[0]", "frequency"),
        ("rows[4].prefill", "prefill"),
    ]
    assert problem["field"] == "name" and "(and 7 more)" in problem["detail"]
    assert all(e["message"] for e in problem["errors"])


def test_a_body_of_the_wrong_shape_is_refused_by_the_schema(api, tenant):
    reply = api.call(
        "POST",
        "/api/v1/note-templates",
        tenant.admin,
        json={"name": "X", "rows": [{"heading": "A", "type": "colour"}]},
    )
    assert reply.status_code == 422 and reply.json()["field"] == "rows.0.type"


def test_a_menu_offers_templates_in_submenus_and_refuses_retired_ones(api, tenant, member):
    visit = tenant.create("/api/v1/note-templates", {**HALSOBESOK, "name": unique("Hälsobesök")})
    referral = tenant.create(
        "/api/v1/note-templates",
        {"name": unique("Remiss"), "rows": [{"heading": "Mottagare", "type": "recipient", "required": True}]},
    )
    items = [
        {"template_id": visit["id"]},
        {"submenu": "Remisser", "items": [{"template_id": referral["id"]}]},
    ]
    reply = api.call(
        "POST", "/api/v1/template-menus", tenant.admin, json={"name": unique("Skolsköterska"), "items": items}
    )
    assert reply.status_code == 201
    menu = reply.json()
    assert menu["consistency_token"] and reply.headers["consistency-token"] == menu["consistency_token"]
    summary = {"status": "active", "current_version": 1}
    assert menu["items"] == [
        {
            "template": {
                "id": visit["id"],
                "name": visit["name"],
                "current_version_id": visit["current_version_id"],
                **summary,
            }
        },
        {
            "submenu": "Remisser",
            "items": [
                {
                    "template": {
                        "id": referral["id"],
                        "name": referral["name"],
                        "current_version_id": referral["current_version_id"],
                        **summary,
                    }
                }
            ],
        },
    ]
    read = api.call("GET", f"/api/v1/template-menus/{menu['id']}", member).json()
    assert read["items"] == menu["items"]

    retired = api.call("POST", f"/api/v1/note-templates/{referral['id']}/retire", tenant.admin)
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    listed = api.call("GET", "/api/v1/note-templates", tenant.admin).json()["templates"]
    assert referral["id"] not in {t["id"] for t in listed}
    again = api.call("GET", "/api/v1/note-templates?include_retired=true", tenant.admin).json()["templates"]
    assert referral["id"] in {t["id"] for t in again}
    refused = api.call(
        "POST",
        "/api/v1/template-menus",
        tenant.admin,
        json={"name": unique("Ny"), "items": [{"template_id": referral["id"]}]},
    )
    assert refused.status_code == 422
    assert [(e["field"], e["type"]) for e in refused.json()["errors"]] == [
        ("items[0].template_id", "retired")
    ]
    kept = api.call(
        "PUT",
        f"/api/v1/template-menus/{menu['id']}",
        tenant.admin,
        json={"name": menu["name"], "items": items},
    )
    assert kept.status_code == 200 and kept.json()["items"][1]["items"][0]["template"]["status"] == "retired"


def test_a_menu_too_deep_or_naming_unknown_templates_lists_every_problem(api, tenant):
    deep: list = [{"submenu": "6", "items": []}]
    for level in range(5, 0, -1):
        deep = [{"submenu": str(level), "items": deep}]
    body = {
        "name": unique("Meny"),
        "items": [{"template_id": str(uuid.uuid4())}, {"submenu": " ", "items": []}, *deep],
    }
    reply = api.call("POST", "/api/v1/template-menus", tenant.admin, json=body)
    assert reply.status_code == 422
    assert [(e["field"], e["type"]) for e in reply.json()["errors"]] == [
        ("items[0].template_id", "unknown"),
        ("items[1].submenu", "required"),
        ("items[2].items[0].items[0].items[0].items[0].items[0]", "range"),
    ]


def test_the_address_book_and_contact_types_are_kept_by_administrators(api, tenant, member):
    entry = tenant.create(
        "/api/v1/address-book",
        {
            "name": unique("BUP Stockholm"),
            "organisation": "Region Stockholm",
            "address": "Box 1\n111 11 Stockholm",
        },
    )
    assert entry["active"] and entry["address"] == "Box 1\n111 11 Stockholm"
    listed = api.call("GET", "/api/v1/address-book", member).json()["entries"]
    assert entry["id"] in {e["id"] for e in listed}
    assert (
        api.call("POST", "/api/v1/address-book", member, json={"name": "X", "address": "Y"}).status_code
        == 403
    )
    gone = api.call("DELETE", f"/api/v1/address-book/{entry['id']}", tenant.admin)
    assert gone.status_code == 200 and gone.json()["active"] is False
    assert entry["id"] not in {
        e["id"] for e in api.call("GET", "/api/v1/address-book", member).json()["entries"]
    }
    everything = api.call("GET", "/api/v1/address-book?include_inactive=true", member).json()["entries"]
    assert entry["id"] in {e["id"] for e in everything}

    name = unique("Besök")
    visit = tenant.create("/api/v1/contact-types", {"name": name})
    assert visit["active"] and visit["position"] >= 0
    taken = api.call("POST", "/api/v1/contact-types", tenant.admin, json={"name": name})
    assert taken.status_code == 409 and taken.json()["field"] == "name"
    changed = tenant.create(
        f"/api/v1/contact-types/{visit['id']}", {"name": name, "active": False, "position": 7}, method="PUT"
    )
    assert (changed["active"], changed["position"]) == (False, 7)
    assert visit["id"] not in {
        c["id"] for c in api.call("GET", "/api/v1/contact-types", member).json()["contact_types"]
    }


def test_another_organisations_configuration_is_not_found(api, tenant, other_tenant):
    template = other_tenant.create("/api/v1/note-templates", {**HALSOBESOK, "name": unique("Deras")})
    menu = other_tenant.create(
        "/api/v1/template-menus", {"name": unique("Deras"), "items": [{"template_id": template["id"]}]}
    )
    entry = other_tenant.create("/api/v1/address-book", {"name": "BUP", "address": "Box 1"})
    kind = other_tenant.create("/api/v1/contact-types", {"name": unique("Besök")})
    for method, path, body, field in [
        ("GET", f"/api/v1/note-templates/{template['id']}", None, "template_id"),
        ("PUT", f"/api/v1/note-templates/{template['id']}", HALSOBESOK, "template_id"),
        ("POST", f"/api/v1/note-templates/{template['id']}/retire", None, "template_id"),
        ("GET", f"/api/v1/template-menus/{menu['id']}", None, "menu_id"),
        ("PUT", f"/api/v1/template-menus/{menu['id']}", {"name": "X", "items": []}, "menu_id"),
        ("PUT", f"/api/v1/address-book/{entry['id']}", {"name": "X", "address": "Y"}, "entry_id"),
        ("DELETE", f"/api/v1/address-book/{entry['id']}", None, "entry_id"),
        ("PUT", f"/api/v1/contact-types/{kind['id']}", {"name": "X"}, "contact_type_id"),
    ]:
        reply = api.call(method, path, tenant.admin, json=body)
        assert (reply.status_code, reply.json().get("field")) == (404, field), (method, path)
    theirs = api.call(
        "POST",
        "/api/v1/template-menus",
        tenant.admin,
        json={"name": unique("Min"), "items": [{"template_id": template["id"]}]},
    )
    assert [(e["field"], e["type"]) for e in theirs.json()["errors"]] == [("items[0].template_id", "unknown")]


def test_the_demo_configuration_seeds_over_the_api(api, stack):
    fresh = Tenant(api, stack)
    seeded = seed_templates(Seeder(api.http, token=fresh.admin))
    assert list(seeded["contact_types"]) == ["Besök", "Telefon", "Digitalt möte", "Brev"]
    assert set(seeded["menus"]) == {
        "Skolsköterska – Medicinsk journal",
        "Skolläkare – Medicinsk journal",
        "Kurator – Kuratorsakt",
        "Psykolog – Psykologjournal",
        "Elevakt",
    }
    doctor = api.call(
        "GET", f"/api/v1/note-templates/{seeded['templates']['Läkarbesök']}", fresh.admin
    ).json()
    [assessment] = [row for row in doctor["version"]["rows"] if row["heading"] == "Bedömning"]
    assert assessment["prefill"] == {"template_id": doctor["id"], "row_id": assessment["id"]}
    nurse_menu = api.call(
        "GET", f"/api/v1/template-menus/{seeded['menus']['Skolsköterska – Medicinsk journal']}", fresh.admin
    )
    assert [item.get("submenu") for item in nurse_menu.json()["items"]] == [None, None, "Remisser"]
