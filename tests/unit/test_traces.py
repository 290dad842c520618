"""Traces: off unless the OTEL_* variables configure an exporter; on, a consumed event's span is
the child of its producer span, and nothing that leaves the process names a person."""

import logging
import os

import pytest
from liaison_shared import telemetry, tracing
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from opentelemetry.trace import SpanKind, StatusCode

pytestmark = pytest.mark.unit

SUBMITTED = "cppcc.feedback.opinion.submitted.v1"
REQUEST = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
def environment(monkeypatch):
    """No OTEL_* variable but those a test sets."""
    for name in [name for name in os.environ if name.startswith("OTEL_")]:
        monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture
def spans(environment):
    exporter = InMemorySpanExporter()
    assert telemetry.start("feedback", exporter=exporter)
    try:
        yield exporter
    finally:
        telemetry.stop()


def test_without_otel_variables_no_exporter_is_made_and_spans_stay_off(environment):
    assert telemetry.exporters_from_environment() == []
    assert not telemetry.start("feedback")
    # the W3C header alone, as before: a new span id in the caller's trace
    assert tracing.of_request(REQUEST).split("-")[1] == REQUEST.split("-")[1]
    assert tracing.of_request(REQUEST) != REQUEST


def test_an_otlp_endpoint_sends_traces_over_otlp_http(environment):
    environment.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector.pingluo.example.cn:4318")
    [exporter] = telemetry.exporters_from_environment()
    assert isinstance(exporter, OTLPSpanExporter)


@pytest.mark.parametrize("variables", [
    {"OTEL_SDK_DISABLED": "true"},
    {"OTEL_TRACES_EXPORTER": "none"},
    {"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},  # not installed: said in the log, nothing sent
])
def test_traces_stay_off_when_disabled_or_not_installed(environment, variables, caplog):
    environment.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector.pingluo.example.cn:4318")
    for name, value in variables.items():
        environment.setenv(name, value)
    with caplog.at_level(logging.WARNING, logger="liaison_shared.telemetry"):
        assert telemetry.exporters_from_environment() == []
    assert ("grpc" in caplog.text) == ("OTEL_EXPORTER_OTLP_PROTOCOL" in variables)


def test_a_consumed_event_is_the_child_of_its_producer_span_and_what_it_records_of_its_own(spans):
    stored = [("ce_id", b"0d5e7c1a"), ("ce_type", SUBMITTED.encode()), ("traceparent", REQUEST.encode())]
    sending = tracing.Sending()
    sent = dict(sending.headers("cppcc.feedback.opinion", stored))
    sending.end()
    with tracing.handling(sent["traceparent"].decode(), topic="cppcc.feedback.opinion", event_id="0d5e7c1a",
                          event_type=SUBMITTED, group="cppcc-liaison.notify"):
        recorded = tracing.of_event()
    producer, consumer = spans.get_finished_spans()
    assert (producer.kind, consumer.kind) == (SpanKind.PRODUCER, SpanKind.CONSUMER)
    assert {producer.context.trace_id, consumer.context.trace_id} == {int(REQUEST.split("-")[1], 16)}
    assert producer.parent.span_id == int(REQUEST.split("-")[2], 16)  # where the event was recorded
    assert sent["traceparent"].decode().startswith(f"00-{producer.context.trace_id:032x}-{producer.context.span_id:016x}-")
    assert consumer.parent.span_id == producer.context.span_id
    assert recorded.split("-")[2] == f"{consumer.context.span_id:016x}"
    assert consumer.resource.attributes["service.name"] == "feedback"


def test_otel_service_name_names_the_service_in_its_spans(environment):
    environment.setenv("OTEL_SERVICE_NAME", "feedback-pingluo")
    exporter = InMemorySpanExporter()
    telemetry.start("feedback", exporter=exporter)
    try:
        with tracing.handling(REQUEST, topic="cppcc.feedback.opinion", event_id="1", event_type=SUBMITTED,
                              group="cppcc-liaison.members"):
            pass
    finally:
        telemetry.stop()
    [span] = exporter.get_finished_spans()
    assert span.resource.attributes["service.name"] == "feedback-pingluo"


def test_a_failing_handler_marks_its_span_with_the_class_of_the_error_not_its_text(spans):
    with pytest.raises(ValueError), tracing.handling(REQUEST, topic="cppcc.feedback.opinion", event_id="1",
                                                     event_type=SUBMITTED, group="cppcc-liaison.members"):
        raise ValueError("Failing row contains (张三, 13812345678)")
    [span] = spans.get_finished_spans()
    assert (span.status.status_code, span.status.description) == (StatusCode.ERROR, "ValueError")


def test_what_leaves_the_process_keeps_the_route_and_names_no_one():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(telemetry.Redacted(exporter)))
    tracer = provider.get_tracer("test")
    with pytest.raises(RuntimeError), tracer.start_as_current_span("GET /t/{code}", kind=SpanKind.SERVER, attributes={
        "http.route": "/t/{code}", "http.target": "/t/K7Q2M9X4P8W3?q=张三", "http.url": "http://h/t/K7Q2M9X4P8W3",
        "net.peer.ip": "192.0.2.7", "http.user_agent": "Mozilla/5.0", "http.method": "GET",
    }):
        raise RuntimeError("Failing row contains (张三, 13812345678)")
    [span] = exporter.get_finished_spans()
    assert dict(span.attributes) == {"http.route": "/t/{code}", "http.method": "GET"}
    assert span.status.description == "RuntimeError"
    [event] = span.events
    assert dict(event.attributes) == {"exception.type": "RuntimeError"}


def test_a_query_outside_a_request_or_an_event_is_not_traced():
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=telemetry.QueriesInsideSpans(ALWAYS_ON))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    query = {"db.system": "postgresql", "db.statement": "SELECT id FROM outbox WHERE published_at IS NULL"}
    with tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT, attributes=query):
        pass
    with tracer.start_as_current_span("POST /api/v1/opinions", kind=SpanKind.SERVER), \
            tracer.start_as_current_span("INSERT", kind=SpanKind.CLIENT, attributes=query):
        pass
    assert [span.name for span in exporter.get_finished_spans()] == ["INSERT", "POST /api/v1/opinions"]
