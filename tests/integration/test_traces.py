"""One citizen's submission is one trace: feedback's request, the producer span of its event,
and the consumer spans of members and notify — the services in this process, their spans in
one in-memory exporter."""

import pytest
from liaison_shared import telemetry
from liaison_shared.kafka import consumer_group
from liaison_tools.testing import eventually, running, token_for
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

pytestmark = pytest.mark.integration

CITY, PINGLUO, HUANGQUQIAO, DONGFENG = "640200000000", "640221000000", "640221100000", "640221100201"
CONTENT = "村口灌溉渠堵塞，影响春灌"


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    assert telemetry.start("cppcc-liaison-tests", exporter=exporter)
    try:
        yield exporter
    finally:
        telemetry.stop()


def texts(span) -> list[str]:
    """Everything a span says in words: name, attributes, status, events."""
    said = [span.name, str(span.status.description or "")]
    said += [str(value) for value in (span.attributes or {}).values()]
    for event in span.events:
        said += [str(value) for value in (event.attributes or {}).values()]
    return said


async def test_a_submission_is_one_trace_from_feedback_to_the_consumers_of_its_event(
    platform, service_specs, db_pool, spans
):
    async with running(service_specs["members"], platform) as members, \
            running(service_specs["feedback"], platform) as feedback, \
            running(service_specs["notify"], platform):
        admin = token_for(platform, "admin", CITY)
        for code, name in [(CITY, "石嘴山市"), (PINGLUO, "平罗县"), (HUANGQUQIAO, "黄渠桥镇"), (DONGFENG, "东风村")]:
            created = await members.post("/api/v1/org-units", headers=admin, json={"code": code, "name": name})
            assert created.status_code in (201, 409)
        await eventually(lambda: db_pool.fetchval("SELECT count(*) = 1 FROM feedback.org_units WHERE code = $1",
                                                  DONGFENG), timeout=30)

        submitted = await feedback.post("/api/v1/opinions", json={
            "content": CONTENT, "org_unit": DONGFENG, "channel": "online", "category": "水利"})
        assert submitted.status_code == 201, submitted.text
        code = submitted.json()["tracking_code"]
        tracked = await feedback.get(f"/api/v1/track/{code}", params={"from": "张三"})
        assert tracked.status_code == 200

        [request] = [s for s in spans.get_finished_spans()
                     if s.kind is SpanKind.SERVER and s.name == "POST /api/v1/opinions"]
        trace_id = request.context.trace_id
        # the answer's traceparent, the logs' and the audit's trace id are the span's
        assert submitted.headers["traceparent"].startswith(f"00-{trace_id:032x}-{request.context.span_id:016x}-")

        def sent():
            return [s for s in spans.get_finished_spans() if s.kind is SpanKind.PRODUCER
                    and s.context.trace_id == trace_id
                    and s.attributes["cloudevents.event_type"] == "cppcc.feedback.opinion.submitted.v1"]

        [producer] = await eventually(sent)
        assert producer.parent.span_id == request.context.span_id

        def consumed():
            found = {s.attributes["messaging.consumer.group.name"]: s for s in spans.get_finished_spans()
                     if s.kind is SpanKind.CONSUMER
                     and s.attributes["cloudevents.event_id"] == producer.attributes["cloudevents.event_id"]}
            return found if {consumer_group("members"), consumer_group("notify")} <= set(found) else None

        consumers = await eventually(consumed, timeout=60)
        for consumer in consumers.values():
            assert consumer.context.trace_id == trace_id
            assert consumer.parent.span_id == producer.context.span_id

        finished = spans.get_finished_spans()
        queries_of = {s.parent.span_id for s in finished if s.kind is SpanKind.CLIENT and s.parent is not None}
        assert request.context.span_id in queries_of
        assert consumers[consumer_group("members")].context.span_id in queries_of
        # a query outside a request or an event (the relay's polling) is no trace of its own
        assert not [s for s in finished if s.kind is SpanKind.CLIENT and s.parent is None]

    said = " ".join(text for span in spans.get_finished_spans() for text in texts(span))
    for personal in (CONTENT, code, "张三"):
        assert personal not in said
    assert "/api/v1/track/{code}" in said
