"""The journal over HTTP: a nurse writes a note from a template, signs it, amends it and reads its history;
signed versions are immutable down to the database, and the folder's hash chain finds a change made behind
the service's back."""

import itertools
import uuid

import psycopg
import pytest

from tests.support.api import PASSWORD, Tenant
from tests.support.orgs import valid_personnummer

SERIALS = itertools.count(400)
HEALTH_VISIT = [
    {"heading": "Längd", "type": "length", "settings": {}, "required": True},
    {"heading": "Vikt", "type": "weight", "settings": {}, "required": True},
    {"heading": "Syn och hörsel", "type": "hearing_test", "settings": {}},
    {"heading": "Vaccinationer enligt program", "type": "yes_no", "settings": {}},
    {"heading": "Kost", "type": "single_choice", "settings": {"options": ["Allsidig", "Specialkost"]}},
    {
        "heading": "Besvär",
        "type": "multiple_choice",
        "settings": {"options": ["Huvudvärk", "Magont", "Sömn"]},
    },
    {"heading": "Puls", "type": "integer", "settings": {"min": 30, "max": 220, "unit": "slag/min"}},
    {"heading": "Bedömning", "type": "free_text", "settings": {"max_length": 2000}},
]


class Journal:
    """One school, a nurse who may sign, an assistant who may not, a student, a medical folder and a template."""

    def __init__(self, tenant: Tenant):
        self.tenant = tenant
        api = tenant.api
        self.unit = tenant.unit()
        role = tenant.role()
        self.folder = tenant.folder()
        tenant.grant(role["id"], self.folder["id"])
        nurse, nurse_email = tenant.user()
        assistant, assistant_email = tenant.user(may_sign_notes=False)
        for user in (nurse, assistant):
            tenant.assign(user["id"], role["id"], self.unit["id"])
        self.nurse_id, self.assistant_id = nurse["id"], assistant["id"]
        self.nurse = api.login(nurse_email)
        self.assistant = api.login(assistant_email)
        self.student = tenant.student(self.unit["id"], valid_personnummer(next(SERIALS)))
        self.template = tenant.create(
            "/api/v1/note-templates", {"name": f"Hälsobesök {uuid.uuid4().hex[:6]}", "rows": HEALTH_VISIT}
        )
        self.rows = {row["heading"]: row["id"] for row in self.template["version"]["rows"]}

    @property
    def notes_path(self) -> str:
        return f"/api/v1/students/{self.student['id']}/folders/{self.folder['id']}/notes"

    def body(self, **values) -> dict:
        given = {"Längd": 132.5, "Vikt": 29.1, **values}
        return {
            "template_id": self.template["id"],
            "event_date": "2026-11-20",
            "rows": [{"row_id": self.rows[heading], "value": value} for heading, value in given.items()],
        }

    def call(self, method: str, path: str, token: str, **kwargs):
        return self.tenant.api.call(method, path, token, self.tenant.consistency, **kwargs)

    def write(self, token: str | None = None, **values) -> dict:
        response = self.call("POST", self.notes_path, token or self.nurse, json=self.body(**values))
        assert response.status_code == 201, response.text
        return response.json()

    def sign(self, note: dict, token: str | None = None) -> dict:
        response = self.call("POST", f"/api/v1/notes/{note['id']}/sign", token or self.nurse)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def journal(tenant) -> Journal:
    return Journal(tenant)


def value_of(note: dict, heading: str):
    return next(row["value"] for row in note["rows"] if row["heading"] == heading)


def test_a_nurse_writes_a_note_from_a_template_with_typed_values(journal):
    hearing = {"left": {"1000": 10, "4000": 20}, "right": {"1000": 5, "4000": 15}}
    note = journal.write(
        **{
            "Syn och hörsel": hearing,
            "Vaccinationer enligt program": True,
            "Kost": "Allsidig",
            "Besvär": ["Huvudvärk", "Sömn"],
            "Puls": 72,
            "Bedömning": "Växer enligt kurvan.",
        }
    )
    assert note["state"] == "draft"
    assert note["version"] == 1
    assert note["template_id"] == journal.template["id"]
    assert value_of(note, "Längd") == 132.5
    assert value_of(note, "Puls") == 72
    assert value_of(note, "Besvär") == ["Huvudvärk", "Sömn"]
    assert value_of(note, "Syn och hörsel") == hearing
    assert [row["heading"] for row in note["rows"]] == [row["heading"] for row in HEALTH_VISIT]


def test_every_problem_of_a_body_is_listed_with_its_row(journal):
    body = journal.body(Längd=1000, Kost="Godis", Puls=72.5)
    response = journal.call("POST", journal.notes_path, journal.nurse, json=body)
    assert response.status_code == 422, response.text
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"rows[0].value", "rows[2].value", "rows[3].value"}
    missing = journal.body()
    missing["rows"] = missing["rows"][:1]
    response = journal.call("POST", journal.notes_path, journal.nurse, json=missing)
    assert response.status_code == 422
    assert [e["type"] for e in response.json()["errors"]] == ["required"]


def test_only_the_author_edits_a_draft_and_a_stale_etag_is_refused(journal):
    note = journal.write()
    path = f"/api/v1/notes/{note['id']}"
    body = {k: v for k, v in journal.body(Bedömning="Ändrad text").items() if k != "template_id"}
    response = journal.call("PUT", path, journal.assistant, json=body)
    assert response.status_code == 403
    response = journal.call(
        "PUT", path, journal.nurse, json=body, headers={"If-Match": f'"{note["revision"]}"'}
    )
    assert response.status_code == 200, response.text
    assert value_of(response.json(), "Bedömning") == "Ändrad text"
    assert response.headers["ETag"] == f'"{note["revision"] + 1}"'
    stale = journal.call("PUT", path, journal.nurse, json=body, headers={"If-Match": f'"{note["revision"]}"'})
    assert stale.status_code == 412


def test_signing_needs_the_flag_and_makes_the_note_immutable(journal):
    note = journal.write(token=journal.assistant)
    refused = journal.call("POST", f"/api/v1/notes/{note['id']}/sign", journal.assistant)
    assert refused.status_code == 403
    signed = journal.sign(note)
    assert signed["state"] == "signed"
    assert signed["signed_by"] == journal.nurse_id
    body = {k: v for k, v in journal.body().items() if k != "template_id"}
    edit = journal.call("PUT", f"/api/v1/notes/{note['id']}", journal.assistant, json=body)
    assert edit.status_code == 409
    delete = journal.call("DELETE", f"/api/v1/notes/{note['id']}", journal.assistant)
    assert delete.status_code == 409


def test_amending_a_signed_note_creates_a_new_version_and_keeps_the_history(journal):
    note = journal.sign(journal.write(Bedömning="Första bedömningen"))
    draft_amend = journal.call("POST", f"/api/v1/notes/{journal.write()['id']}/versions", journal.nurse)
    assert draft_amend.status_code == 409
    body = {
        k: v for k, v in journal.body(Bedömning="Rättad bedömning", Vikt=29.4).items() if k != "template_id"
    }
    amended = journal.call("POST", f"/api/v1/notes/{note['id']}/versions", journal.nurse, json=body)
    assert amended.status_code == 201, amended.text
    shown = amended.json()
    assert shown["pending_version"] == 2
    assert value_of(shown, "Bedömning") == "Första bedömningen"  # the signed text until the new one is signed
    changed = journal.sign(note)
    assert changed["state"] == "changed"
    assert changed["version"] == 2
    assert value_of(changed, "Bedömning") == "Rättad bedömning"
    history = journal.call("GET", f"/api/v1/notes/{note['id']}/history", journal.nurse).json()
    assert [v["version"] for v in history["versions"]] == [1, 2]
    assert all(
        v["signed"] and v["signed_by"] == journal.nurse_id and v["content_hash"] for v in history["versions"]
    )
    changes = {c["heading"]: (c["before"], c["after"]) for c in history["versions"][1]["changes"]}
    assert changes == {"Vikt": (29.1, 29.4), "Bedömning": ("Första bedömningen", "Rättad bedömning")}


def test_a_folder_is_read_page_by_page_with_unsigned_notes_marked(journal, tenant):
    student = tenant.student(journal.unit["id"], valid_personnummer(next(SERIALS)))
    path = f"/api/v1/students/{student['id']}/folders/{journal.folder['id']}/notes"
    written = []
    for day in range(1, 6):
        body = {**journal.body(), "event_date": f"2026-10-0{day}"}
        response = journal.call("POST", path, journal.nurse, json=body)
        written.append(response.json())
    journal.sign(written[0])
    seen, cursor = [], ""
    while True:
        page = journal.call("GET", path, journal.assistant, params={"limit": 2, "cursor": cursor}).json()
        seen.extend(page["notes"])
        if not page["next_cursor"]:
            break
        cursor = page["next_cursor"]
    assert [n["event_date"] for n in seen] == [f"2026-10-0{d}" for d in range(5, 0, -1)]
    assert [n["state"] for n in seen] == ["draft"] * 4 + ["signed"]
    signed_only = journal.call("GET", path, journal.assistant, params={"state": "signed"}).json()["notes"]
    assert [n["id"] for n in signed_only] == [written[0]["id"]]
    ranged = journal.call(
        "GET", path, journal.assistant, params={"from": "2026-10-02", "to": "2026-10-03"}
    ).json()
    assert {n["event_date"] for n in ranged["notes"]} == {"2026-10-02", "2026-10-03"}


def test_linked_notes_show_the_link_at_both_ends(journal):
    first = journal.sign(journal.write())
    follow_up = journal.write()
    response = journal.call(
        "POST", f"/api/v1/notes/{follow_up['id']}/links", journal.nurse, json={"follows_up": first["id"]}
    )
    assert response.status_code == 201, response.text
    assert [(link["note_id"], link["direction"], link["readable"]) for link in response.json()["links"]] == [
        (first["id"], "follows_up", True)
    ]
    far_end = journal.call("GET", f"/api/v1/notes/{first['id']}", journal.nurse).json()
    assert [(link["note_id"], link["direction"]) for link in far_end["links"]] == [
        (follow_up["id"], "followed_up_by")
    ]


def test_the_database_refuses_to_change_a_signed_version(journal, stack):
    note = journal.sign(journal.write())
    with psycopg.connect(stack.database_url) as conn:
        for statement in (
            "UPDATE records.note_rows SET value = '999' WHERE note_id = %s",
            "UPDATE records.note_versions SET event_date = '2020-01-01' WHERE note_id = %s",
            "DELETE FROM records.note_versions WHERE note_id = %s",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement, (note["id"],))
            conn.rollback()


def test_the_verify_endpoint_finds_a_row_changed_behind_the_services_back(journal, tenant, stack):
    student = tenant.student(journal.unit["id"], valid_personnummer(next(SERIALS)))
    path = f"/api/v1/students/{student['id']}/folders/{journal.folder['id']}"
    notes = []
    for _ in range(3):
        response = journal.call("POST", f"{path}/notes", journal.nurse, json=journal.body())
        notes.append(journal.sign(response.json()))
    intact = journal.call("GET", f"{path}/verify", journal.nurse).json()
    assert intact == {"intact": True, "signed_versions": 3, "breaks": []}
    with psycopg.connect(stack.database_url) as conn:
        conn.execute("SET session_replication_role = replica")  # as a superuser would: no triggers
        conn.execute(
            "UPDATE records.note_rows SET value = '140.0' WHERE note_id = %s AND heading = 'Längd'",
            (notes[1]["id"],),
        )
    broken = journal.call("GET", f"{path}/verify", journal.nurse).json()
    assert broken["intact"] is False
    assert [(b["note_id"], b["problem"]) for b in broken["breaks"]] == [
        (notes[1]["id"], "the content does not match its signed hash")
    ]


def test_another_organisations_notes_and_templates_are_not_found(journal, other_tenant):
    note = journal.write()
    stranger, email = other_tenant.user()
    token = other_tenant.api.login(email, PASSWORD)
    assert other_tenant.api.call("GET", f"/api/v1/notes/{note['id']}", token).status_code == 404
    assert (
        other_tenant.api.call("GET", f"/api/v1/note-templates/{journal.template['id']}", token).status_code
        == 404
    )
    body = {**journal.body(), "template_id": journal.template["id"]}
    unit = other_tenant.unit()
    student = other_tenant.student(unit["id"], valid_personnummer(next(SERIALS)))
    folder = other_tenant.folder()
    path = f"/api/v1/students/{student['id']}/folders/{folder['id']}/notes"
    response = other_tenant.api.call("POST", path, other_tenant.admin, other_tenant.consistency, json=body)
    assert response.status_code == 404
    assert response.json()["field"] == "template_id"


def test_the_templates_offered_are_the_menus_of_the_writers_grants(tenant, api):
    unit, folder = tenant.unit(), tenant.folder()
    nurse_role, counsellor_role = tenant.role(), tenant.role()
    rows = [{"heading": "Anteckning", "type": "free_text"}]
    visit = tenant.create("/api/v1/note-templates", {"name": f"Besök {uuid.uuid4().hex[:6]}", "rows": rows})
    talk = tenant.create("/api/v1/note-templates", {"name": f"Samtal {uuid.uuid4().hex[:6]}", "rows": rows})
    nurse_menu = tenant.create(
        "/api/v1/template-menus",
        {
            "name": f"Sköterska {uuid.uuid4().hex[:6]}",
            "items": [{"submenu": "Besök", "items": [{"template_id": visit["id"]}]}],
        },
    )
    counsellor_menu = tenant.create(
        "/api/v1/template-menus",
        {"name": f"Kurator {uuid.uuid4().hex[:6]}", "items": [{"template_id": talk["id"]}]},
    )
    for role, menu in ((nurse_role, nurse_menu), (counsellor_role, counsellor_menu)):
        tenant.create(
            f"/api/v1/user-roles/{role['id']}/grants/{folder['id']}",
            {"access": "read_write", "template_menu_id": menu["id"]},
            method="PUT",
        )
    nurse, email = tenant.user()
    tenant.assign(nurse["id"], nurse_role["id"], unit["id"])
    token = api.login(email)
    student = tenant.student(unit["id"], valid_personnummer(next(SERIALS)))
    path = f"/api/v1/students/{student['id']}/folders/{folder['id']}"
    offered = api.call("GET", f"{path}/templates", token, tenant.consistency).json()
    assert offered["any_template"] is False
    assert [m["id"] for m in offered["menus"]] == [nurse_menu["id"]]
    talk_row = talk["version"]["rows"][0]["id"]
    refused = api.call(
        "POST",
        f"{path}/notes",
        token,
        tenant.consistency,
        json={"template_id": talk["id"], "rows": [{"row_id": talk_row, "value": "Samtal"}]},
    )
    assert refused.status_code == 403
    tenant.assign(nurse["id"], counsellor_role["id"], unit["id"])
    offered = api.call("GET", f"{path}/templates", token, tenant.consistency).json()
    assert {m["id"] for m in offered["menus"]} == {nurse_menu["id"], counsellor_menu["id"]}
    allowed = api.call(
        "POST",
        f"{path}/notes",
        token,
        tenant.consistency,
        json={"template_id": talk["id"], "rows": [{"row_id": talk_row, "value": "Samtal"}]},
    )
    assert allowed.status_code == 201, allowed.text


def test_prefill_takes_the_latest_signed_value_the_writer_may_read(journal, tenant):
    source_row = journal.rows["Bedömning"]
    follow_up = tenant.create(
        "/api/v1/note-templates",
        {
            "name": f"Uppföljning {uuid.uuid4().hex[:6]}",
            "rows": [
                {
                    "heading": "Senaste bedömning",
                    "type": "free_text",
                    "prefill": {"template_id": journal.template["id"], "row_id": source_row},
                }
            ],
        },
    )
    student = tenant.student(journal.unit["id"], valid_personnummer(next(SERIALS)))
    path = f"/api/v1/students/{student['id']}/folders/{journal.folder['id']}"
    older = journal.call(
        "POST",
        f"{path}/notes",
        journal.nurse,
        json={**journal.body(Bedömning="Äldre"), "event_date": "2026-01-01"},
    )
    journal.sign(older.json())
    newer = journal.call(
        "POST",
        f"{path}/notes",
        journal.nurse,
        json={**journal.body(Bedömning="Senaste"), "event_date": "2026-06-01"},
    )
    journal.sign(newer.json())
    journal.call(
        "POST",
        f"{path}/notes",
        journal.nurse,
        json={**journal.body(Bedömning="Osignerad"), "event_date": "2026-09-01"},
    )
    prefill = journal.call("GET", f"{path}/templates/{follow_up['id']}/prefill", journal.nurse).json()
    assert [(r["row_id"], r["value"], r["source_note_id"]) for r in prefill["rows"]] == [
        (follow_up["version"]["rows"][0]["id"], "Senaste", newer.json()["id"])
    ]
    stranger, email = tenant.user()
    outsider = tenant.api.login(email)
    assert journal.call("GET", f"{path}/templates/{follow_up['id']}/prefill", outsider).json() == {"rows": []}
