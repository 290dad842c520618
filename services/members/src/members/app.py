"""Composition root of the members service."""

from __future__ import annotations

from liaison_shared.contracts.feedback import (
    OpinionRated,
    OpinionSubmitted,
    OutcomeConverted,
    ProposalAccepted,
    ReportAdopted,
    ReportInstructed,
)
from liaison_shared.inbox import EventConsumer
from liaison_shared.service import ServiceSpec

import members

from .api import imports, internal, people, record, registry, venues, work
from .demo import load_demo
from .handlers import work as work_handlers
from .handlers.record import keep_record_projection


def spec() -> ServiceSpec:
    consumer = EventConsumer("members")
    consumer.on(OpinionSubmitted, rebuildable=True)(work_handlers.project_opinion)
    consumer.on(OpinionRated)(work_handlers.credit_satisfied_rating)
    consumer.on(ProposalAccepted)(work_handlers.credit_accepted_proposal)
    consumer.on(OutcomeConverted)(work_handlers.credit_converted_outcome)
    consumer.on(ReportAdopted)(work_handlers.credit_adopted_report)
    consumer.on(ReportInstructed)(work_handlers.credit_instruction)
    keep_record_projection(consumer)
    return ServiceSpec(
        name="members",
        package="members",
        description=members.__doc__ or "",
        routers=[registry.router, people.router, venues.router, work.router, imports.router,
                 internal.router, record.router],
        pages=[record.pages],
        consumer=consumer,
        # Registry state other services rebuild projections from: kept and compacted.
        registry_topics=[
            "cppcc.members.org_unit", "cppcc.members.department", "cppcc.members.member",
            "cppcc.members.venue",
        ],
        demo_data=load_demo,
    )
