"""Composition root of the members service."""

from __future__ import annotations

from liaison_shared import checkin
from liaison_shared.contracts.feedback import (
    OpinionRated,
    OpinionSubmitted,
    OutcomeConverted,
    ProposalAccepted,
    ReportAdopted,
    ReportInstructed,
)
from liaison_shared.inbox import EventConsumer
from liaison_shared.service import ServiceSpec, UnsafeSettings

import members

from .api import checkins, groups, imports, internal, people, record, registry, venues, work
from .demo import load_demo
from .handlers import work as work_handlers
from .handlers.checkins import keep_checkin_projection
from .handlers.groups import keep_group_projection
from .handlers.record import keep_record_projection


def check_in_key_is_own(settings) -> None:
    """Outside development, check-in codes (扫码签到) are signed with the operator's key: CHECKIN_SECRET
    (32+ characters), or one derived from its own AUDIT_HMAC_KEY."""
    wrong = None if settings.dev_mode else checkin.check_key(settings)
    if wrong:
        raise UnsafeSettings(f"refusing to start: {wrong}")


def spec() -> ServiceSpec:
    consumer = EventConsumer("members")
    consumer.on(OpinionSubmitted, rebuildable=True)(work_handlers.project_opinion)
    consumer.on(OpinionRated)(work_handlers.credit_satisfied_rating)
    consumer.on(ProposalAccepted)(work_handlers.credit_accepted_proposal)
    consumer.on(OutcomeConverted)(work_handlers.credit_converted_outcome)
    consumer.on(ReportAdopted)(work_handlers.credit_adopted_report)
    consumer.on(ReportInstructed)(work_handlers.credit_instruction)
    keep_record_projection(consumer)
    keep_checkin_projection(consumer)
    keep_group_projection(consumer)
    return ServiceSpec(
        name="members",
        package="members",
        description=members.__doc__ or "",
        routers=[registry.router, people.router, venues.router, work.router, imports.router,
                 internal.router, record.router, checkins.router, groups.router],
        pages=[record.pages],
        consumer=consumer,
        # Registry state other services rebuild projections from: kept and compacted.
        registry_topics=[
            "cppcc.members.org_unit", "cppcc.members.department", "cppcc.members.member",
            "cppcc.members.venue",
        ],
        demo_data=load_demo,
        start_checks=[check_in_key_is_own],
    )
