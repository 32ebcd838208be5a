"""The thin path through every service, over HTTP: a nurse, two schools, a journal, a revoke."""

import psycopg
import pytest

from deploy.local.demo import personnummer_for
from services.common.db import libpq_url
from tests.support.api import PASSWORD, free_text_note

ALVA = personnummer_for("20150312")
SAGA = personnummer_for("20080115")


@pytest.fixture(scope="module")
def school(tenant):
    """School A and B, the nurse role with read/write on the medical journal, and a nurse on school A."""
    a, b = tenant.unit("Sätraskolan"), tenant.unit("Björkhagens gymnasium")
    nurse_role, medical = tenant.role("Skolsköterska"), tenant.folder("Medicinsk journal")
    tenant.grant(nurse_role["id"], medical["id"])
    nurse, email = tenant.user(first_name="Sara", last_name="Lind")
    assignment = tenant.assign(nurse["id"], nurse_role["id"], a["id"])
    return {
        "a": a,
        "b": b,
        "role": nurse_role,
        "medical": medical,
        "nurse": nurse,
        "email": email,
        "assignment": assignment,
        "template": tenant.free_text_template("Hälsobesök"),
        "alva": tenant.student(a["id"], ALVA),
        "saga": tenant.student(b["id"], SAGA),
    }


def notes_path(student: dict, folder: dict) -> str:
    return f"/api/v1/students/{student['id']}/folders/{folder['id']}/notes"


def test_a_nurse_reads_her_schools_journal_and_is_refused_the_other_schools(api, tenant, school):
    nurse = api.login(school["email"])
    written = api.call(
        "POST",
        notes_path(school["alva"], school["medical"]),
        nurse,
        tenant.consistency,
        json=free_text_note(school["template"], "Längd 132 cm, vikt 29 kg.", event_date="2026-09-01"),
    )
    assert written.status_code == 201, written.text
    listed = api.call("GET", notes_path(school["alva"], school["medical"]), nurse)
    assert listed.status_code == 200
    [note] = listed.json()["notes"]
    assert (note["id"], note["rows"][0]["value"], note["author_id"]) == (
        written.json()["id"],
        "Längd 132 cm, vikt 29 kg.",
        school["nurse"]["id"],
    )
    refused = api.call("GET", notes_path(school["saga"], school["medical"]), nurse)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "Längd" not in refused.text


def test_the_access_log_has_the_read_and_the_refusal_with_their_trace_ids(api, stack, tenant, school):
    nurse = api.login(school["email"])
    read = api.call("GET", notes_path(school["alva"], school["medical"]), nurse)
    refused = api.call("GET", notes_path(school["saga"], school["medical"]), nurse)
    with psycopg.connect(libpq_url(stack.database_url)) as conn:
        rows = conn.execute(
            "SELECT student_id::text, outcome, trace_id FROM records.access_log WHERE trace_id = ANY(%s)",
            ([read.headers["x-trace-id"], refused.headers["x-trace-id"]],),
        ).fetchall()
    assert sorted(rows, key=lambda r: r[1]) == [
        (school["alva"]["id"], "allowed", read.headers["x-trace-id"]),
        (school["saga"]["id"], "denied", refused.headers["x-trace-id"]),
    ]


def test_after_a_revoke_a_read_with_its_token_is_denied_at_once(api, tenant, school):
    extra = tenant.assign(school["nurse"]["id"], school["role"]["id"], school["b"]["id"])
    nurse = api.login(school["email"])
    assert (
        api.call(
            "GET", notes_path(school["saga"], school["medical"]), nurse, extra["consistency_token"]
        ).status_code
        == 200
    )
    revoked = api.call("DELETE", f"/api/v1/assignments/{extra['id']}", tenant.admin)
    assert revoked.status_code == 200
    token = revoked.json()["consistency_token"]
    assert revoked.headers["consistency-token"] == token
    after = api.call("GET", notes_path(school["saga"], school["medical"]), nurse, token)
    assert after.status_code == 403


def test_a_time_bounded_assignment_gives_nothing_before_it_starts(api, tenant, school):
    future, email = tenant.user()
    tenant.assign(future["id"], school["role"]["id"], school["a"]["id"], valid_from="2099-01-01")
    reply = api.call(
        "GET", notes_path(school["alva"], school["medical"]), api.login(email), tenant.consistency
    )
    assert reply.status_code == 403


def test_an_all_units_assignment_reads_every_school(api, tenant, school):
    doctor, email = tenant.user()
    tenant.assign(doctor["id"], school["role"]["id"])
    token = api.login(email)
    for student in (school["alva"], school["saga"]):
        assert (
            api.call("GET", notes_path(student, school["medical"]), token, tenant.consistency).status_code
            == 200
        )


def test_login_gives_401_for_a_wrong_password_and_for_an_inactive_user(api, tenant):
    _, inactive = tenant.user(active=False)
    for email, password in [(tenant.admin_email, "wrong password"), (inactive, PASSWORD)]:
        reply = api.call("POST", "/api/v1/auth/token", json={"email": email, "password": password})
        assert reply.status_code == 401 and reply.headers["www-authenticate"] == "Bearer"
