"""Composition root of the notify service."""

from __future__ import annotations

from liaison_shared import projections
from liaison_shared.inbox import EventConsumer
from liaison_shared.service import ServiceSpec

import notify


def spec() -> ServiceSpec:
    consumer = EventConsumer("notify")
    projections.keep_registry_projection(consumer)
    return ServiceSpec(
        name="notify",
        package="notify",
        title="notify",
        description=notify.__doc__ or "",
        consumer=consumer,
        shared_migrations=[projections.MIGRATIONS],
    )
