"""HTTP shapes of outcomes (成果), the actions on an outcome, and the dashboard of the four levels."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from liaison_shared.contracts.consultation import OutcomeResult
from liaison_shared.contracts.members import Level
from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, Field, model_validator

from .common import Day, Ids, OutcomeStatus, Strict
from .sessions import OutcomeDraft

ConversionTarget = Literal["party_report", "department_task", "proposal", "public_opinion_report"]


class OutcomeIn(OutcomeDraft):
    topic_id: UuidStr = Field(..., max_length=64, description="The topic (议题) the outcome belongs to.")
    session_id: UuidStr | None = Field(None, max_length=64, description="The session (协商议事) it was agreed in, if any.")


# --- the actions on an outcome -------------------------------------------------------------------


class Convert(Strict):
    """成果转化 (staff, drafted): into a report to the party committee and government, a department
    task, a proposal or a public-opinion report."""

    action: Literal["convert"] = Field(description="The action's name: it decides which other fields the body takes.")
    target: ConversionTarget = Field(
        description="What it becomes: party_report (党委报告), department_task, proposal (提案) or public_opinion_report (社情民意信息).")
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

    action: Literal["instruct"] = Field(description="The action's name: it decides which other fields the body takes.")
    text: str = Field(..., min_length=1, max_length=4000, description="The leader's 批示.")


class Evaluate(Strict):
    """成果评价 (staff, converted; again while adopted or being implemented)."""

    action: Literal["evaluate"] = Field(description="The action's name: it decides which other fields the body takes.")
    result: OutcomeResult = Field(description="adopted, implementing, implemented or not_adopted (成果评价).")
    reason: str | None = Field(None, max_length=2000, description="Required when not_adopted.")
    satisfied: int = Field(0, ge=0, le=10_000_000, description="People satisfied (满意).")
    basically_satisfied: int = Field(0, ge=0, le=10_000_000, description="People basically satisfied (基本满意).")
    unsatisfied: int = Field(0, ge=0, le=10_000_000, description="People unsatisfied (不满意).")

    @model_validator(mode="after")
    def _not_adopted_says_why(self) -> Evaluate:
        if self.result == "not_adopted" and not self.reason:
            raise ValueError("not_adopted needs a reason")
        return self


class Publish(Strict):
    """公开 (staff, converted or evaluated): the outcome readable by anyone, without login, at
    ``/api/v1/public/outcomes``; ``public: false`` withdraws it."""

    action: Literal["publish"] = Field(description="The action's name: it decides which other fields the body takes.")
    public: bool = Field(True, description="true publishes the outcome; false withdraws it from the public.")


OutcomeAction = Annotated[Convert | Instruct | Evaluate | Publish, Field(discriminator="action")]


class OutcomeOut(BaseModel):
    id: UuidStr = Field(description="The outcome's id (成果).")
    topic_id: UuidStr = Field(description="The topic (议题), by id.")
    session_id: UuidStr | None = Field(description="The consultation session (协商议事), by id.")
    org_unit: str = Field(description="The topic's unit: 12-digit division code.")
    kind: str = Field(description="consensus (共识) or suggestion (建议).")
    text: str = Field(description="What was agreed.")
    status: OutcomeStatus = Field(description="drafted, converted (已转化) or evaluated (已评价).")
    target_kind: str | None = Field(
        description="What it was converted into: party_report, department_task, proposal or public_opinion_report.")
    target_id: str | None = Field(description="The id of what it was converted into.")
    department_ids: Ids = Field(description="The departments (承办单位) of a department task.")
    member_ids: Ids = Field(description="Proposers or authors of what it became.")
    deadline: date | None = Field(description="A department task's deadline (YYYY-MM-DD, China time).")
    converted_at: datetime | None = Field(description="When it was converted (转化).")
    instruction: str | None = Field(description="The leader's instruction (批示) on a party report.")
    instructed_by: str | None = Field(description="The unit of the leader who gave the instruction.")
    instructed_at: datetime | None = Field(description="When the leader's instruction (批示) was given.")
    result: str | None = Field(description="How it was evaluated: adopted, implementing, implemented or not_adopted.")
    reason: str | None = Field(description="Why it was not adopted.")
    satisfied: int = Field(description="People satisfied (满意).")
    basically_satisfied: int = Field(description="People basically satisfied (基本满意).")
    unsatisfied: int = Field(description="People unsatisfied (不满意).")
    satisfaction_rate: float | None = Field(
        description="满意率: satisfied and basically satisfied among those counted; null with none.")
    evaluated_at: datetime | None = Field(description="When it was evaluated (成果评价).")
    published_at: datetime | None = Field(None, description="When it was made public (公开); null while it is not.")
    created_at: datetime = Field(description="When it was created.")


class PublicOutcome(BaseModel):
    """An outcome as the public reads it (公开): what was agreed, what it became, how it ended."""

    id: UuidStr = Field(description="The outcome's id (成果).")
    topic_title: str = Field(description="The topic (议题) it came from.")
    org_unit: str = Field(description="The topic's unit: 12-digit division code.")
    kind: str = Field(description="consensus (共识) or suggestion (建议).")
    text: str = Field(description="What was agreed.")
    target_kind: str | None = Field(
        description="What it was converted into: party_report, department_task, proposal or public_opinion_report.")
    result: str | None = Field(description="How it was evaluated: adopted, implementing, implemented or not_adopted.")
    satisfaction_rate: float | None = Field(
        description="满意率: satisfied and basically satisfied among those counted; null with none.")
    evaluated_at: datetime | None = Field(description="When it was evaluated (成果评价).")
    published_at: datetime = Field(description="When it was made public (公开).")


class DashboardRow(BaseModel):
    level: Level = Field(description="The unit's level: city (市), county (县/区), town (乡镇/街道) or village (村/社区).")
    org_unit: str = Field(description="The unit: 12-digit division code.")
    topics: int = Field(description="Topics (议题) of the unit.")
    by_stage: dict[str, int] = Field(description="Topics per stage.")
    outcomes: int = Field(description="Outcomes (成果) of those topics.")
    converted: int = Field(description="Outcomes converted (转化).")
    conversion_rate: float | None = Field(description="转化率: converted among the outcomes; null without outcomes.")
    closed: int = Field(description="Topics closed (办结).")
    avg_days_to_close: float | None = Field(
        description="Days from a topic's creation to its closing, on average; null when none is closed.")
