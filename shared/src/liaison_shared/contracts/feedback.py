"""Events of the feedback service that other services consume.

Only the events whose consumers exist so far are declared here; the feedback service
adds the rest of its events (CONTRACT.md) with its own domain.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..events import Event, EventType, Payload
from .common import OrgCode

Rating = Literal["satisfied", "basically_satisfied", "unsatisfied"]
OutcomeKind = Literal[
    "opinion", "consultation_outcome", "proposal", "public_opinion_report", "special_report",
    "plenary_speech", "topic", "department_task", "party_report",
]


class OpinionRated(Event):
    """群众评价 — the submitter (or staff, for a phone rating) rated the answer."""

    event_type = EventType("feedback", "opinion", "rated", 1)

    opinion_id: str
    org_unit: OrgCode
    rating: Rating
    member_id: str | None = Field(None, description="The member who took the opinion in, if any.")


class ProposalAccepted(Event):
    """立案 — a proposal passed review and was accepted."""

    event_type = EventType("feedback", "proposal", "accepted", 1)

    proposal_id: str
    number: str = Field(..., examples=["2026-0001"])
    org_unit: OrgCode
    proposer_member_ids: list[str] = Field(default_factory=list)


class OutcomeRef(Payload):
    kind: OutcomeKind
    id: str


class OutcomeConverted(Event):
    """成果转化 — an opinion or consultation outcome became a proposal, report or topic."""

    event_type = EventType("feedback", "outcome", "converted", 1)

    source: OutcomeRef
    target: OutcomeRef
    org_unit: OrgCode
    member_ids: list[str] = Field(default_factory=list, description="Members credited with it.")
