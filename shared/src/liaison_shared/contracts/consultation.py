"""Events of the consultation service that other services consume.

Declared here with their first consumer; the consultation service publishes them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..events import Event, EventType
from .common import OrgCode
from .feedback import Conversion

Track = Literal["standard", "small_matter", "urgent"]
Stage = Literal["proposed", "selected", "plan_submitted", "approved", "consulting", "concluded", "closed", "declined"]
Disposition = Literal["received", "answered", "assigned", "escalated"]
OutcomeResult = Literal["adopted", "implementing", "implemented", "not_adopted"]
Urgency = Literal["normal", "urgent"]
URGENCY_FIELD: Urgency = Field("normal", description="urgent for 急事快议: notified at once, past quiet hours and digests.")


class ConsultationOutcomeConverted(Conversion):
    """成果转化 — a consultation outcome became a department task, proposal, report or party report."""

    event_type = EventType("consultation", "outcome", "converted", 1)

    title: str = Field("", max_length=200, description="What was agreed, in a line.")
    department_ids: list[str] = Field(default_factory=list, description="For a department task: who does it.")
    deadline: str | None = Field(None, description="YYYY-MM-DD: for a department task, when it is due.")
    member_ids: list[str] = Field(default_factory=list)
    topic_id: str | None = None
    urgency: Urgency = URGENCY_FIELD


class TopicProposed(Event):
    """议题 — a topic entered an org unit's topic pool."""

    event_type = EventType("consultation", "topic", "proposed", 1)

    topic_id: str
    org_unit: OrgCode
    title: str
    source_kind: str = Field(..., examples=["public", "department", "village_committee", "member", "sector",
                                            "party_committee"])
    moved_from: OrgCode | None = Field(None, description="Set when the topic was raised or handed down to this unit.")
    urgency: Urgency = URGENCY_FIELD


class TopicStageChanged(Event):
    """议题进展 — a topic moved on its way: selected, plan submitted, approved, consulting, concluded,
    closed, declined, or back in a pool (raised, handed down). Published at every change of stage."""

    event_type = EventType("consultation", "topic", "stage_changed", 1)

    topic_id: str
    org_unit: OrgCode
    title: str
    stage: Stage
    from_stage: str | None = None
    track: Track = Field("standard", description="standard, small_matter (小事简议), urgent (急事快议)")
    urgency: Urgency = URGENCY_FIELD


class TopicApproved(Event):
    """The party committee approved a topic's consultation plan."""

    event_type = EventType("consultation", "topic", "approved", 1)

    topic_id: str
    org_unit: OrgCode
    title: str
    track: Track = Field("standard", description="standard, small_matter (小事简议), urgent (急事快议)")
    urgency: Urgency = URGENCY_FIELD


class SessionScheduled(Event):
    """协商议事 — a consultation session was scheduled; its participants are invited."""

    event_type = EventType("consultation", "session", "scheduled", 1)

    session_id: str
    topic_id: str
    org_unit: OrgCode
    title: str
    starts_at: str
    venue_id: str | None = None
    member_ids: list[str] = Field(default_factory=list)
    department_ids: list[str] = Field(default_factory=list)
    form: str | None = None
    urgency: Urgency = URGENCY_FIELD
    ends_at: str | None = Field(None, description="When it is planned to end, if said; what a check-in "
                                                  "(扫码签到) window closes with.")


class ResearchRecorded(Event):
    """学习调研 — research on a topic was recorded: a field visit (调研视察) or study material, with the
    members who did it (their 履职档案 and score count it)."""

    event_type = EventType("consultation", "research", "recorded", 1)

    research_id: str
    topic_id: str
    org_unit: OrgCode = Field(..., description="The topic's unit.")
    kind: Literal["field_visit", "material"]
    title: str
    happened_on: str | None = Field(None, description="YYYY-MM-DD, when it happened, if said.")
    member_ids: list[str] = Field(default_factory=list)


class SessionConcluded(Event):
    """A consultation session concluded, with its minutes."""

    event_type = EventType("consultation", "session", "concluded", 1)

    session_id: str
    topic_id: str
    org_unit: OrgCode
    title: str
    member_ids: list[str] = Field(default_factory=list)
    department_ids: list[str] = Field(default_factory=list)
    urgency: Urgency = URGENCY_FIELD


class SessionCancelled(Event):
    """协商议事取消 — a scheduled session will not be held: its invitation is withdrawn, and no one
    checks in (扫码签到) or is counted present there."""

    event_type = EventType("consultation", "session", "cancelled", 1)

    session_id: str = Field(..., description="The session, as session.scheduled named it (the record key).")
    topic_id: str = Field(..., description="The topic it was to consult on.")
    org_unit: OrgCode = Field(..., description="The session's unit (its topic's).")
    title: str = Field(..., description="The session's title.")
    starts_at: str = Field(..., description="When it was to start (ISO 8601 with offset).")
    reason: str = Field(..., max_length=2000, description="Why it will not be held, as staff wrote it.")
    member_ids: list[str] = Field(default_factory=list, description="The members it had invited.")
    department_ids: list[str] = Field(default_factory=list, description="The departments it had invited.")
    urgency: Urgency = URGENCY_FIELD


class OpinionRaised(Event):
    """An opinion a resident raised during a session, handed to the opinion process.

    Feedback keeps it as a case of channel ``consultation`` with this id: answered on the
    spot, sent to departments with a deadline, or reported upward. No resident's name.
    """

    event_type = EventType("consultation", "opinion", "raised", 1)

    opinion_id: str
    session_id: str
    topic_id: str
    org_unit: OrgCode
    content: str = Field(..., max_length=5000)
    category: str | None = None
    disposition: Disposition = "received"
    answer: str | None = None
    department_ids: list[str] = Field(default_factory=list)
    deadline: str | None = Field(None, description="YYYY-MM-DD, when assigned.")
    member_id: str | None = Field(None, description="The member who took it in.")
    urgency: Urgency = URGENCY_FIELD


class OutcomeEvaluated(Event):
    """成果评价 — how a converted outcome fared: adopted, being implemented, implemented, or not."""

    event_type = EventType("consultation", "outcome", "evaluated", 1)

    outcome_id: str
    topic_id: str
    org_unit: OrgCode
    result: OutcomeResult
    satisfaction_rate: float | None = Field(None, description="Satisfied or basically satisfied, 0..1.")


class OutcomeInstructed(Event):
    """批示 — a leader gave an instruction on an outcome reported to the party committee and government."""

    event_type = EventType("consultation", "outcome", "instructed", 1)

    outcome_id: str
    topic_id: str
    org_unit: OrgCode
    leader_org: OrgCode


class TopicClosed(Event):
    """A topic closed with every outcome evaluated (or declined from the pool)."""

    event_type = EventType("consultation", "topic", "closed", 1)

    topic_id: str
    org_unit: OrgCode
    title: str
    final_stage: Literal["closed", "declined"]
    outcomes: int = 0
