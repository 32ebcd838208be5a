"""One trace follows a request across processes; clients cannot inject their own trace context."""

import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from deploy.local.demo import personnummer_for
from tests.support.waiting import until

CLIENT_TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
FILTER_NOTES = "/elevhalsa.authz.v1.AuthzService/FilterNotes"


def spans_of(collector, trace_id: str, condition, timeout: float = 10.0):
    """The trace's spans once they satisfy `condition` (the exporters batch every 100 ms)."""

    def complete():
        spans = collector.in_trace(trace_id)
        return spans if condition(spans) else None

    return until(complete, timeout=timeout)


@pytest.fixture(scope="module")
def journal(tenant):
    unit, role, folder = tenant.unit(), tenant.role(), tenant.folder()
    tenant.grant(role["id"], folder["id"])
    user, email = tenant.user()
    tenant.assign(user["id"], role["id"], unit["id"])
    student = tenant.student(unit["id"], personnummer_for("20130505", 456))
    return {
        "role": role,
        "unit": unit,
        "user": user,
        "email": email,
        "path": f"/api/v1/students/{student['id']}/folders/{folder['id']}/notes",
    }


def sql_spans(spans, service: str) -> list:
    """Database spans of a service (client spans that are not gRPC calls, which are named /package.Service/Method)."""
    return [
        s
        for s in spans
        if s.service == service and s.kind == Span.SPAN_KIND_CLIENT and not s.name.startswith("/")
    ]


def test_a_journal_read_is_one_trace_through_gateway_records_sql_and_authz_which_uses_no_sql(
    api, tenant, collector, journal
):
    headers = {"traceparent": CLIENT_TRACEPARENT, "tracestate": "evil=1", "baggage": "user=admin"}
    reply = api.call("GET", journal["path"], api.login(journal["email"]), tenant.consistency, headers=headers)
    assert reply.status_code == 200
    trace_id = reply.headers["x-trace-id"]
    assert trace_id != CLIENT_TRACEPARENT.split("-")[1]

    def complete(spans) -> bool:
        # Each process exports on its own schedule, and a child span may arrive before its parent: wait for all.
        servers = {(s.service, s.name) for s in spans if s.kind == Span.SPAN_KIND_SERVER}
        return (
            any(service == "gateway" for service, _ in servers)
            and ("authz", FILTER_NOTES) in servers
            and any(service == "records" for service, _ in servers)
            and sql_spans(spans, "records")
        )

    spans = spans_of(collector, trace_id, complete)
    assert complete(spans)
    # Authz decides from memory: no SQL on the decision path (its children end, and are sent, before it).
    assert sql_spans(spans, "authz") == []
    roots = [s for s in spans if not s.parent_span_id]
    assert len(roots) == 1 and roots[0].service == "gateway"
    assert not collector.in_trace(CLIENT_TRACEPARENT.split("-")[1])


def test_a_revoke_is_one_trace_from_the_gateway_through_the_outbox_to_the_authz_consumer(
    api, tenant, collector, journal
):
    assignment = tenant.assign(journal["user"]["id"], journal["role"]["id"])
    reply = api.call("DELETE", f"/api/v1/assignments/{assignment['id']}", tenant.admin)
    trace_id = reply.headers["x-trace-id"]

    def complete(spans) -> bool:
        kinds = {(s.service, s.kind) for s in spans}
        # Each process exports on its own schedule: wait for all three, the gateway's request span included.
        wanted = {
            ("gateway", Span.SPAN_KIND_SERVER),
            ("identity", Span.SPAN_KIND_PRODUCER),
            ("authz", Span.SPAN_KIND_CONSUMER),
        }
        return wanted <= kinds

    spans = spans_of(collector, trace_id, complete)
    published = [s for s in spans if s.kind == Span.SPAN_KIND_PRODUCER and s.service == "identity"]
    consumed = [s for s in spans if s.kind == Span.SPAN_KIND_CONSUMER and s.service == "authz"]
    assert [s.name for s in published] == ["elevhalsa.identity.v1.AssignmentRevoked publish"]
    assert [s.name for s in consumed] == ["elevhalsa.identity.v1.AssignmentRevoked process"]
    assert consumed[0].parent_span_id == published[0].span_id
    assert {"gateway", "identity", "authz"} <= {s.service for s in spans}
