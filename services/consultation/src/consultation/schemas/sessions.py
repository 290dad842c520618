"""HTTP shapes of consultation sessions (协商议事), the actions on a session and the opinions
residents raise in one."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from liaison_shared.contracts.consultation import Disposition
from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, Field, model_validator

from .common import Day, Ids, Moment, OutcomeKind, Reason, SessionStatus, Strict

SessionForm = Literal["政协搭台、各方参与", "基层搭台、政协嵌入", "小微协商", "议事厅"]


class SessionIn(Strict):
    topic_id: UuidStr = Field(..., max_length=64, description="The topic (议题) consulted on.")
    title: str = Field(..., min_length=1, max_length=200, description="The session's title.")
    form: SessionForm = Field(description="The form (协商形式): 政协搭台、各方参与, 基层搭台、政协嵌入, 小微协商 or 议事厅.")
    starts_at: Moment = Field(description="When it starts, with a UTC offset.")
    ends_at: Moment | None = Field(None, description="Not before starts_at.")
    venue_id: str | None = Field(None, max_length=64, description="The venue (履职平台) where it is held.")
    location: str | None = Field(None, max_length=200, description="小微协商 in a field or square: where.")
    member_ids: Ids | None = Field(None, max_length=500, description="Default: 不建机构建机制 — see the docs.")
    department_ids: Ids | None = Field(None, max_length=50, description="Default: the topic's departments.")
    experts: list[str] = Field(default_factory=list, max_length=50, description="Experts invited, by name.")
    resident_representatives: int = Field(0, ge=0, le=10_000,
        description="How many residents' representatives (群众代表) are invited.")

    @model_validator(mode="after")
    def _ends_after_start(self) -> SessionIn:
        if self.ends_at is not None and self.ends_at < self.starts_at:
            raise ValueError("ends_at is before starts_at")
        return self


class OutcomeDraft(Strict):
    kind: OutcomeKind = Field(description="consensus (共识) or suggestion (建议).")
    text: str = Field(..., min_length=1, max_length=5000, description="What was agreed.")


# --- the actions on a session (staff of its unit, while it is scheduled) ------------------------


class Attend(Strict):
    """Who was there: added to those recorded before."""

    action: Literal["attend"] = Field(description="The action's name: it decides which other fields the body takes.")
    member_ids: Ids | None = Field(None, max_length=500, description="Members present.")
    department_ids: Ids | None = Field(None, max_length=50, description="Departments present.")
    residents: int | None = Field(None, ge=0, le=100_000, description="Residents present.")


class ConcludeSession(Strict):
    """The session is held: its minutes, and the outcomes agreed at once."""

    action: Literal["conclude"] = Field(description="The action's name: it decides which other fields the body takes.")
    minutes: str = Field(..., min_length=1, max_length=50_000, description="The minutes (会议纪要).")
    outcomes: list[OutcomeDraft] = Field(default_factory=list, max_length=100,
        description="The outcomes (成果) agreed in the session.")


class CancelSession(Strict):
    """The session will not be held: why, kept in its minutes and announced as session.cancelled (members
    then gives no check-in code for it; the invited are told)."""

    action: Literal["cancel"] = Field(description="The action's name: it decides which other fields the body takes.")
    reason: Reason = Field(description="Why it will not be held.")


SessionAction = Annotated[Attend | ConcludeSession | CancelSession, Field(discriminator="action")]


class SessionOpinionIn(Strict):
    content: str = Field(..., min_length=1, max_length=5000, description="What the resident said (群众意见).")
    category: str | None = Field(None, max_length=50, description="The dispatch catalogue's category (派单目录), e.g. 水利.")
    disposition: Disposition = Field(
        "received", description="answered on the spot, assigned with a deadline, reported upward, or for triage")
    answer: str | None = Field(None, max_length=5000, description="The answer given on the spot (当场答复).")
    department_ids: Ids | None = Field(None, max_length=20, description="Of the session's unit, above or below it.")
    deadline: Day | None = Field(None, description="assigned: not in the past.")
    member_id: str | None = Field(None, max_length=64, description=(
        "The member who took it in: a member records it as herself; staff name a member of the session's line."))


class SessionOpinionOut(BaseModel):
    id: UuidStr = Field(description="The case's id in feedback.")
    session_id: UuidStr = Field(description="The session it was raised in.")
    disposition: str = Field(description="received, answered, assigned or escalated.")
    deadline: str | None = Field(description="The reply deadline when assigned (YYYY-MM-DD).")


class SessionOut(BaseModel):
    id: UuidStr = Field(description="The session's id (协商议事).")
    topic_id: UuidStr = Field(description="The topic (议题), by id.")
    org_unit: str = Field(description="The unit holding it: 12-digit division code.")
    title: str = Field(description="The session's title.")
    form: str = Field(description="The form (协商形式).")
    starts_at: datetime = Field(description="When it starts, with a UTC offset.")
    ends_at: datetime | None = Field(description="When it ends, with a UTC offset.")
    venue_id: str | None = Field(description="The venue (履职平台), by id.")
    location: str | None = Field(description="Where, when not at a venue.")
    member_ids: Ids = Field(description="Members (委员) invited.")
    department_ids: Ids = Field(description="Departments (承办单位) invited.")
    experts: list[str] = Field(description="Experts invited, by name.")
    resident_representatives: int = Field(description="Residents' representatives (群众代表) invited.")
    attended_member_ids: Ids = Field(description="Members present.")
    attended_department_ids: Ids = Field(description="Departments present.")
    residents_attended: int = Field(description="Residents present.")
    status: SessionStatus = Field(description="scheduled, concluded or cancelled.")
    minutes: str | None = Field(description="The minutes (会议纪要) once concluded; a cancelled session's reason.")
    concluded_at: datetime | None = Field(description="When it was concluded.")
    opinions: list[dict] = Field(description="Opinions raised in it (群众意见): id, disposition, deadline.")
    created_at: datetime = Field(description="When it was created.")
