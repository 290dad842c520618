"""Routes of the lineage (溯源): an opinion forward to what it became, a proposal back to the
opinions that fed it. Staff and leaders of the scope; built from events (see handlers/lineage)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from liaison_shared.auth import Principal, Role, require_roles
from liaison_shared.errors import NotFound
from liaison_shared.service import runtime_of
from pydantic import BaseModel, Field

from ..handlers import access, lineage
from ..handlers import proposals as proposal_handlers
from ..storage import opinions as opinion_storage
from ..storage import proposals as proposal_storage

router = APIRouter()
overseers = require_roles(Role.STAFF, Role.LEADER, Role.ADMIN)


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


@router.get("/opinions/{opinion_id}/lineage", response_model=OpinionLineage, tags=["opinions"],
            summary="What became of an opinion: merges, escalations, conversion, topic, sessions, outcomes, "
                    "proposals, reports")
async def opinion_lineage(request: Request, opinion_id: str,
                          principal: Principal = Depends(overseers)) -> OpinionLineage:
    pool = runtime_of(request).pool
    case = await opinion_storage.opinion(pool, opinion_id)
    departments = {a["department_id"] for a in await opinion_storage.assignments(pool, opinion_id)} if case else set()
    if case is None or not access.can_read(principal, case, departments):
        raise NotFound(f"no opinion {opinion_id}")
    return OpinionLineage(**await lineage.opinion_lineage(pool, opinion_id))


@router.get("/proposals/{proposal_id}/lineage", response_model=ProposalLineage, tags=["proposals"],
            summary="Where a proposal came from: its source, outcome, topic and every opinion behind it")
async def proposal_lineage(request: Request, proposal_id: str,
                           principal: Principal = Depends(overseers)) -> ProposalLineage:
    pool = runtime_of(request).pool
    row = await proposal_storage.proposal(pool, proposal_id)
    if row is None or not proposal_handlers.can_read(principal, row, set()):
        raise NotFound(f"no proposal {proposal_id}")
    return ProposalLineage(**await lineage.proposal_lineage(pool, row))
