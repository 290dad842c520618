"""Composition root of the consultation service."""

from __future__ import annotations

from liaison_shared import projections
from liaison_shared.contracts.feedback import OutcomeConverted
from liaison_shared.contracts.members import AttendanceRecorded, VenueChanged
from liaison_shared.inbox import EventConsumer
from liaison_shared.service import ServiceSpec

import consultation

from .api import outcomes, public, sessions, topics
from .handlers.consumed import apply_venue, take_check_in, take_converted_opinion


def spec() -> ServiceSpec:
    consumer = EventConsumer("consultation")
    projections.keep_registry_projection(consumer)
    consumer.on(VenueChanged, rebuildable=True)(apply_venue)
    consumer.on(OutcomeConverted)(take_converted_opinion)
    consumer.on(AttendanceRecorded)(take_check_in)
    return ServiceSpec(
        name="consultation",
        package="consultation",
        description=consultation.__doc__ or "",
        routers=[topics.router, sessions.router, outcomes.router, public.router],
        consumer=consumer,
        shared_migrations=[projections.MIGRATIONS],
    )
