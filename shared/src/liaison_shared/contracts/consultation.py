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
