"""Composition root of the notify service."""

from __future__ import annotations

from liaison_shared import projections
from liaison_shared.contracts import consultation, feedback, members  # noqa: F401 — registers them
from liaison_shared.events import registry
from liaison_shared.inbox import EventConsumer
from liaison_shared.service import ServiceSpec, UnsafeSettings
from liaison_shared.servicetoken import NoServiceToken, check_configured

import notify

from .adapters import aliyun_sms, webhooks
from .adapters import hotline as hotline_adapter
from .adapters.sms import say_which_gateway
from .api import hotline, inbox, subscriptions
from .handlers import erasure, people, reminders
from .handlers.delivery import run_delivery_worker, run_digests, seal_clear_secrets
from .handlers.hotline import keep_case as keep_hotline_case
from .handlers.hotline import relay as relay_to_hotline
from .handlers.notifications import notify as notify_of

# Every event of the other services: rules (data) decide who hears of which, and webhook
# subscriptions may ask for any of them.
NOTIFIED = [model for model in registry.known() if model.event_type.service in ("members", "feedback", "consultation")]


def can_reach_peers(settings) -> None:
    """Notify fetches contacts from feedback and members with a token of its own: without a
    way to one, it would start only to fail every SMS and private e-mail."""
    try:
        check_configured(settings)
    except NoServiceToken as missing:
        raise UnsafeSettings(f"refusing to start: {missing}") from None


def can_send_sms(settings) -> None:
    """SMS_GATEWAY=aliyun without its keys, signature or template codes would fail every SMS."""
    wrong = aliyun_sms.problems(settings)
    if wrong:
        raise UnsafeSettings("refusing to start: SMS_GATEWAY=aliyun needs " + "; ".join(wrong))


def spec() -> ServiceSpec:
    consumer = EventConsumer("notify")
    projections.keep_registry_projection(consumer)
    for model in NOTIFIED:
        consumer.on(model)(notify_of)
    for model in (feedback.OpinionAssigned, feedback.ProposalAssigned, feedback.OpinionReturnRuled):
        consumer.on(model)(reminders.track_assigned)
    consumer.on(feedback.OpinionDeadlineExtended)(reminders.track_extended)
    # erasure converges on any replay: applied again after a restore, it deletes again
    consumer.on(feedback.SubmitterErased, rebuildable=True)(erasure.forget_submitter)
    for model in (feedback.OpinionReplied, feedback.OpinionClosed, feedback.ProposalReplied):
        consumer.on(model)(reminders.track_answered)
    # a hotline case's status changes, back to its city's 12345 hotline (docs/hotline.md)
    consumer.on(feedback.OpinionSubmitted, rebuildable=True)(keep_hotline_case)
    for model in NOTIFIED:
        if model.event_type.service == "feedback" and model.event_type.aggregate == "opinion":
            consumer.on(model)(relay_to_hotline)
    for model in (consultation.SessionScheduled, consultation.SessionConcluded,
                  consultation.ConsultationOutcomeConverted):
        consumer.on(model, rebuildable=True)(people.took_part)
    return ServiceSpec(
        name="notify",
        package="notify",
        description=notify.__doc__ or "",
        routers=[inbox.router, subscriptions.router, hotline.router],
        consumer=consumer,
        shared_migrations=[projections.MIGRATIONS],
        start_checks=[can_reach_peers, can_send_sms],
        background_jobs=[say_which_gateway, seal_clear_secrets, run_delivery_worker, reminders.run_reminders,
                         run_digests],
        master_sealed=webhooks.MASTER_SEALED + hotline_adapter.MASTER_SEALED,
    )
