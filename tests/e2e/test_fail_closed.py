"""Fail closed: while authz cannot answer (frozen with SIGSTOP, or behind a consistency token), reads and
writes through the gateway answer 503 within 2 s, saying authorization is unavailable, never with data."""

import contextlib
import itertools
import os
import signal
import time

import pytest

from deploy.local.stack import wait_until_serving
from services.common.consistency import ConsistencyToken
from tests.support.api import Tenant, free_text_note
from tests.support.orgs import valid_personnummer
from tests.support.waiting import until

FAILS_CLOSED_WITHIN_SECONDS = 2.0
SERIALS = itertools.count(700)
SECRET = "Samtal om sömnsvårigheter"


class Ward:
    """A nurse who may read and write a medical folder, a student at her school, one note in the folder."""

    def __init__(self, tenant: Tenant):
        self.tenant = tenant
        self.unit = tenant.unit()
        role, self.folder = tenant.role(), tenant.folder()
        tenant.grant(role["id"], self.folder["id"])
        nurse, email = tenant.user()
        tenant.assign(nurse["id"], role["id"], self.unit["id"])
        self.nurse = tenant.api.login(email)
        self.student = tenant.student(self.unit["id"], valid_personnummer(next(SERIALS)))
        self.template = tenant.free_text_template()
        self.notes_path = f"/api/v1/students/{self.student['id']}/folders/{self.folder['id']}/notes"
        written = self.write(SECRET)
        assert written.status_code == 201, written.text

    def call(self, method: str, path: str, consistency: str | None = None, **kwargs):
        token = self.tenant.consistency if consistency is None else consistency
        return self.tenant.api.call(method, path, self.nurse, token, **kwargs)

    def read(self, consistency: str | None = None):
        return self.call("GET", self.notes_path, consistency)

    def students(self):
        return self.call("GET", f"/api/v1/units/{self.unit['id']}/students")

    def write(self, text: str):
        return self.call("POST", self.notes_path, json=free_text_note(self.template, text))


@pytest.fixture(scope="module")
def ward(tenant) -> Ward:
    return Ward(tenant)


@contextlib.contextmanager
def frozen(stack, name: str):
    """The process stopped (SIGSTOP: its sockets stay open, it answers nothing), then continued and serving
    again, whatever happens in between, so that later tests find the stack whole."""
    process = stack.processes[name]
    os.kill(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(process.pid, signal.SIGCONT)
        wait_until_serving(name, stack.ports[name], process)


def timed(request):
    """The response and how long it took, in seconds of wall time."""
    start = time.monotonic()
    response = request()
    return response, time.monotonic() - start


def assert_fails_closed(response, seconds: float) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"].startswith("authorization"), response.text
    assert SECRET not in response.text
    path = f"{response.request.method} {response.request.url.path}"
    print(f"\n{path}: {response.status_code} in {seconds:.2f} s: {response.json()['detail']}")
    assert seconds < FAILS_CLOSED_WITHIN_SECONDS, f"{path} answered 503 after {seconds:.2f} s"


def note_texts(response) -> list[str]:
    return [row["value"] for note in response.json()["notes"] for row in note["rows"]]


@pytest.mark.timeout(60)
def test_while_authz_is_frozen_reads_and_writes_answer_503_within_two_seconds_never_data(stack, ward):
    before = ward.read()
    assert before.status_code == 200, before.text
    assert note_texts(before) == [SECRET]
    assert ward.students().status_code == 200

    with frozen(stack, "authz"):
        for request in (ward.read, ward.students, lambda: ward.write("Skrivet medan authz stod still")):
            assert_fails_closed(*timed(request))

    def answered():
        response = ward.read()
        return response if response.status_code == 200 else None

    # Nothing was written while authz stood still, and the folder reads as before.
    assert note_texts(until(answered, timeout=30)) == [SECRET]


def test_a_consistency_token_authz_cannot_yet_satisfy_answers_503_within_two_seconds(ward):
    ahead = ConsistencyToken(ward.tenant.org_id, {"identity": 2**62}).encode()
    assert_fails_closed(*timed(lambda: ward.read(consistency=ahead)))
    assert ward.read().status_code == 200
