"""Memory notes (minnesanteckningar) over HTTP: off until the organisation allows them and the user's flag is on;
then the author writes, lists, edits and deletes their own notes about a student they may see, and nobody else
(administrators included) ever sees one."""

import itertools
import uuid

import pytest

from tests.support.api import Tenant
from tests.support.orgs import valid_personnummer

SERIALS = itertools.count(800)


@pytest.fixture(scope="module")
def org(api, stack) -> Tenant:
    """An organisation of this module's own: its settings change here."""
    return Tenant(api, stack)


class School:
    """A unit with a student and a role that reads and writes its folder."""

    def __init__(self, org: Tenant):
        self.org, self.api = org, org.api
        self.unit, self.role, folder = org.unit(), org.role(), org.folder()
        org.grant(self.role["id"], folder["id"])
        self.student = org.student(self.unit["id"], valid_personnummer(next(SERIALS)))
        self.path = f"/api/v1/students/{self.student['id']}/memory-notes"

    def user(self, *, memory_notes: bool = True, sees_student: bool = True, **fields) -> str:
        """A logged-in user; returns their access token."""
        user, email = self.org.user(**fields)
        if sees_student:
            self.org.assign(user["id"], self.role["id"], self.unit["id"])
        if memory_notes:
            changed = self.org.create(
                f"/api/v1/users/{user['id']}", {"use_memory_notes": True}, method="PATCH"
            )
            assert changed["use_memory_notes"] is True
        return self.api.login(email)

    def call(self, method: str, token: str, path: str = "", **kwargs):
        return self.api.call(method, self.path + path, token, self.org.consistency, **kwargs)

    def write(self, token: str, words: str) -> dict:
        reply = self.call("POST", token, json={"text": words})
        assert reply.status_code == 201, reply.text
        return reply.json()

    def listed(self, token: str) -> list[str]:
        reply = self.call("GET", token)
        assert reply.status_code == 200, reply.text
        return [n["text"] for n in reply.json()["memory_notes"]]


def allow(org: Tenant, allowed: bool = True) -> None:
    reply = org.api.call("PATCH", "/api/v1/settings", org.admin, json={"memory_notes_allowed": allowed})
    assert reply.status_code == 200 and reply.json()["memory_notes_allowed"] is allowed, reply.text


@pytest.fixture(scope="module")
def school(org) -> School:
    return School(org)


def test_memory_notes_are_off_by_default_and_the_refusal_says_why(org, school):
    assert org.api.call("GET", "/api/v1/settings", org.admin).json()["memory_notes_allowed"] is False
    user, email = org.user()
    assert user["use_memory_notes"] is False
    me = school.user()
    refused = school.call("POST", me, json={"text": "Något"})
    assert refused.status_code == 403 and "memory_notes_allowed" in refused.json()["detail"]
    allow(org)
    try:
        flag_off = school.user(memory_notes=False)
        refused = school.call("GET", flag_off)
        assert refused.status_code == 403 and "use_memory_notes" in refused.json()["detail"]
    finally:
        allow(org, False)


@pytest.fixture
def allowed(org):
    allow(org)
    yield
    allow(org, False)


def test_the_author_writes_lists_edits_and_deletes_memory_notes(school, allowed):
    me = school.user()
    first = school.write(me, "Verkade orolig på lektionen")
    second = school.write(me, "Ring vårdnadshavare\ni veckan")
    assert first["student_id"] == school.student["id"]
    assert school.listed(me) == ["Ring vårdnadshavare\ni veckan", "Verkade orolig på lektionen"]
    edited = school.call("PATCH", me, f"/{first['id']}", json={"text": "Verkade glad"})
    assert edited.status_code == 200 and edited.json()["text"] == "Verkade glad"
    assert school.call("DELETE", me, f"/{second['id']}").status_code == 204
    assert school.listed(me) == ["Verkade glad"]
    assert school.call("DELETE", me, f"/{second['id']}").status_code == 404


def test_another_user_and_an_administrator_never_see_them(org, school, allowed):
    me, colleague = school.user(), school.user()
    admin = school.user(permission_level="admin")
    mine = school.write(me, "Bara min")
    for token in (colleague, admin, org.admin):
        listed = school.call("GET", token)
        assert listed.status_code in (200, 403), listed.text
        assert "Bara min" not in listed.text
        assert school.call("PATCH", token, f"/{mine['id']}", json={"text": "Ändrad"}).status_code in (
            403,
            404,
        )
        assert school.call("DELETE", token, f"/{mine['id']}").status_code in (403, 404)
    for token in (colleague, admin):
        assert school.listed(token) == []
        assert school.call("DELETE", token, f"/{mine['id']}").status_code == 404
    assert school.listed(me) == ["Bara min"]


def test_a_user_who_may_not_see_the_student_is_refused(school, allowed):
    stranger = school.user(sees_student=False)
    assert school.call("POST", stranger, json={"text": "Något"}).status_code == 403
    assert school.call("GET", stranger).status_code == 403


def test_another_organisations_student_and_an_unknown_student_are_not_found(
    org, school, other_tenant, allowed
):
    me = school.user()
    theirs = other_tenant.student(other_tenant.unit()["id"], valid_personnummer(next(SERIALS)))
    for student_id in (theirs["id"], str(uuid.uuid4())):
        path = f"/api/v1/students/{student_id}/memory-notes"
        assert org.api.call("POST", path, me, json={"text": "Något"}).status_code == 404
        assert org.api.call("GET", path, me).status_code == 404


@pytest.mark.parametrize(
    "body", [{"text": ""}, {"text": "   "}, {"text": "x" * 10_001}, {"text": "nul\x00"}, {}, {"text": 5}]
)
def test_bad_input_is_422(school, allowed, body):
    me = school.user()
    reply = school.call("POST", me, json=body)
    assert reply.status_code == 422, reply.text
    assert school.listed(me) == []
