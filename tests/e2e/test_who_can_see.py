"""Who can see a student's folder, and why a user may or may not, over HTTP: administrators and readers of the
folder get the people with their assignments and grants (and the question is in the access log), others 403,
another organisation's student 404; a user explains their own access, an administrator anyone's."""

import itertools
import uuid

import jwt
import psycopg
import pytest

from services.common.db import libpq_url
from tests.support.api import Tenant
from tests.support.orgs import valid_personnummer

SERIALS = itertools.count(700)


class School:
    """A school with a nurse (read/write on the medical journal) and a counsellor (the counsellor file only),
    a student, and a doctor on all units whose assignment ends at the end of the decade."""

    def __init__(self, tenant: Tenant):
        self.tenant = tenant
        api = tenant.api
        self.unit = tenant.unit()
        self.nurse_role = tenant.role(f"Skolsköterska {uuid.uuid4().hex[:4]}")
        self.counsellor_role = tenant.role(f"Kurator {uuid.uuid4().hex[:4]}")
        self.medical, self.counsellor_file = tenant.folder(), tenant.folder()
        tenant.grant(self.nurse_role["id"], self.medical["id"])
        tenant.grant(self.counsellor_role["id"], self.counsellor_file["id"], access="read")
        nurse, nurse_email = tenant.user(first_name="Sara", last_name="Lind")
        counsellor, counsellor_email = tenant.user(first_name="Ali", last_name="Karimi")
        doctor, _ = tenant.user(first_name="Johan", last_name="Ek")
        self.nurse_assignment = tenant.assign(nurse["id"], self.nurse_role["id"], self.unit["id"])
        tenant.assign(counsellor["id"], self.counsellor_role["id"], self.unit["id"])
        self.doctor_assignment = tenant.assign(
            doctor["id"], self.nurse_role["id"], valid_from="2020-01-01", valid_to="2030-12-31"
        )
        self.nurse_id, self.counsellor_id, self.doctor_id = nurse["id"], counsellor["id"], doctor["id"]
        self.nurse, self.counsellor = api.login(nurse_email), api.login(counsellor_email)
        self.student = tenant.student(self.unit["id"], valid_personnummer(next(SERIALS)))

    def get(self, path: str, token: str, **params):
        return self.tenant.api.call("GET", path, token, self.tenant.consistency, params=params)

    def who_can_see(self, token: str, student_id: str | None = None, folder_id: str | None = None):
        student_id, folder_id = student_id or self.student["id"], folder_id or self.medical["id"]
        return self.get(f"/api/v1/students/{student_id}/folders/{folder_id}/who-can-see", token)

    def explain(self, token: str, **params):
        return self.get("/api/v1/authz/explain", token, **params)


@pytest.fixture(scope="module")
def school(tenant) -> School:
    return School(tenant)


def access_log(stack, student_id: str, action: str) -> list[tuple[str, str]]:
    query = "SELECT user_id::text, outcome FROM records.access_log WHERE student_id = %s AND action = %s ORDER BY id"
    with psycopg.connect(libpq_url(stack.database_url)) as conn:
        return [tuple(row) for row in conn.execute(query, (student_id, action)).fetchall()]


def test_an_administrator_sees_who_can_read_the_folder_with_their_assignments_and_grants(school, tenant):
    response = school.who_can_see(tenant.admin)
    assert response.status_code == 200, response.text
    users = {user["name"]: user for user in response.json()["users"]}
    assert set(users) == {"Sara Lind", "Johan Ek"}
    sara, johan = users["Sara Lind"], users["Johan Ek"]
    assert sara["user_id"] == school.nurse_id
    assert (sara["access"], sara["restriction"]) == ("read_write", "none")
    assert sara["assignment"] == {
        "id": school.nurse_assignment["id"],
        "role_id": school.nurse_role["id"],
        "role_name": school.nurse_role["name"],
        "unit_id": school.unit["id"],
        "all_units": False,
        "valid_from": None,
        "valid_to": None,
    }
    assert johan["assignment"]["id"] == school.doctor_assignment["id"]
    assert johan["assignment"]["unit_id"] is None and johan["assignment"]["all_units"]
    assert (johan["assignment"]["valid_from"], johan["assignment"]["valid_to"]) == (
        "2020-01-01",
        "2030-12-31",
    )


def test_a_reader_of_the_folder_may_ask_and_the_question_is_in_the_access_log(school, stack):
    response = school.who_can_see(school.nurse)
    assert response.status_code == 200, response.text
    assert {user["user_id"] for user in response.json()["users"]} == {school.nurse_id, school.doctor_id}
    assert (school.nurse_id, "allowed") in access_log(stack, school.student["id"], "who_can_see")


def test_a_user_who_cannot_read_the_folder_is_refused_and_the_attempt_logged(school, stack):
    response = school.who_can_see(school.counsellor)
    assert response.status_code == 403, response.text
    assert "administrators" in response.json()["detail"]
    assert (school.counsellor_id, "denied") in access_log(stack, school.student["id"], "who_can_see")
    allowed = school.who_can_see(school.counsellor, folder_id=school.counsellor_file["id"])
    assert [user["name"] for user in allowed.json()["users"]] == ["Ali Karimi"]


def test_another_organisations_student_is_not_found(school, tenant, other_tenant):
    their_unit = other_tenant.unit()
    theirs = other_tenant.student(their_unit["id"], valid_personnummer(next(SERIALS)))
    response = school.who_can_see(tenant.admin, student_id=theirs["id"])
    assert response.status_code == 404, response.text
    assert school.explain(tenant.admin, student_id=theirs["id"]).status_code == 404
    assert school.who_can_see(tenant.admin, student_id=str(uuid.uuid4())).status_code == 404


def test_a_user_explains_their_own_access_to_a_student(school):
    response = school.explain(
        school.nurse, student_id=school.student["id"], folder_id=school.medical["id"], action="write"
    )
    assert response.status_code == 200, response.text
    explained = response.json()
    assert (explained["user_id"], explained["name"], explained["allowed"]) == (
        school.nurse_id,
        "Sara Lind",
        True,
    )
    assert explained["assignment"]["id"] == school.nurse_assignment["id"]
    assert explained["grant"]["access"] == "read_write"


def test_an_administrator_explains_why_another_user_is_refused(school, tenant, stack):
    response = school.explain(
        tenant.admin,
        user_id=school.counsellor_id,
        student_id=school.student["id"],
        folder_id=school.medical["id"],
    )
    assert response.status_code == 200, response.text
    explained = response.json()
    assert (explained["allowed"], explained["reason"]) == (False, "the role has no grant on the folder")
    assert explained["assignment"]["role_name"] == school.counsellor_role["name"]
    assert explained["grant"] is None
    by_unit = school.explain(tenant.admin, user_id=school.nurse_id, unit_id=school.unit["id"])
    assert by_unit.status_code == 200 and by_unit.json()["allowed"]
    assert (user_id_of(tenant.admin), "allowed") in access_log(stack, school.student["id"], "explain_access")


def test_a_member_may_not_explain_someone_elses_access(school):
    response = school.explain(school.nurse, user_id=school.counsellor_id, student_id=school.student["id"])
    assert response.status_code == 403, response.text
    assert response.json()["detail"] == "only administrators may explain another user's access"


def test_explain_asks_for_a_student_or_a_unit(school, tenant):
    neither = school.explain(tenant.admin)
    both = school.explain(tenant.admin, student_id=school.student["id"], unit_id=school.unit["id"])
    assert neither.status_code == both.status_code == 400
    assert school.explain(tenant.admin, unit_id=str(uuid.uuid4())).status_code == 404
    assert (
        school.explain(tenant.admin, user_id=str(uuid.uuid4()), unit_id=school.unit["id"]).status_code == 404
    )


def user_id_of(access_token: str) -> str:
    """The user an access token names (read, not verified: the gateway verified it when it was issued)."""
    return jwt.decode(access_token, options={"verify_signature": False})["sub"]
