"""HTTP shapes of topics (议题): the pool, the actions on a topic, its research and lineage, the
selection weights and the four levels' positioning."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from liaison_shared.auth import Acted
from liaison_shared.contracts.common import OrgCode
from liaison_shared.contracts.consultation import Stage, Track
from liaison_shared.contracts.members import Level
from pydantic import BaseModel, Field

from .common import Day, Ids, Note, OutcomeKind, OutcomeStatus, Patch, Reason, SessionStatus, Strict

SourceKind = Literal["public", "department", "village_committee", "member", "sector", "party_committee"]


class TopicIn(Strict):
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=20_000)
    org_unit: OrgCode | None = Field(None, description="Whose pool; the caller's unit by default.")
    source_kind: SourceKind | None = Field(None, description="Staff name the source; others are the source.")
    source_ref: str | None = Field(None, max_length=100, description="Which department, committee, sector…")
    source_org_unit: OrgCode | None = Field(None, description="Where the source is: the topic's unit or below.")
    department_ids: Ids = Field(default_factory=list, max_length=30, description="The competent departments.")


class TopicPatch(Patch):
    """Supporters and people concerned are not here: they are counted (support, linked opinions)."""

    title: str = Field(None, min_length=1, max_length=200)
    description: str = Field(None, max_length=20_000)
    department_ids: Ids = Field(None, max_length=30)


class Plan(Strict):
    """协商计划: what the party committee approves."""

    form: str = Field(..., max_length=50, examples=["基层搭台、政协嵌入"])
    participants: str = Field(..., min_length=1, max_length=2000)
    schedule: str = Field(..., min_length=1, max_length=500, examples=["2026年12月上旬"])
    note: str | None = Field(None, max_length=2000)


# --- the actions on a topic: ``{"action": NAME, ...}``, each with the fields it takes -----------------


class Select(Strict):
    """选定 (staff, from the pool): take the topic up on a track."""

    action: Literal["select"]
    track: Track = Field("standard", description="standard, small_matter (小事简议), urgent (急事快议).")
    note: Note = None


class Decline(Strict):
    """未采用 (staff, in the pool or selected): the topic is not taken up."""

    action: Literal["decline"]
    reason: Reason


class Support(Strict):
    """附议 (staff, members; in the pool or selected): once per person."""

    action: Literal["support"]
    count: int | None = Field(None, ge=1, le=100_000, description="Staff: the supporters they gathered "
                                                                   "(a member counts one).")


class Raise(Strict):
    """上报 (staff, in the pool or selected): to the pool of the unit above."""

    action: Literal["raise"]
    reason: Reason


class HandDown(Strict):
    """下交 (staff, in the pool or selected): to the pool of a unit below."""

    action: Literal["hand_down"]
    to: OrgCode = Field(..., description="The unit below that takes it.")
    reason: Reason


class SubmitPlan(Strict):
    """协商计划报党委审定 (staff, selected; not for 小事简议)."""

    action: Literal["submit_plan"]
    plan: Plan


class Approve(Strict):
    """党委审定同意 (leader, plan submitted)."""

    action: Literal["approve"]
    note: Note = None


class ReturnPlan(Strict):
    """The plan goes back to staff (leader, plan submitted)."""

    action: Literal["return_plan"]
    reason: Reason


class ConcludeTopic(Strict):
    """协商结束 (staff, consulting): a session concluded and none is still scheduled."""

    action: Literal["conclude"]
    note: Note = None


class CloseTopic(Strict):
    """办结 (staff, concluded): every outcome is evaluated."""

    action: Literal["close"]


TopicAction = Annotated[
    Select | Decline | Support | Raise | HandDown | SubmitPlan | Approve | ReturnPlan | ConcludeTopic | CloseTopic,
    Field(discriminator="action"),
]


# --- answers -------------------------------------------------------------------------------


class SourceOut(BaseModel):
    kind: str
    ref: str
    org_unit: str
    people: int
    added_at: datetime


class ScorePart(BaseModel):
    value: float
    weight: float
    basis: dict


class ScoreOut(BaseModel):
    total: float
    scope: ScorePart
    attention: ScorePart
    solvability: ScorePart


class HistoryOut(Acted):
    from_stage: str | None
    to_stage: str
    org_unit: str
    detail: dict


class TopicOut(BaseModel):
    id: str
    org_unit: str
    level: Level
    title: str
    description: str
    source_kind: str
    track: Track
    stage: Stage
    department_ids: Ids
    supporters: int
    people_concerned: int
    linked_opinions: int
    sources: list[SourceOut]
    plan: dict | None
    due: dict[str, str] = Field(description="Due dates of the track's steps (YYYY-MM-DD).")
    score: ScoreOut
    created_by: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None


class TopicSessionRef(BaseModel):
    id: str
    title: str
    form: str
    starts_at: datetime
    status: SessionStatus


class TopicOutcomeRef(BaseModel):
    id: str
    session_id: str | None
    kind: OutcomeKind
    status: OutcomeStatus
    target_kind: str | None = Field(description="What it was converted into.")
    target_id: str | None
    result: str | None = Field(description="How it was evaluated.")


class ResearchIn(Strict):
    kind: Literal["field_visit", "material"]
    title: str = Field(..., min_length=1, max_length=200)
    summary: str = Field("", max_length=20_000)
    happened_on: Day | None = Field(None, description="When it happened: not in the future.")
    location: str | None = Field(None, max_length=200)
    url: str | None = Field(None, max_length=1000, description="Where the material is kept.")
    member_ids: Ids | None = Field(None, max_length=50, description="Who did it; the calling member by default.")


class ResearchOut(BaseModel):
    id: str
    kind: str
    title: str
    summary: str
    happened_on: date | None
    location: str | None
    url: str | None
    member_ids: Ids
    created_by: str
    created_at: datetime


class TopicDetail(TopicOut):
    history: list[HistoryOut]
    research: list[ResearchOut]
    sessions: list[TopicSessionRef]
    outcomes: list[TopicOutcomeRef]


class LineageOpinion(BaseModel):
    id: str = Field(description="The case's id in feedback.")
    org_unit: str = Field(description="Where the opinion arose.")
    people: int = Field(description="People behind it (cases merged into it add up).")
    added_at: datetime


class LineageMove(BaseModel):
    at: datetime
    action: Literal["raise", "hand_down"]
    from_unit: str
    to_unit: str


class LineageOutcome(TopicOutcomeRef):
    instructed: bool = Field(description="A leader's 批示 is recorded on it (a party report).")
    instructed_by: str | None
    evaluated_at: datetime | None


class TopicLineage(BaseModel):
    """Where a topic came from and what became of it — no personal data."""

    id: str
    org_unit: str
    level: Level
    title: str
    stage: Stage
    track: Track
    opinions: list[LineageOpinion] = Field(description="Every opinion converted into it or linked to it.")
    people: int = Field(description="People behind those opinions.")
    other_sources: list[SourceOut] = Field(description="Sources other than the public's.")
    moves: list[LineageMove] = Field(description="Raised to a unit above, handed down to one below.")
    sessions: list[TopicSessionRef]
    outcomes: list[LineageOutcome]


class WeightOut(BaseModel):
    factor: str
    value: float
    meaning: str
    updated_by: str
    updated_at: datetime


class WeightsIn(Patch):
    scope: float = Field(None, ge=0, le=100)
    attention: float = Field(None, ge=0, le=100)
    solvability: float = Field(None, ge=0, le=100)
    attention_half: float = Field(None, gt=0, le=1_000_000)


class LevelOut(BaseModel):
    level: Level
    focus: str
    forms: list[str]
    deadlines: dict[str, dict[str, int]] = Field(description="Days per step, by track.")
