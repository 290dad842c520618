"""HTTP shapes of the lineage (溯源): an opinion forward to what it became, a proposal back to the
opinions that fed it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, Field


class LineageStep(BaseModel):
    at: datetime = Field(description="When the step was taken.")
    action: str = Field(description="escalate, merge, merged_in, convert, department_task, report_adopted, "
                                    "instruction")
    actor_org: str | None = Field(description="The unit of whoever took it.")
    from_status: str | None = Field(description="The case's state before.")
    to_status: str = Field(description="The case's state after.")
    detail: dict = Field(description="The step's details: the fields the action was taken with.")


class LineageTopic(BaseModel):
    id: UuidStr = Field(description="The topic's id in consultation (议题).")
    org_unit: str | None = Field(description="Whose pool: 12-digit division code.")
    title: str | None = Field(description="The topic's title.")
    stage: str | None = Field(description="As consultation last announced it; null until its first event arrives.")
    track: str | None = Field(description="standard, small_matter (小事简议) or urgent (急事快议).")


class LineageSession(BaseModel):
    id: UuidStr = Field(description="The session's id in consultation (协商议事).")
    title: str = Field(description="The session's title.")
    form: str | None = Field(description="The form (协商形式).")
    starts_at: str | None = Field(description="When it starts (ISO 8601, with an offset).")
    status: str = Field(description="scheduled, concluded or cancelled.")


class LineageOutcome(BaseModel):
    id: UuidStr = Field(description="The outcome's id in consultation (成果).")
    topic_id: UuidStr | None = Field(description="Its topic (议题), by id.")
    title: str = Field(description="What the outcome says.")
    target_kind: str | None = Field(description="Converted into: party_report, department_task, proposal, "
                                                "public_opinion_report.")
    target_id: str | None = Field(description="The id of what it was converted into.")
    converted_at: datetime | None = Field(description="When it was converted (转化).")
    result: str | None = Field(description="Evaluated as: adopted, implementing, implemented, not_adopted.")
    satisfaction_rate: float | None = Field(description="满意率 of its evaluation.")
    evaluated_at: datetime | None = Field(description="When it was evaluated (成果评价).")
    instructed_by: str | None = Field(description="批示 on a party report: the leader's unit.")
    instructed_at: datetime | None = Field(description="When the 批示 was given.")


class LineageProposal(BaseModel):
    id: UuidStr = Field(description="The proposal's id (提案).")
    committee: str = Field(description="The committee it is filed with: division code.")
    number: str | None = Field(description="Its number once filed, e.g. 2026-0001.")
    title: str = Field(description="The proposal's title.")
    status: str = Field(description="The proposal's state.")
    reply_class: str | None = Field(description="The reply's class: A, B, C or D.")
    replied_at: datetime | None = Field(description="When it was replied to (答复).")
    evaluation: str | None = Field(
        description="The proposer's evaluation: satisfied, basically_satisfied or unsatisfied.")
    merged_into: UuidStr | None = Field(description="The proposal it was merged into (并案), by id.")


class LineageReport(BaseModel):
    id: UuidStr = Field(description="The report's id.")
    kind: str = Field(description="public_opinion_report (社情民意信息) or special_report (政协专报).")
    title: str = Field(description="The report's title.")
    status: str = Field(description="draft, submitted (报送), adopted (采用) or not_adopted.")
    org_unit: str = Field(description="The composing unit: 12-digit division code.")
    submitted_to: str | None = Field(description="The unit it was submitted to (报送).")
    adopted_by: str | None = Field(description="Who adopted it (采用): town, county, city, province or national.")
    instructions: list[dict[str, Any]] = Field(description="批示: text, leader_org, at.")


class LineageTask(BaseModel):
    id: str = Field(description="The department task's id.")
    status: str = Field(description="The task's state.")
    deadline: date | None = Field(description="The task's deadline.")
    rating: str | None = Field(description="How the task's result was rated.")


class Downstream(BaseModel):
    topic: LineageTopic | None = Field(description="The topic (议题) it became or joined.")
    sessions: list[LineageSession] = Field(description="The topic's sessions (协商议事).")
    outcomes: list[LineageOutcome] = Field(description="The topic's outcomes (成果).")
    proposals: list[LineageProposal] = Field(description="Proposals (提案) it became.")
    reports: list[LineageReport] = Field(description="Reports (社情民意信息, 政协专报) it went into.")
    department_tasks: list[LineageTask] = Field(description="Department tasks the outcomes became.")


class OpinionLineage(Downstream):
    opinion: dict[str, Any] = Field(description="The case: units, status, channel, category, people, where it "
                                                "was merged or converted — no personal data, no text.")
    steps: list[LineageStep] = Field(description="The case's steps, oldest first.")
    merged_in: list[dict[str, Any]] = Field(description="Cases merged into this one: id, org_unit, people_count.")
    answered_through: str | None = Field(description="A merged case: the case it joined, whose chain this is.")


class SourceOpinion(BaseModel):
    id: UuidStr = Field(description="The case's id (群众意见).")
    org_unit: str = Field(description="Where it arose: 12-digit division code.")
    people_count: int = Field(description="People behind it (merged cases add up).")


class ProposalLineage(BaseModel):
    proposal: LineageProposal = Field(description="The proposal (提案).")
    source: dict[str, Any] | None = Field(description="What it was converted from: kind and id.")
    merged: list[dict[str, Any]] = Field(description="Proposals merged into it (并案).")
    outcomes: list[dict[str, Any]] = Field(description="Consultation outcomes (成果) that became it.")
    topics: list[dict[str, Any]] = Field(description="The topics (议题) of those outcomes.")
    opinions: list[SourceOpinion] = Field(description="Every opinion that fed it.")
    people: int = Field(description="The people behind those opinions.")
