"""ASGI middleware: distrust inbound trace context, bound request headers and bodies, return the trace id."""

from opentelemetry import trace

from gateway.problems import problem

INBOUND_TRACE_HEADERS = {b"traceparent", b"tracestate", b"baggage"}
TRACE_ID_HEADER = b"x-trace-id"


class DropInboundTraceContext:
    """Removes trace context sent from the internet, so clients cannot join or steer our traces."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = [(k, v) for k, v in scope["headers"] if k.lower() not in INBOUND_TRACE_HEADERS]
            scope = dict(scope, headers=headers)
        await self.app(scope, receive, send)


class TraceIdHeader:
    """Adds X-Trace-Id (the id operators search for) to every traced response (all but /healthz)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        span_context = trace.get_current_span().get_span_context()

        async def send_with_trace_id(message):
            if message["type"] == "http.response.start" and span_context.is_valid:
                message["headers"] = [
                    *message.get("headers", []),
                    (TRACE_ID_HEADER, current_trace_id_of(span_context)),
                ]
            await send(message)

        await self.app(scope, receive, send_with_trace_id)


def current_trace_id_of(span_context) -> bytes:
    return format(span_context.trace_id, "032x").encode()


class HeaderLimits:
    """Refuses a request with more header fields, or more header bytes, than the limits (431).

    The HTTP server bounds what it buffers while a header block is incomplete; a block that arrives whole in
    one read is only measured here, so the byte limit holds whatever the packet sizes were."""

    def __init__(self, app, *, max_count: int, max_bytes: int):
        self.app = app
        self.max_count = max_count
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            headers = scope["headers"]
            if len(headers) > self.max_count:
                detail = f"the request has more than {self.max_count} header fields"
                return await problem(431, detail)(scope, receive, send)
            if sum(len(name) + len(value) for name, value in headers) > self.max_bytes:
                detail = f"the request's header fields are larger than {self.max_bytes} bytes"
                return await problem(431, detail)(scope, receive, send)
        await self.app(scope, receive, send)


class BodySizeLimit:
    """Refuses request bodies over the limit with 413, whether or not Content-Length tells the truth."""

    def __init__(self, app, *, default_limit: int, upload_limit: int, upload_prefix: str):
        self.app = app
        self.default_limit = default_limit
        self.upload_limit = upload_limit
        self.upload_prefix = upload_prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.upload_limit if scope["path"].startswith(self.upload_prefix) else self.default_limit
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await too_large(scope, receive, send, limit)
        received = 0
        exceeded = False
        response_started = False

        async def limited_receive():
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge()
            return message

        async def guarded_send(message):
            # Frameworks turn a failing read into their own answer (FastAPI: 400 "error parsing the body");
            # once the body was cut off, the answer is ours.
            nonlocal response_started
            if exceeded and not response_started:
                return
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except BodyTooLarge:
            pass
        if exceeded and not response_started:
            await too_large(scope, receive, send, limit)


class BodyTooLarge(Exception):
    pass


async def too_large(scope, receive, send, limit: int) -> None:
    await problem(413, f"the request body is larger than {limit} bytes")(scope, receive, send)
