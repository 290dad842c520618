"""HTTP shapes of outcomes (成果), the actions on an outcome, and the dashboard of the four levels."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from liaison_shared.contracts.consultation import OutcomeResult
from liaison_shared.contracts.members import Level
from pydantic import BaseModel, Field, model_validator

from .common import Day, Ids, OutcomeStatus, Strict
from .sessions import OutcomeDraft

ConversionTarget = Literal["party_report", "department_task", "proposal", "public_opinion_report"]


class OutcomeIn(OutcomeDraft):
    topic_id: str = Field(..., max_length=64)
    session_id: str | None = Field(None, max_length=64)


# --- the actions on an outcome -------------------------------------------------------------------


class Convert(Strict):
    """成果转化 (staff, drafted): into a report to the party committee and government, a department
    task, a proposal or a public-opinion report."""

    action: Literal["convert"]
    target: ConversionTarget
    department_ids: Ids = Field(default_factory=list, max_length=20, description="department_task: who does it.")
    member_ids: Ids = Field(default_factory=list, max_length=50, description="Proposers or authors.")
    deadline: Day | None = Field(None, description="department_task: not in the past; the track's default if none.")

    @model_validator(mode="after")
    def _a_task_has_departments(self) -> Convert:
        if self.target == "department_task" and not self.department_ids:
            raise ValueError("a department task needs department_ids")
        return self


class Instruct(Strict):
    """批示 (leader, on a converted party report)."""

    action: Literal["instruct"]
    text: str = Field(..., min_length=1, max_length=4000, description="The leader's 批示.")


class Evaluate(Strict):
    """成果评价 (staff, converted; again while adopted or being implemented)."""

    action: Literal["evaluate"]
    result: OutcomeResult
    reason: str | None = Field(None, max_length=2000, description="Required when not_adopted.")
    satisfied: int = Field(0, ge=0, le=10_000_000)
    basically_satisfied: int = Field(0, ge=0, le=10_000_000)
    unsatisfied: int = Field(0, ge=0, le=10_000_000)

    @model_validator(mode="after")
    def _not_adopted_says_why(self) -> Evaluate:
        if self.result == "not_adopted" and not self.reason:
            raise ValueError("not_adopted needs a reason")
        return self


OutcomeAction = Annotated[Convert | Instruct | Evaluate, Field(discriminator="action")]


class OutcomeOut(BaseModel):
    id: str
    topic_id: str
    session_id: str | None
    org_unit: str
    kind: str
    text: str
    status: OutcomeStatus
    target_kind: str | None
    target_id: str | None
    department_ids: Ids
    member_ids: Ids
    deadline: date | None
    converted_at: datetime | None
    instruction: str | None
    instructed_by: str | None
    instructed_at: datetime | None
    result: str | None
    reason: str | None
    satisfied: int
    basically_satisfied: int
    unsatisfied: int
    satisfaction_rate: float | None
    evaluated_at: datetime | None
    created_at: datetime


class DashboardRow(BaseModel):
    level: Level
    org_unit: str
    topics: int
    by_stage: dict[str, int]
    outcomes: int
    converted: int
    conversion_rate: float | None
    closed: int
    avg_days_to_close: float | None
