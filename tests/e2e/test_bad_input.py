"""Bad input gets a 4xx problem+json that names the problem; never a 500, never another organisation's data."""

import base64
import socket
import uuid
from pathlib import Path

import pytest

from deploy.local.demo import personnummer_for
from services.common.auth import PermissionLevel, TokenSigner, generate_key_pair
from tests.support.api import free_text_note


@pytest.fixture(scope="module")
def things(tenant):
    unit, role, folder = tenant.unit(), tenant.role(), tenant.folder()
    student = tenant.student(unit["id"], personnummer_for("20121212", 345))
    return {"unit": unit, "role": role, "folder": folder, "student": student}


def assert_problem(reply, status: int, field: str | None = None) -> dict:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    body = reply.json()
    assert body["status"] == status and body["detail"] and body["trace_id"] == reply.headers["x-trace-id"]
    if field:
        assert body["field"] == field
    return body


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/api/v1/units", {"name": 5}, 422, "name"),
        ("/api/v1/units", {}, 422, "name"),
        ("/api/v1/units", {"name": "X", "kind": "castle"}, 422, "kind"),
        ("/api/v1/units", {"name": "X", "colour": "blue"}, 422, "colour"),
        ("/api/v1/users", {"first_name": "A", "last_name": "B", "email": "not-an-address"}, 422, "email"),
        (
            "/api/v1/users",
            {"first_name": "A", "last_name": "B", "email": "a@b.se", "password": "short"},
            422,
            "password",
        ),
        (
            "/api/v1/users",
            {"first_name": "A", "last_name": "B", "email": "a@b.se", "password": ""},
            422,
            "password",
        ),
        ("/api/v1/units", {"name": "Skola\u0000"}, 422, "name"),
        ("/api/v1/auth/token", {"email": "a" * 100_000 + "@b.se", "password": "x"}, 422, "email"),
        (
            "/api/v1/students",
            {"unit_id": "not-a-uuid", "personnummer": "201212121212", "first_name": "A", "last_name": "B"},
            422,
            "unit_id",
        ),
    ],
    ids=[
        "wrong-type",
        "missing-field",
        "unknown-enum",
        "unknown-field",
        "bad-email",
        "short-password",
        "empty-password",
        "nul-in-name",
        "huge-login",
        "malformed-id",
    ],
)
def test_wrong_types_missing_and_unknown_fields_are_named(api, tenant, path, body, status, field):
    assert_problem(api.call("POST", path, tenant.admin, json=body), status, field)


def test_a_nul_byte_in_a_note_is_a_422_naming_the_row_not_a_500(api, tenant, things):
    tenant.grant(things["role"]["id"], things["folder"]["id"])
    user, email = tenant.user()
    tenant.assign(user["id"], things["role"]["id"], things["unit"]["id"])
    path = f"/api/v1/students/{things['student']['id']}/folders/{things['folder']['id']}/notes"
    body = free_text_note(tenant.free_text_template(), "före\u0000efter")
    reply = api.call("POST", path, api.login(email), tenant.consistency, json=body)
    assert_problem(reply, 422, "rows[0].value")


def test_malformed_json_is_a_400(api, tenant):
    reply = api.call(
        "POST",
        "/api/v1/units",
        tenant.admin,
        content=b'{"name": ',
        headers={"Content-Type": "application/json"},
    )
    assert_problem(reply, 400)


def test_an_invalid_personnummer_is_refused_without_echoing_it(api, tenant, things):
    body = {
        "unit_id": things["unit"]["id"],
        "personnummer": "20121212-1213",
        "first_name": "A",
        "last_name": "B",
    }
    problem = assert_problem(
        api.call("POST", "/api/v1/students", tenant.admin, json=body), 400, "personnummer"
    )
    assert "1213" not in problem["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/units/{random}",
        "/api/v1/units/not-a-uuid",
        "/api/v1/users/{random}",
        "/api/v1/students/{random}",
        "/api/v1/students/{student}/folders/{random}/notes",
        "/api/v1/imports/user-runs/{random}",
    ],
)
def test_unknown_ids_are_404(api, tenant, things, path):
    url = path.format(random=uuid.uuid4(), student=things["student"]["id"])
    assert_problem(api.call("GET", url, tenant.admin), 404)


def test_ids_of_another_organisation_are_404_and_reveal_nothing(api, tenant, other_tenant, things):
    admin = other_tenant.admin
    for path in (
        f"/api/v1/units/{things['unit']['id']}",
        f"/api/v1/students/{things['student']['id']}",
        f"/api/v1/students/{things['student']['id']}/folders/{things['folder']['id']}/notes",
    ):
        reply = api.call("GET", path, admin)
        assert_problem(reply, 404)
        assert things["student"]["personnummer"] not in reply.text
    their_user, _ = other_tenant.user()
    assign = api.call(
        "POST",
        f"/api/v1/users/{their_user['id']}/assignments",
        admin,
        json={"role_id": things["role"]["id"], "all_units": True},
    )
    assert_problem(assign, 404, "role_id")
    grant = api.call(
        "PUT",
        f"/api/v1/user-roles/{things['role']['id']}/grants/{things['folder']['id']}",
        admin,
        json={"access": "read"},
    )
    assert_problem(grant, 404)


def token_signed_with(private_key: str, ttl_seconds: int = 60) -> str:
    signer = TokenSigner(
        private_key, issuer="elevhalsa-identity", audience="elevhalsa", ttl_seconds=ttl_seconds
    )
    return signer.issue(user_id=str(uuid.uuid4()), org_id=str(uuid.uuid4()), level=PermissionLevel.ADMIN)


@pytest.mark.parametrize("authorization", [None, "Basic abc", "Bearer nonsense", "Bearer a.b.c"])
def test_missing_and_malformed_tokens_are_401(api, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    assert_problem(api.call("GET", "/api/v1/units", headers=headers), 401)


def test_an_expired_token_is_401_and_says_so(api, stack):
    expired = token_signed_with(stack.signing_key, ttl_seconds=-60)
    problem = assert_problem(api.call("GET", "/api/v1/units", expired), 401)
    assert "expired" in problem["detail"]


def test_a_token_signed_by_anyone_but_identity_is_401(api):
    forged = token_signed_with(generate_key_pair()[0])
    assert_problem(api.call("GET", "/api/v1/units", forged), 401)


def test_oversized_bodies_are_413(api, tenant):
    big = {"name": "x" * (2 * 1024 * 1024)}
    assert_problem(api.call("POST", "/api/v1/units", tenant.admin, json=big), 413)


def test_a_member_is_refused_administration_with_403(api, tenant):
    _, email = tenant.user()
    assert_problem(api.call("POST", "/api/v1/units", api.login(email), json={"name": "Min skola"}), 403)


def test_a_malformed_consistency_token_is_a_400_naming_it(api, tenant, things):
    reply = api.call(
        "GET", f"/api/v1/students/{things['student']['id']}", tenant.admin, consistency="ct1.%%%"
    )
    assert_problem(reply, 400, "consistency_token")


def test_unknown_routes_and_methods_are_problems_too(api, tenant):
    assert_problem(api.call("GET", "/api/v1/nothing-here", tenant.admin), 404)
    assert_problem(api.call("PATCH", "/api/v1/units", tenant.admin), 405)


# --- a gateway that cannot be knocked over ----------------------------------------------------------------


def resident_bytes(pid: int) -> int:
    """The process's resident memory, as an operator's `top` shows it."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def send_with_huge_header(port: int, size: int) -> bytes:
    """GET /healthz with one header of `size` bytes, as a raw socket; what came back (b"" if it hung up)."""
    chunk = b"a" * 65536
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        try:
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: gateway\r\nX-Filler: ")
            for _ in range(size // len(chunk)):
                connection.sendall(chunk)
            connection.sendall(b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading and hung up: refused
        try:
            return connection.recv(65536)
        except ConnectionResetError:
            return b""


@pytest.mark.parametrize("megabytes", [1, 16, 64])
def test_huge_request_headers_are_refused_without_growing_the_gateway(api, stack, megabytes):
    gateway = stack.processes["gateway"].pid
    before = resident_bytes(gateway)
    answer = send_with_huge_header(stack.ports["gateway"], megabytes * 1024 * 1024)
    status_line = answer.split(b"\r\n", 1)[0]
    assert answer == b"" or status_line in (
        b"HTTP/1.1 400 Bad Request",
        b"HTTP/1.1 431 Request Header Fields Too Large",
    )
    assert resident_bytes(gateway) - before < 16 * 1024 * 1024
    assert api.call("GET", "/healthz").status_code == 200


@pytest.mark.parametrize("kib", [17, 64])
def test_a_header_block_over_the_limit_in_one_piece_is_431(api, tenant, kib):
    big = {"X-Big": "a" * kib * 1024}
    assert_problem(api.call("GET", "/api/v1/units", tenant.admin, headers=big), 431)
    assert api.call("GET", "/api/v1/units", tenant.admin, headers={"X-Small": "a" * 1024}).status_code == 200


def test_more_header_fields_than_allowed_is_431(api, tenant):
    many = {f"X-Filler-{n}": "x" for n in range(200)}
    assert_problem(api.call("GET", "/api/v1/units", tenant.admin, headers=many), 431)
    assert api.call("GET", "/api/v1/units", tenant.admin).status_code == 200


def test_a_deeply_nested_consistency_token_is_a_400_naming_it(api, tenant, things):
    # Deeper than the JSON parser recurses, yet small enough for the header limit.
    body = '{"o":"org","r":' + "[" * 5_000 + "]" * 5_000 + "}"
    token = "ct1." + base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
    reply = api.call("GET", f"/api/v1/students/{things['student']['id']}", tenant.admin, consistency=token)
    assert_problem(reply, 400, "consistency_token")


def test_a_chunked_body_over_the_limit_is_413_like_a_declared_one(api, tenant):
    def chunks():
        yield b'{"name": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    reply = api.call(
        "POST", "/api/v1/units", tenant.admin, content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert reply.request.headers.get("transfer-encoding") == "chunked"
    assert_problem(reply, 413)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/folders", {"name": "Mapp", "group_notes_allowed": 0}, "group_notes_allowed"),
        (
            "/api/v1/users",
            {"first_name": "A", "last_name": "B", "email": "nummer@e2e.elevhalsa.se", "manually_managed": 0},
            "manually_managed",
        ),
    ],
    ids=["group-notes-allowed", "manually-managed"],
)
def test_a_number_is_not_a_boolean(api, tenant, path, body, field):
    assert_problem(api.call("POST", path, tenant.admin, json=body), 422, field)


def test_options_is_405_naming_every_method_of_the_path(api, tenant):
    reply = api.call("OPTIONS", "/api/v1/units", tenant.admin)
    assert_problem(reply, 405)
    assert reply.headers["allow"] == "GET, POST"
