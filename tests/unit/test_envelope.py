from typing import ClassVar

import pytest
from liaison_shared.contracts.members import DutyContact, OrgUnitChanged
from liaison_shared.events import (
    Envelope,
    Event,
    EventType,
    InvalidEnvelope,
    UnknownEventType,
    registry,
)
from pydantic import ValidationError

pytestmark = pytest.mark.unit

TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def pingluo() -> OrgUnitChanged:
    return OrgUnitChanged(code="640221000000", name="平罗县", parent="640200000000",
                          level="county", kind="committee")


def test_type_and_topic_follow_the_contract():
    t = OrgUnitChanged.event_type
    assert t.name == "cppcc.members.org_unit.changed.v1"
    assert t.topic == "cppcc.members.org_unit"


def test_envelope_carries_every_contract_header():
    envelope = Envelope.wrap(pingluo(), subject="640221000000", org_unit="640221000000",
                             traceparent=TRACE)
    headers = dict(envelope.headers())
    assert set(headers) == {
        "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject",
        "content-type", "ce_orgunit", "ce_level", "traceparent",
    }
    assert headers["ce_level"] == b"county"
    assert headers["ce_source"] == b"/cppcc-liaison/members"
    assert headers["content-type"] == b"application/json"
    # same trace, new span
    assert headers["traceparent"].decode().split("-")[1] == TRACE.split("-")[1]
    assert headers["traceparent"].decode() != TRACE


def test_round_trip_through_kafka_shapes():
    envelope = Envelope.wrap(pingluo(), subject="640221000000", org_unit="640221000000")
    back = Envelope.from_kafka(envelope.headers(), envelope.value(), envelope.key.encode())
    assert back.id == envelope.id and back.type == envelope.type
    assert back.time == envelope.time
    assert back.parse() == pingluo()
    assert "平罗县" in envelope.value().decode()  # UTF-8, not \u escapes


def test_a_producer_cannot_add_a_field_the_schema_does_not_name():
    with pytest.raises(ValidationError, match="fields not in the schema of OrgUnitChanged: nmae"):
        OrgUnitChanged(code="640221000000", nmae="平罗县", name="平罗县", level="county", kind="committee")
    with pytest.raises(ValidationError, match="fields not in the schema of DutyContact: wechat"):
        DutyContact(email="a@b.cn", wechat="x")


def test_a_reader_ignores_fields_it_does_not_know_at_any_depth():
    data = {**pingluo().model_dump(mode="json"), "added_later": [1], "duty_contact": {"email": "a@b.cn", "im": "x"}}
    parsed = registry.parse(OrgUnitChanged.event_type.name, data)
    assert parsed == pingluo().model_copy(update={"duty_contact": DutyContact(email="a@b.cn")})


def test_invalid_data_is_refused_before_publishing():
    with pytest.raises(ValidationError):
        OrgUnitChanged(code="64022100", name="x", level="county", kind="committee")
    bad = OrgUnitChanged.model_construct(code="nope", name="x", level="county", kind="committee")
    with pytest.raises(ValueError, match="refusing to publish"):
        Envelope.wrap(bad, subject="x", org_unit="640221000000")


def test_records_that_are_not_cloudevents_are_refused():
    with pytest.raises(InvalidEnvelope, match="missing"):
        Envelope.from_kafka([("ce_id", b"1")], b"{}", None)
    good = Envelope.wrap(pingluo(), subject="s", org_unit="640221000000")
    with pytest.raises(InvalidEnvelope, match="JSON"):
        Envelope.from_kafka(good.headers(), b"\xff not json", None)


class ThingHappenedV1(Event):
    event_type: ClassVar = EventType("probe", "sample", "happened", 1)
    title: str


class ThingHappenedV2(Event):
    event_type: ClassVar = EventType("probe", "sample", "happened", 2)
    title: str
    weight: int


registry.upcaster("cppcc.probe.sample.happened.v1", "cppcc.probe.sample.happened.v2")(
    lambda data: {**data, "weight": 1}
)


def test_old_versions_are_upcast_for_a_new_consumer():
    registry._models.pop("cppcc.probe.sample.happened.v1")  # as if this consumer knew only v2
    try:
        parsed = registry.parse("cppcc.probe.sample.happened.v1", {"title": "村口灌溉渠堵塞"})
        assert parsed == ThingHappenedV2(title="村口灌溉渠堵塞", weight=1)
    finally:
        registry.register(ThingHappenedV1)


def test_unknown_types_are_reported():
    with pytest.raises(UnknownEventType):
        registry.parse("cppcc.nobody.nothing.v9", {})
