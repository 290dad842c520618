"""A probe service for the foundation's own tests: publishes and consumes one event type.

Its handler records an effect row per event, so a test can count effects exactly; a
``poison`` title makes it raise, to drive the dead-letter path.
"""

from typing import ClassVar

from liaison_shared.events import Event, EventType
from liaison_shared.inbox import EventConsumer
from liaison_shared.service import ServiceSpec
from pydantic import Field

PROBE_MIGRATION = """
-- migrate:up
CREATE TABLE effects (
    event_id   text NOT NULL,
    title      text NOT NULL,
    seq        int  NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
-- migrate:down
DROP TABLE effects;
"""


class ProbeHappened(Event):
    """A probe event of the foundation tests."""

    event_type: ClassVar = EventType("probe", "thing", "happened", 1)
    title: str = Field(..., min_length=1)
    seq: int = 0
    thing_id: str = "probe"  # what it is about: its subject and record key
    org_unit: str = "640221100201"  # a village of 黄渠桥镇, 平罗县


# Titles whose handling fails: "poison" always; a test may add one and later "fix" it.
FAILING: set[str] = {"poison"}


async def record_effect(uow, envelope, event: ProbeHappened) -> None:
    if event.title in FAILING:
        raise RuntimeError("this probe event fails")
    await uow.conn.execute(
        "INSERT INTO effects (event_id, title, seq) VALUES ($1, $2, $3)",
        envelope.id, event.title, event.seq,
    )


def probe_spec(name: str = "probe") -> ServiceSpec:
    consumer = EventConsumer(name)
    consumer.on(ProbeHappened)(record_effect)
    return ServiceSpec(
        name=name, package="liaison_shared", description="foundation probe",
        consumer=consumer,
    )


