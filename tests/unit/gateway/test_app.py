"""The gateway app over fake services: what a client sees for odd requests and odd answers."""

import uuid

import httpx
import pytest
from elevhalsa.authz.v1 import authz_pb2
from elevhalsa.identity.v1 import identity_pb2
from elevhalsa.records.v1 import records_pb2
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from gateway.app import create_app
from gateway.settings import GatewaySettings
from services.common.auth import PermissionLevel, TokenSigner, generate_key_pair

PRIVATE_KEY, PUBLIC_KEY = generate_key_pair()
UNKNOWN_NUMBER = 99
JSON_LIMIT = 2_000


class Stub:
    """A gRPC stub whose methods are their own names."""

    def __getattr__(self, name: str) -> str:
        return name


class FakeBackends:
    """Answers each service method with a canned reply, remembering the requests."""

    def __init__(self, **replies):
        self.replies = replies
        self.requests = []
        self.identity = self.records = self.authz = self.imports = Stub()

    async def call(self, method: str, request, caller=None):
        self.requests.append(request)
        return self.replies[method]

    async def read_authz(self, method: str, request, caller):
        return await self.call(method, request, caller)


@pytest.fixture(scope="module", autouse=True)
def tracing():
    """A real tracer, so that responses carry the trace id as they do in production."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())


def gateway(backends: FakeBackends, **settings) -> httpx.AsyncClient:
    app = create_app(
        GatewaySettings(
            identity_addr="unused:1",
            records_addr="unused:1",
            authz_addr="unused:1",
            imports_addr="unused:1",
            auth_public_key=PUBLIC_KEY,
            max_json_body_bytes=JSON_LIMIT,
            **settings,
        )
    )
    app.state.backends = backends
    signer = TokenSigner(PRIVATE_KEY, issuer="elevhalsa-identity", audience="elevhalsa", ttl_seconds=60)
    token = signer.issue(user_id=str(uuid.uuid4()), org_id=str(uuid.uuid4()), level=PermissionLevel.ADMIN)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://gateway",
        headers={"Authorization": f"Bearer {token}"},
    )


def assert_problem(reply: httpx.Response, status: int) -> dict:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    return reply.json()


# --- values the gateway does not know -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "replies"),
    [
        (
            "GET",
            "/api/v1/units/u1",
            {"GetUnit": identity_pb2.Unit(id="u1", name="Skola", school_level=UNKNOWN_NUMBER)},
        ),
        (
            "GET",
            "/api/v1/users/u1",
            {"GetUser": identity_pb2.User(id="u1", permission_level=UNKNOWN_NUMBER)},
        ),
        (
            "GET",
            "/api/v1/grants",
            {
                "ListGrants": authz_pb2.ListGrantsResponse(
                    grants=[authz_pb2.Grant(access=UNKNOWN_NUMBER, restriction=authz_pb2.RESTRICTION_NONE)]
                )
            },
        ),
        (
            "GET",
            "/api/v1/students/s1/folders/f1/notes",
            {
                "ListNotes": records_pb2.ListNotesResponse(
                    notes=[records_pb2.Note(id="n1", state=UNKNOWN_NUMBER)]
                )
            },
        ),
    ],
    ids=["school-level", "permission-level", "access", "note-state"],
)
async def test_a_value_the_gateway_has_no_name_for_is_a_500_with_the_trace_id(method, path, replies):
    async with gateway(FakeBackends(**replies)) as client:
        reply = await client.request(method, path)
    problem = assert_problem(reply, 500)
    assert problem["detail"] == "internal error; quote the trace id when reporting it"
    assert problem["trace_id"] and problem["trace_id"] == reply.headers["x-trace-id"]


async def test_the_gateway_keeps_answering_after_a_value_it_did_not_know():
    unit = identity_pb2.Unit(id="u1", name="Skola", school_level=UNKNOWN_NUMBER)
    known = identity_pb2.Unit(id="u2", name="Skola", school_level=identity_pb2.SCHOOL_LEVEL_COMPULSORY)
    backends = FakeBackends(GetUnit=unit)
    async with gateway(backends) as client:
        assert (await client.get("/api/v1/units/u1")).status_code == 500
        backends.replies["GetUnit"] = known
        reply = await client.get("/api/v1/units/u2")
    assert reply.status_code == 200
    assert reply.json()["school_level"] == "compulsory"


# --- strict request bodies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/folders", {"name": "Mapp", "group_notes_allowed": 0}, "group_notes_allowed"),
        ("/api/v1/folders", {"name": "Mapp", "group_notes_allowed": "true"}, "group_notes_allowed"),
        ("/api/v1/users", {"first_name": "A", "last_name": "B", "manually_managed": 0}, "manually_managed"),
        ("/api/v1/units", {"name": 5}, "name"),
        ("/api/v1/users/u1/assignments", {"role_id": 5}, "role_id"),
        ("/api/v1/users/u1/assignments", {"role_id": str(uuid.uuid4()), "valid_from": 86400}, "valid_from"),
    ],
    ids=[
        "bool-as-0",
        "bool-as-string",
        "manually-managed-as-0",
        "name-as-number",
        "uuid-as-number",
        "date-as-number",
    ],
)
async def test_values_of_the_wrong_json_type_are_422_naming_the_field(path, body, field):
    backends = FakeBackends()
    async with gateway(backends) as client:
        problem = assert_problem(await client.post(path, json=body), 422)
    assert problem["field"] == field
    assert backends.requests == []


async def test_uuids_and_dates_are_read_from_json_strings():
    role_id = str(uuid.uuid4())
    reply = identity_pb2.CreateAssignmentResponse(
        assignment=identity_pb2.Assignment(
            id="a1",
            user_id="u1",
            role_id=role_id,
            all_units=True,
            source=identity_pb2.ASSIGNMENT_SOURCE_MANUAL,
        )
    )
    backends = FakeBackends(CreateAssignment=reply)
    body = {"role_id": role_id, "all_units": True, "valid_from": "2026-08-15"}
    async with gateway(backends) as client:
        answer = await client.post("/api/v1/users/u1/assignments", json=body)
    assert answer.status_code == 201, answer.text
    sent = backends.requests[0]
    assert (sent.role_id, sent.valid_from.year, sent.valid_from.month) == (role_id, 2026, 8)


# --- methods and bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["OPTIONS", "PATCH", "DELETE"])
async def test_a_method_the_path_does_not_have_is_405_listing_every_method_it_has(method):
    async with gateway(FakeBackends()) as client:
        reply = await client.request(method, "/api/v1/units")
    assert_problem(reply, 405)
    assert reply.headers["allow"] == "GET, POST"


async def test_a_json_body_over_the_limit_sent_in_chunks_is_413():
    async def chunks():
        for _ in range(4):
            yield b'{"name": "' + b"x" * (JSON_LIMIT // 2)

    async with gateway(FakeBackends()) as client:
        reply = await client.post(
            "/api/v1/units", content=chunks(), headers={"Content-Type": "application/json"}
        )
    assert "content-length" not in reply.request.headers
    assert assert_problem(reply, 413)["status"] == 413


async def test_more_header_fields_than_the_limit_is_431():
    headers = {f"X-Filler-{n}": "x" for n in range(20)}
    async with gateway(
        FakeBackends(ListUnits=identity_pb2.ListUnitsResponse()), max_header_count=20
    ) as client:
        refused = await client.get("/api/v1/units", headers=headers)
        accepted = await client.get("/api/v1/units")
    assert_problem(refused, 431)
    assert accepted.status_code == 200
