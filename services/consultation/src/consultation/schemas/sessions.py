"""HTTP shapes of consultation sessions (协商议事), the actions on a session and the opinions
residents raise in one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from liaison_shared.contracts.consultation import Disposition
from pydantic import BaseModel, Field, model_validator

from .common import Day, Ids, Moment, OutcomeKind, Reason, SessionStatus, Strict

SessionForm = Literal["政协搭台、各方参与", "基层搭台、政协嵌入", "小微协商", "议事厅"]


class SessionIn(Strict):
    topic_id: str = Field(..., max_length=64)
    title: str = Field(..., min_length=1, max_length=200)
    form: SessionForm
    starts_at: Moment
    ends_at: Moment | None = Field(None, description="Not before starts_at.")
    venue_id: str | None = Field(None, max_length=64)
    location: str | None = Field(None, max_length=200, description="小微协商 in a field or square: where.")
    member_ids: Ids | None = Field(None, max_length=500, description="Default: 不建机构建机制 — see the docs.")
    department_ids: Ids | None = Field(None, max_length=50, description="Default: the topic's departments.")
    experts: list[str] = Field(default_factory=list, max_length=50)
    resident_representatives: int = Field(0, ge=0, le=10_000)

    @model_validator(mode="after")
    def _ends_after_start(self) -> SessionIn:
        if self.ends_at is not None and self.ends_at < self.starts_at:
            raise ValueError("ends_at is before starts_at")
        return self


class OutcomeDraft(Strict):
    kind: OutcomeKind
    text: str = Field(..., min_length=1, max_length=5000)


# --- the actions on a session (staff of its unit, while it is scheduled) ------------------------


class Attend(Strict):
    """Who was there: added to those recorded before."""

    action: Literal["attend"]
    member_ids: Ids | None = Field(None, max_length=500, description="Members present.")
    department_ids: Ids | None = Field(None, max_length=50, description="Departments present.")
    residents: int | None = Field(None, ge=0, le=100_000, description="Residents present.")


class ConcludeSession(Strict):
    """The session is held: its minutes, and the outcomes agreed at once."""

    action: Literal["conclude"]
    minutes: str = Field(..., min_length=1, max_length=50_000)
    outcomes: list[OutcomeDraft] = Field(default_factory=list, max_length=100)


class CancelSession(Strict):
    """The session will not be held: why, kept in its minutes."""

    action: Literal["cancel"]
    reason: Reason


SessionAction = Annotated[Attend | ConcludeSession | CancelSession, Field(discriminator="action")]


class SessionOpinionIn(Strict):
    content: str = Field(..., min_length=1, max_length=5000)
    category: str | None = Field(None, max_length=50)
    disposition: Disposition = Field(
        "received", description="answered on the spot, assigned with a deadline, reported upward, or for triage")
    answer: str | None = Field(None, max_length=5000)
    department_ids: Ids | None = Field(None, max_length=20, description="Of the session's unit, above or below it.")
    deadline: Day | None = Field(None, description="assigned: not in the past.")
    member_id: str | None = Field(None, max_length=64, description=(
        "The member who took it in: a member records it as herself; staff name a member of the session's line."))


class SessionOpinionOut(BaseModel):
    id: str = Field(description="The case's id in feedback.")
    session_id: str
    disposition: str
    deadline: str | None


class SessionOut(BaseModel):
    id: str
    topic_id: str
    org_unit: str
    title: str
    form: str
    starts_at: datetime
    ends_at: datetime | None
    venue_id: str | None
    location: str | None
    member_ids: Ids
    department_ids: Ids
    experts: list[str]
    resident_representatives: int
    attended_member_ids: Ids
    attended_department_ids: Ids
    residents_attended: int
    status: SessionStatus
    minutes: str | None
    concluded_at: datetime | None
    opinions: list[dict]
    created_at: datetime
