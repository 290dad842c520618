"""Tolerant readers: an event that gained a field its consumers do not know yet is handled,
not dead-lettered — services need not be deployed in lockstep, and an additive change is not
a new major version (docs/operations.md, Evolving events)."""

import dataclasses
import uuid

import pytest
from liaison_shared.contracts.feedback import OpinionSubmitted
from liaison_shared.contracts.members import DutyContact, OrgUnitChanged
from liaison_shared.events import Envelope, Event
from liaison_tools.testing import eventually, produce_raw, running

pytestmark = pytest.mark.integration

# a county nobody else uses, so what these events leave behind touches no other test
COUNTY = "640299000000"


def with_a_new_field(event: Event, subject: str, **nested: str) -> tuple[bytes, bytes, list]:
    """The record of tomorrow's producer: the same event with fields added, at the top and nested."""
    envelope = Envelope.wrap(event, subject=subject, org_unit=COUNTY)
    data = {**envelope.data, "added_tomorrow": {"any": ["shape"]}}
    for name, field in nested.items():
        data[name] = {**data[name], field: "新字段"}
    tomorrow = dataclasses.replace(envelope, data=data)
    return subject.encode(), tomorrow.value(), tomorrow.headers()


async def test_every_consumer_handles_an_event_with_fields_it_does_not_know(platform, service_specs, db_pool):
    unit = OrgUnitChanged(code=COUNTY, name="测试县", parent="640200000000", level="county", kind="committee",
                          duty_contact=DutyContact(email="duty@test-county.example.cn"))
    opinion = OpinionSubmitted(opinion_id=str(uuid.uuid4()), org_unit=COUNTY, channel="online", category="交通")
    records = {
        OrgUnitChanged.event_type.topic: with_a_new_field(unit, COUNTY, duty_contact="wechat"),
        OpinionSubmitted.event_type.topic: with_a_new_field(opinion, opinion.opinion_id),
    }
    expected = {}  # service → the event ids its inbox must show handled
    for name, spec in service_specs.items():
        if spec.consumer:
            expected[name] = {dict(record[2])["ce_id"].decode() for topic, record in records.items()
                              if topic in spec.consumer.topics}
    assert set(expected) == {"members", "consultation", "feedback", "notify"}
    assert all(expected.values()), expected  # each consumer is sent at least one

    async with running(service_specs["members"], platform), running(service_specs["consultation"], platform), \
            running(service_specs["feedback"], platform), running(service_specs["notify"], platform):
        for topic, record in records.items():
            await produce_raw(platform, topic, [record])

        async def handled():
            seen = {name: {r["event_id"] for r in await db_pool.fetch(
                f"SELECT event_id FROM {name}.inbox WHERE event_id = ANY($1::text[])", list(ids))}
                for name, ids in expected.items()}
            return seen if seen == expected else None
        await eventually(handled, timeout=60)

    # and it was understood, not merely acknowledged: the unit reached the projections
    for schema in ("consultation", "feedback", "notify"):
        assert await db_pool.fetchval(f"SELECT name FROM {schema}.org_units WHERE code = $1", COUNTY) == "测试县"
