"""Events of the consultation service that other services consume.

Declared here with their first consumer; the consultation service publishes them.
"""

from __future__ import annotations

from pydantic import Field

from ..events import Event, EventType
from .common import OrgCode
from .feedback import OutcomeRef


class ConsultationOutcomeConverted(Event):
    """成果转化 — a consultation outcome became a department task, proposal, report or party report."""

    event_type = EventType("consultation", "outcome", "converted", 1)

    source: OutcomeRef
    target: OutcomeRef
    org_unit: OrgCode
    title: str = Field("", max_length=200, description="What was agreed, in a line.")
    department_ids: list[str] = Field(default_factory=list, description="For a department task: who does it.")
    deadline: str | None = Field(None, description="YYYY-MM-DD: for a department task, when it is due.")
    member_ids: list[str] = Field(default_factory=list)


class TopicProposed(Event):
    """议题 — a topic entered an org unit's topic pool."""

    event_type = EventType("consultation", "topic", "proposed", 1)

    topic_id: str
    org_unit: OrgCode
    title: str
    source_kind: str = Field(..., examples=["public", "department", "member", "sector", "party_committee"])


class TopicApproved(Event):
    """The party committee approved a topic's consultation plan."""

    event_type = EventType("consultation", "topic", "approved", 1)

    topic_id: str
    org_unit: OrgCode
    title: str
    track: str = Field("standard", examples=["standard", "small_matter", "urgent"], description="小事简议, 急事快议")


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


class SessionConcluded(Event):
    """A consultation session concluded, with its minutes."""

    event_type = EventType("consultation", "session", "concluded", 1)

    session_id: str
    topic_id: str
    org_unit: OrgCode
    title: str
    member_ids: list[str] = Field(default_factory=list)
    department_ids: list[str] = Field(default_factory=list)
