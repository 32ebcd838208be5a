"""OpenTelemetry set-up from the standard OTEL_* variables, trace ids in logs, and context in NATS headers."""

import logging
import os
import sys

from opentelemetry import metrics, propagate, trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s trace_id=%(trace_id)s %(message)s"


def setup_telemetry(service_name: str, log_level: str = "INFO") -> TracerProvider:
    """Install the tracer provider (always, so trace ids exist) and trace-aware logging."""
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    exporter = exporter_from_env()
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    setup_metrics(provider.resource)
    configure_logging(log_level)
    return provider


def setup_metrics(resource: Resource) -> None:
    """Export counters over OTLP when OTEL_METRICS_EXPORTER=otlp; otherwise they are counted nowhere."""
    if os.environ.get("OTEL_METRICS_EXPORTER", "none").strip().lower() != "otlp":
        return
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    reader = PeriodicExportingMetricReader(OTLPMetricExporter())
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[reader]))


_counters: dict[str, metrics.Counter] = {}


def count(name: str, **attributes: str) -> None:
    """Add one to a counter, e.g. of events a consumer skipped."""
    counter = _counters.get(name)
    if counter is None:
        counter = _counters[name] = metrics.get_meter("elevhalsa").create_counter(name)
    counter.add(1, attributes)


def exporter_from_env() -> SpanExporter | None:
    """The span exporter OTEL_TRACES_EXPORTER and OTEL_EXPORTER_OTLP_* ask for; none unless asked."""
    endpoint_set = any(
        os.environ.get(name) for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )
    name = os.environ.get("OTEL_TRACES_EXPORTER", "otlp" if endpoint_set else "none").strip().lower()
    if name == "none":
        return None
    if name == "console":
        return ConsoleSpanExporter(out=sys.stderr)
    if name != "otlp":
        raise SystemExit(f"OTEL_TRACES_EXPORTER={name!r} is not supported (otlp, console or none)")
    protocol = os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
    )
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    return OTLPSpanExporter()


def configure_logging(level: str) -> None:
    """Root logging to stderr with the current trace id on every line."""
    base_factory = logging.getLogRecordFactory()
    if not getattr(base_factory, "adds_trace_id", False):

        def factory(*args, **kwargs):
            record = base_factory(*args, **kwargs)
            record.trace_id = current_trace_id() or "-"
            return record

        factory.adds_trace_id = True
        logging.setLogRecordFactory(factory)
    logging.basicConfig(level=level.upper(), format=LOG_FORMAT, stream=sys.stderr, force=True)


def current_trace_id() -> str:
    """The hex trace id of the current span, or an empty string outside any trace."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else ""


def inject_context(headers: dict[str, str]) -> dict[str, str]:
    """Write the current trace context (traceparent, tracestate) into message headers."""
    propagate.inject(headers)
    return headers


def extract_context(headers: dict[str, str] | None) -> Context:
    """The trace context carried by message headers."""
    return propagate.extract(headers or {})


def message_span(
    tracer: trace.Tracer, subject: str, operation: str, headers: dict | None, message_id: str, **extra
):
    """A producer or consumer span for one event, in the trace the message headers carry."""
    kind = trace.SpanKind.PRODUCER if operation == "publish" else trace.SpanKind.CONSUMER
    attributes = {
        "messaging.system": "nats",
        "messaging.destination.name": subject,
        "messaging.message.id": message_id,
        **extra,
    }
    return tracer.start_as_current_span(
        f"{subject} {operation}", context=extract_context(headers), kind=kind, attributes=attributes
    )


def instrument_engine(engine) -> None:
    """Trace every SQL statement of an async SQLAlchemy engine."""
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine)
