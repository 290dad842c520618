"""Composition root of the feedback service."""

from __future__ import annotations

from liaison_shared import crypto, projections
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

from .api import (
    catalogue,
    categories,
    duplicates,
    hotline,
    internal,
    lineage,
    open311,
    open311_clients,
    opendata,
    opinions,
    page,
    proposals,
    public,
    reports,
    stats,
    taken_in,
)
from .demo import load_demo
from .handlers import conversions
from .handlers.consumed import (
    keep_topic,
    keep_venue,
    take_consultation_outcome,
    take_session_opinion,
)
from .handlers.deadlines import run_scheduler
from .handlers.duplicates import run_backfill_keys
from .handlers.figures import run_rates
from .handlers.lineage import keep_lineage_projection
from .handlers.retention import run_retention
from .handlers.taken_in import keep_casework_projection


def spec() -> ServiceSpec:
    consumer = EventConsumer("feedback")
    projections.keep_registry_projection(consumer)
    consumer.on(ConsultationOutcomeConverted)(take_consultation_outcome)
    consumer.on(OpinionRaised)(take_session_opinion)
    consumer.on(TopicProposed, rebuildable=True)(keep_topic)
    consumer.on(TopicApproved, rebuildable=True)(keep_topic)
    consumer.on(TopicClosed, rebuildable=True)(keep_topic)
    consumer.on(VenueChanged, rebuildable=True)(keep_venue)
    conversions.listen(consumer)
    keep_lineage_projection(consumer)
    keep_casework_projection(consumer)
    return ServiceSpec(
        name="feedback",
        package="feedback",
        description=feedback.__doc__ or "",
        routers=[taken_in.router, opinions.router, catalogue.router, stats.router, reports.router, proposals.router,
                 internal.router, lineage.router, opendata.router, public.router, duplicates.router,
                 categories.router, hotline.router, open311_clients.router],
        pages=[page.router, open311.router],
        consumer=consumer,
        shared_migrations=[projections.MIGRATIONS],
        background_jobs=[run_scheduler, run_retention, run_rates, run_backfill_keys],
        demo_data=load_demo,
        master_sealed=[crypto.MasterSealed("submitters", "wrapped_key", "subject_id")],
        error_formats={f"{open311.PREFIX}/": open311.georeport_error},
    )
