"""User import over HTTP: upload a file, follow the run, read its log; hostile files write nothing."""

import uuid

import pytest

from bench.memory import Sampler, settled
from tests.support.api import Tenant
from tests.support.user_files import BILLION_LAUGHS, EXTERNAL_ENTITY, user_file
from tests.support.waiting import until


def upload(api, token: str, content: bytes, filename: str = "users.xml"):
    return api.call(
        "POST", "/api/v1/imports/user-runs", token, files={"file": (filename, content, "application/xml")}
    )


def finished(api, token: str, run_id: str) -> dict:
    """The run once it has ended (or waits for review)."""

    def run_if_ended():
        run = api.call("GET", f"/api/v1/imports/user-runs/{run_id}", token).json()
        return run if run["status"] in ("succeeded", "failed", "needs_review") else None

    return until(run_if_ended, timeout=10)


@pytest.fixture(scope="module")
def source(tenant):
    unit_ext, role_ext = str(uuid.uuid4()), str(uuid.uuid4())
    tenant.create("/api/v1/units", {"name": "Importskolan", "external_id": unit_ext})
    tenant.create("/api/v1/user-roles", {"name": "Importerad roll", "external_id": role_ext})
    return unit_ext, role_ext


def test_an_uploaded_file_creates_users_and_the_run_can_be_fetched(api, tenant, source):
    unit_ext, role_ext = source
    people = [
        {
            "external_id": f"hr-{i}",
            "first_name": "Anna",
            "last_name": f"Nr{i}",
            "email": f"anna{i}@kommun.se",
            "assignments": [{"role": role_ext, "unit": unit_ext}],
        }
        for i in range(3)
    ]
    started = upload(api, tenant.admin, user_file(people))
    assert started.status_code == 202 and started.json()["status"] in ("queued", "running", "succeeded")
    run = finished(api, tenant.admin, started.json()["id"])
    assert run["status"] == "succeeded"
    assert run["changes"] == {"created": 3, "activated": 0, "deactivated": 0, "updated": 0}
    assert run["users"]["total"] == 3 and run["filename"] == "users.xml"
    assert run["created_at"] <= run["started_at"] <= run["file_read_at"] <= run["finished_at"]
    runs = api.call("GET", "/api/v1/imports/user-runs", tenant.admin).json()["runs"]
    assert runs[0]["id"] == run["id"]
    again = finished(api, tenant.admin, upload(api, tenant.admin, user_file(people)).json()["id"])
    assert again["changes"] == {"created": 0, "activated": 0, "deactivated": 0, "updated": 0}
    log = api.call("GET", f"/api/v1/imports/user-runs/{run['id']}/log", tenant.admin).json()["lines"]
    assert any("hr-2: created" in line["message"] for line in log)


@pytest.mark.parametrize(
    ("content", "code"),
    [(BILLION_LAUGHS, 10011), (EXTERNAL_ENTITY, 10011), (b"\x89PNG\r\n\x1a\n", 10011), (b"<users/>", 10012)],
    ids=["billion-laughs", "external-entity", "binary", "wrong-schema"],
)
def test_hostile_and_broken_files_end_as_failed_runs_with_their_code(api, tenant, content, code):
    run = finished(api, tenant.admin, upload(api, tenant.admin, content).json()["id"])
    assert run["status"] == "failed"
    assert [(m["code"], m["severity"]) for m in run["messages"]] == [(code, "error")]
    assert run["messages"][0]["text_sv"] and run["messages"][0]["text_en"]
    assert run["changes"] == {"created": 0, "activated": 0, "deactivated": 0, "updated": 0}


def test_an_upload_without_a_file_is_a_422(api, tenant):
    reply = api.call("POST", "/api/v1/imports/user-runs", tenant.admin, data={"nothing": "here"})
    assert reply.status_code == 422 and reply.json()["field"] == "file"


def test_a_broken_export_deactivates_nobody_until_an_administrator_confirms_it(api, stack):
    school = Tenant(api, stack)
    unit_ext, role_ext = str(uuid.uuid4()), str(uuid.uuid4())
    school.create("/api/v1/units", {"name": "Granskolan", "external_id": unit_ext})
    school.create("/api/v1/user-roles", {"name": "Skolsköterska", "external_id": role_ext})
    people = [
        {"external_id": f"hr-{i}", "first_name": "Anna", "last_name": f"Nr{i}", "email": f"a{i}@kommun.se"}
        for i in range(20)
    ]
    assert finished(api, school.admin, upload(api, school.admin, user_file(people)).json()["id"])[
        "status"
    ] == ("succeeded")

    broken = finished(
        api, school.admin, upload(api, school.admin, user_file([{"first_name": "Utan"}])).json()["id"]
    )
    assert broken["status"] == "needs_review"
    assert broken["changes"]["deactivated"] == 0
    [held] = [m for m in broken["messages"] if m["code"] == 10200]
    assert "would deactivate 20 of 20" in held["detail"] and "faulty 1 of 1" in held["detail"]

    confirmed = api.call("POST", f"/api/v1/imports/user-runs/{broken['id']}/confirm", school.admin)
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "succeeded" and confirmed.json()["changes"]["deactivated"] == 20
    again = api.call("POST", f"/api/v1/imports/user-runs/{broken['id']}/confirm", school.admin)
    assert again.status_code == 409 and again.json()["field"] == "run_id"
    assert "not waiting for review" in again.json()["detail"]


def test_a_healthy_file_with_a_few_leavers_still_succeeds(api, stack):
    school = Tenant(api, stack)
    people = [{"external_id": f"hr-{i}", "first_name": "Bo", "last_name": f"Nr{i}"} for i in range(40)]
    finished(api, school.admin, upload(api, school.admin, user_file(people)).json()["id"])
    run = finished(api, school.admin, upload(api, school.admin, user_file(people[:37])).json()["id"])
    assert run["status"] == "succeeded" and run["changes"]["deactivated"] == 3


def test_an_upload_is_streamed_and_neither_the_gateway_nor_imports_holds_the_file(api, stack):
    school = Tenant(api, stack)
    users = [{"external_id": f"mem-{i}", "first_name": "Bo", "last_name": f"Nr{i}"} for i in range(1000)]
    # 48 MiB, mostly the whitespace XML allows between users: the bytes travel, the run stays small.
    content = user_file(users).replace(b"</user>", b"</user>" + b" \n" * 25_200)
    size_mib = len(content) / 2**20
    assert size_mib > 48
    # A first small run warms each process up (schema, code paths, connection pools): a one-time cost.
    finished(api, school.admin, upload(api, school.admin, user_file(users[:10])).json()["id"])
    sampler = Sampler({name: stack.processes[name].pid for name in ("gateway", "imports")})
    before = settled(sampler, 1.0)
    sampler.start()
    run = finished(api, school.admin, upload(api, school.admin, content).json()["id"])
    peaks = sampler.stop()
    after = settled(sampler)
    assert run["status"] == "succeeded" and run["changes"]["created"] == 990
    grown = {name: round(peaks[name] - before[name]) for name in peaks}
    # Held whole, the file would add its size at least once to each process (it used to add three times).
    print(f"RSS MiB around a {size_mib:.0f} MiB upload: before {before}, peak {peaks}, after {after}")
    assert all(growth < size_mib / 2 for growth in grown.values()), (grown, size_mib)
    assert after["imports"] - before["imports"] < size_mib / 4, (before, after)
