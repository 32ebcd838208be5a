"""Gateway middleware: inbound trace context is dropped, request bodies are bounded, the trace id is returned."""

import json

import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from gateway.middleware import BodySizeLimit, DropInboundTraceContext, TraceIdHeader

DEFAULT_LIMIT = 1_000
UPLOAD_LIMIT = 10_000
UPLOAD_PREFIX = "/api/v1/imports/"
TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736


def http_scope(path="/api/v1/students", headers=()) -> dict:
    return {"type": "http", "method": "POST", "path": path, "headers": list(headers)}


def body_messages(*chunks: bytes):
    """A receive() that delivers the body in the given chunks."""
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return receive


class Recorder:
    """The send() side: collects what the middleware answers."""

    def __init__(self):
        self.messages = []

    async def __call__(self, message):
        self.messages.append(message)

    @property
    def status(self) -> int:
        return next(m["status"] for m in self.messages if m["type"] == "http.response.start")

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(next(m["headers"] for m in self.messages if m["type"] == "http.response.start"))

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages if m["type"] == "http.response.body")


class EchoApp:
    """Reads the whole request body and answers 200 with its length, remembering the scope it saw."""

    def __init__(self):
        self.scope = None
        self.called = False

    async def __call__(self, scope, receive, send):
        self.called, self.scope = True, scope
        received = b""
        while True:
            message = await receive()
            received += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
        )
        await send({"type": "http.response.body", "body": str(len(received)).encode()})


class BodyParsingApp(EchoApp):
    """Like FastAPI: a body that cannot be read is the app's own 400 "error parsing the body"."""

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        except Exception:
            await send({"type": "http.response.start", "status": 400, "headers": []})
            await send({"type": "http.response.body", "body": b"There was an error parsing the body"})


def limited(app) -> BodySizeLimit:
    return BodySizeLimit(
        app, default_limit=DEFAULT_LIMIT, upload_limit=UPLOAD_LIMIT, upload_prefix=UPLOAD_PREFIX
    )


async def post(
    path: str, *chunks: bytes, content_length: int | None = None, app: EchoApp | None = None
) -> tuple[Recorder, EchoApp]:
    app, sent = app or EchoApp(), Recorder()
    headers = [(b"content-type", b"application/json")]
    if content_length is not None:
        headers.append((b"content-length", str(content_length).encode()))
    await limited(app)(http_scope(path, headers), body_messages(*chunks), sent)
    return sent, app


def assert_payload_too_large(sent: Recorder, limit: int) -> None:
    assert sent.status == 413
    assert sent.headers[b"content-type"] == b"application/problem+json"
    problem = json.loads(sent.body)
    assert problem["status"] == 413
    assert str(limit) in problem["detail"]
    assert int(sent.headers[b"content-length"]) == len(sent.body)


# --- inbound trace context --------------------------------------------------------------------------


async def test_trace_context_sent_by_a_client_is_removed_and_other_headers_are_kept():
    app = EchoApp()
    headers = [
        (b"traceparent", b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
        (b"tracestate", b"vendor=steer-me"),
        (b"baggage", b"user=admin"),
        (b"authorization", b"Bearer abc"),
        (b"content-type", b"application/json"),
    ]
    await DropInboundTraceContext(app)(http_scope(headers=headers), body_messages(b""), Recorder())
    assert app.scope["headers"] == [(b"authorization", b"Bearer abc"), (b"content-type", b"application/json")]


async def test_trace_context_headers_are_removed_whatever_their_case():
    app = EchoApp()
    headers = [(b"TraceParent", b"00-abc-def-01"), (b"BAGGAGE", b"x=1"), (b"accept", b"*/*")]
    await DropInboundTraceContext(app)(http_scope(headers=headers), body_messages(b""), Recorder())
    assert app.scope["headers"] == [(b"accept", b"*/*")]


async def test_non_http_traffic_passes_the_trace_filter_untouched():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope)

    lifespan = {"type": "lifespan"}
    await DropInboundTraceContext(app)(lifespan, body_messages(), Recorder())
    assert seen == [lifespan]


# --- body size --------------------------------------------------------------------------------------


async def test_a_body_declared_larger_than_the_limit_is_refused_before_the_app_sees_it():
    sent, app = await post("/api/v1/students", b"x" * (DEFAULT_LIMIT + 1), content_length=DEFAULT_LIMIT + 1)
    assert_payload_too_large(sent, DEFAULT_LIMIT)
    assert not app.called


async def test_a_body_exactly_at_the_limit_is_accepted():
    sent, _ = await post("/api/v1/students", b"x" * DEFAULT_LIMIT, content_length=DEFAULT_LIMIT)
    assert (sent.status, sent.body) == (200, str(DEFAULT_LIMIT).encode())


async def test_a_streamed_body_without_content_length_is_cut_off_at_the_limit():
    sent, _ = await post("/api/v1/students", b"x" * 600, b"x" * 600)
    assert_payload_too_large(sent, DEFAULT_LIMIT)


async def test_a_streamed_body_over_the_limit_is_413_even_when_the_app_answers_the_failed_read_itself():
    sent, _ = await post("/api/v1/students", b"x" * 600, b"x" * 600, app=BodyParsingApp())
    assert_payload_too_large(sent, DEFAULT_LIMIT)
    assert b"parsing" not in sent.body


async def test_a_streamed_body_within_the_limit_reaches_the_app_whole():
    sent, _ = await post("/api/v1/students", b"x" * 400, b"x" * 400, b"x" * 200)
    assert (sent.status, sent.body) == (200, b"1000")


async def test_a_body_longer_than_its_content_length_claims_is_still_refused():
    sent, _ = await post("/api/v1/students", b"x" * 800, b"x" * 800, content_length=10)
    assert_payload_too_large(sent, DEFAULT_LIMIT)


async def test_an_upload_may_be_larger_than_an_ordinary_request():
    size = DEFAULT_LIMIT * 5
    upload, _ = await post(f"{UPLOAD_PREFIX}user-files", b"x" * size, content_length=size)
    ordinary, _ = await post("/api/v1/students", b"x" * size, content_length=size)
    assert upload.status == 200
    assert_payload_too_large(ordinary, DEFAULT_LIMIT)


@pytest.mark.parametrize("content_length", [UPLOAD_LIMIT + 1, None], ids=["declared", "streamed"])
async def test_an_upload_over_the_upload_limit_is_refused(content_length):
    chunk = b"x" * (UPLOAD_LIMIT // 2 + 1)
    sent, _ = await post(f"{UPLOAD_PREFIX}user-files", chunk, chunk, content_length=content_length)
    assert_payload_too_large(sent, UPLOAD_LIMIT)


# --- trace id on responses --------------------------------------------------------------------------


def inside_a_trace():
    context = SpanContext(TRACE_ID, 0x00F067AA0BA902B7, is_remote=False, trace_flags=TraceFlags(1))
    return trace.use_span(NonRecordingSpan(context), end_on_exit=False)


async def test_every_response_tells_the_client_its_trace_id():
    sent = Recorder()
    with inside_a_trace():
        await TraceIdHeader(EchoApp())(http_scope(), body_messages(b"{}"), sent)
    assert sent.headers[b"x-trace-id"] == format(TRACE_ID, "032x").encode()
    assert sent.headers[b"content-type"] == b"text/plain"


async def test_a_refused_body_names_the_trace_id_operators_can_search_for():
    with inside_a_trace():
        sent, _ = await post("/api/v1/students", b"x", content_length=DEFAULT_LIMIT + 1)
    assert json.loads(sent.body)["trace_id"] == format(TRACE_ID, "032x")


async def test_outside_a_trace_no_trace_id_header_is_invented():
    sent = Recorder()
    await TraceIdHeader(EchoApp())(http_scope(), body_messages(b"{}"), sent)
    assert b"x-trace-id" not in sent.headers
