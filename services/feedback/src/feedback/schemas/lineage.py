"""HTTP shapes of the lineage (溯源): an opinion forward to what it became, a proposal back to the
opinions that fed it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field


class LineageStep(BaseModel):
    at: datetime
    action: str = Field(description="escalate, merge, merged_in, convert, department_task, report_adopted, "
                                    "instruction")
    actor_org: str | None
    from_status: str | None
    to_status: str
    detail: dict


class LineageTopic(BaseModel):
    id: str
    org_unit: str | None
    title: str | None
    stage: str | None = Field(description="As consultation last announced it; null until its first event arrives.")
    track: str | None


class LineageSession(BaseModel):
    id: str
    title: str
    form: str | None
    starts_at: str | None
    status: str


class LineageOutcome(BaseModel):
    id: str
    topic_id: str | None
    title: str
    target_kind: str | None = Field(description="Converted into: party_report, department_task, proposal, "
                                                "public_opinion_report.")
    target_id: str | None
    converted_at: datetime | None
    result: str | None = Field(description="Evaluated as: adopted, implementing, implemented, not_adopted.")
    satisfaction_rate: float | None
    evaluated_at: datetime | None
    instructed_by: str | None = Field(description="批示 on a party report: the leader's unit.")
    instructed_at: datetime | None


class LineageProposal(BaseModel):
    id: str
    committee: str
    number: str | None
    title: str
    status: str
    reply_class: str | None
    replied_at: datetime | None
    evaluation: str | None
    merged_into: str | None


class LineageReport(BaseModel):
    id: str
    kind: str
    title: str
    status: str
    org_unit: str
    submitted_to: str | None
    adopted_by: str | None
    instructions: list[dict[str, Any]] = Field(description="批示: text, leader_org, at.")


class LineageTask(BaseModel):
    id: str
    status: str
    deadline: date | None
    rating: str | None


class Downstream(BaseModel):
    topic: LineageTopic | None
    sessions: list[LineageSession]
    outcomes: list[LineageOutcome]
    proposals: list[LineageProposal]
    reports: list[LineageReport]
    department_tasks: list[LineageTask]


class OpinionLineage(Downstream):
    opinion: dict[str, Any] = Field(description="The case: units, status, channel, category, people, where it "
                                                "was merged or converted — no personal data, no text.")
    steps: list[LineageStep]
    merged_in: list[dict[str, Any]] = Field(description="Cases merged into this one: id, org_unit, people_count.")
    answered_through: str | None = Field(description="A merged case: the case it joined, whose chain this is.")


class SourceOpinion(BaseModel):
    id: str
    org_unit: str
    people_count: int


class ProposalLineage(BaseModel):
    proposal: LineageProposal
    source: dict[str, Any] | None
    merged: list[dict[str, Any]] = Field(description="Proposals merged into it (并案).")
    outcomes: list[dict[str, Any]]
    topics: list[dict[str, Any]]
    opinions: list[SourceOpinion] = Field(description="Every opinion that fed it.")
    people: int = Field(description="The people behind those opinions.")
