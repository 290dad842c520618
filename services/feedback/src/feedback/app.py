"""Composition root of the feedback service."""

from __future__ import annotations

from liaison_shared import projections
from liaison_shared.inbox import EventConsumer
from liaison_shared.service import ServiceSpec

import feedback


def spec() -> ServiceSpec:
    consumer = EventConsumer("feedback")
    projections.keep_registry_projection(consumer)
    return ServiceSpec(
        name="feedback",
        package="feedback",
        title="feedback",
        description=feedback.__doc__ or "",
        consumer=consumer,
        shared_migrations=[projections.MIGRATIONS],
    )
