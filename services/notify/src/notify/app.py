"""Composition root of the notify service."""

from __future__ import annotations

from liaison_shared import projections
from liaison_shared.contracts import consultation, feedback, members
from liaison_shared.contracts.notify import NotificationFailed, NotificationSent
from liaison_shared.inbox import EventConsumer
from liaison_shared.service import ServiceSpec

import notify

from .api import inbox
from .handlers.notifications import notify as notify_of
from .handlers.notifications import run_delivery_worker

# The events the default rules speak of; which of them notify whom is data (table `rules`).
NOTIFIED = [
    feedback.OpinionSubmitted, feedback.OpinionAssigned, feedback.OpinionEscalated, feedback.OpinionReplied,
    feedback.OpinionOverdue, feedback.OpinionRated, feedback.OpinionClosed, feedback.ProposalFiled,
    feedback.ProposalAccepted, feedback.ProposalAssigned, feedback.ProposalReplied, feedback.ProposalEvaluated,
    feedback.OutcomeConverted, consultation.ConsultationOutcomeConverted, members.MemberAssigned,
    members.ActivityLogged, members.MemberRegistered,
]


def spec() -> ServiceSpec:
    consumer = EventConsumer("notify")
    projections.keep_registry_projection(consumer)
    for model in NOTIFIED:
        consumer.on(model)(notify_of)
    return ServiceSpec(
        name="notify",
        package="notify",
        title="notify",
        description=notify.__doc__ or "",
        routers=[inbox.router],
        publishes=[NotificationSent, NotificationFailed],
        consumer=consumer,
        shared_migrations=[projections.MIGRATIONS],
        background_jobs=[run_delivery_worker],
    )
