"""Composition root of the consultation service."""

from __future__ import annotations

from liaison_shared import projections
from liaison_shared.inbox import EventConsumer
from liaison_shared.service import ServiceSpec

import consultation


def spec() -> ServiceSpec:
    consumer = EventConsumer("consultation")
    projections.keep_registry_projection(consumer)
    return ServiceSpec(
        name="consultation",
        package="consultation",
        title="consultation",
        description=consultation.__doc__ or "",
        consumer=consumer,
        shared_migrations=[projections.MIGRATIONS],
    )
