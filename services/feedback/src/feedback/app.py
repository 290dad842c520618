"""Composition root of the feedback service."""

from __future__ import annotations

from liaison_shared import projections
from liaison_shared.contracts.consultation import (
    ConsultationOutcomeConverted,
    OpinionRaised,
    TopicApproved,
    TopicClosed,
    TopicProposed,
)
from liaison_shared.contracts.members import VenueChanged
from liaison_shared.inbox import EventConsumer
from liaison_shared.service import ServiceSpec

import feedback

from .api import catalogue, internal, lineage, opinions, page, proposals, reports, stats
from .demo import load_demo
from .handlers import conversions
from .handlers.consumed import (
    keep_topic,
    keep_venue,
    take_consultation_outcome,
    take_session_opinion,
)
from .handlers.deadlines import run_scheduler
from .handlers.figures import run_rates
from .handlers.lineage import keep_lineage_projection
from .handlers.retention import run_retention


def spec() -> ServiceSpec:
    consumer = EventConsumer("feedback")
    projections.keep_registry_projection(consumer)
    consumer.on(ConsultationOutcomeConverted)(take_consultation_outcome)
    consumer.on(OpinionRaised)(take_session_opinion)
    for topic_event in (TopicProposed, TopicApproved, TopicClosed):
        consumer.on(topic_event, rebuildable=True)(keep_topic)
    consumer.on(VenueChanged, rebuildable=True)(keep_venue)
    conversions.listen(consumer)
    keep_lineage_projection(consumer)
    return ServiceSpec(
        name="feedback",
        package="feedback",
        description=feedback.__doc__ or "",
        routers=[opinions.router, catalogue.router, stats.router, reports.router, proposals.router,
                 internal.router, lineage.router],
        pages=[page.router],
        consumer=consumer,
        shared_migrations=[projections.MIGRATIONS],
        background_jobs=[run_scheduler, run_retention, run_rates],
        demo_data=load_demo,
    )
