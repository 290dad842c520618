"""HTTP shapes of topics (议题): the pool, the actions on a topic, its research and lineage, the
selection weights and the four levels' positioning."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from liaison_shared.auth import Acted
from liaison_shared.contracts.common import OrgCode
from liaison_shared.contracts.consultation import Stage, Track
from liaison_shared.contracts.members import Level
from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, Field

from .common import Day, Ids, Note, OutcomeKind, OutcomeStatus, Patch, Reason, SessionStatus, Strict

SourceKind = Literal["public", "department", "village_committee", "member", "sector", "party_committee"]


class TopicIn(Strict):
    title: str = Field(..., min_length=1, max_length=200, description="The topic's title (议题).")
    description: str = Field("", max_length=20_000, description="What the topic is about.")
    org_unit: OrgCode | None = Field(None, description="Whose pool; the caller's unit by default.")
    source_kind: SourceKind | None = Field(None, description="Staff name the source; others are the source.")
    source_ref: str | None = Field(None, max_length=100, description="Which department, committee, sector…")
    source_org_unit: OrgCode | None = Field(None, description="Where the source is: the topic's unit or below.")
    department_ids: Ids = Field(default_factory=list, max_length=30, description="The competent departments.")


class TopicPatch(Patch):
    """Supporters and people concerned are not here: they are counted (support, linked opinions)."""

    title: str = Field(None, min_length=1, max_length=200, description="The topic's title (议题).")  # type: ignore[assignment]  # None: not sent; a null is refused
    description: str = Field(None, max_length=20_000, description="What the topic is about.")  # type: ignore[assignment]  # None: not sent; a null is refused
    department_ids: Ids = Field(None, max_length=30, description="The competent departments (承办单位).")  # type: ignore[arg-type]  # None: not sent; a null is refused


class Plan(Strict):
    """协商计划: what the party committee approves."""

    form: str = Field(..., max_length=50, examples=["基层搭台、政协嵌入"], description="The form of consultation (协商形式).")
    participants: str = Field(..., min_length=1, max_length=2000, description="Who takes part.")
    schedule: str = Field(..., min_length=1, max_length=500, examples=["2026年12月上旬"],
        description="When it is to be held.")
    note: str | None = Field(None, max_length=2000, description="A note for the party committee.")


# --- the actions on a topic: ``{"action": NAME, ...}``, each with the fields it takes -----------------


class Select(Strict):
    """选定 (staff, from the pool): take the topic up on a track."""

    action: Literal["select"] = Field(description="The action's name: it decides which other fields the body takes.")
    track: Track = Field("standard", description="standard, small_matter (小事简议), urgent (急事快议).")
    note: Note = Field(None, description="A note, kept in the history.")


class Decline(Strict):
    """未采用 (staff, in the pool or selected): the topic is not taken up."""

    action: Literal["decline"] = Field(description="The action's name: it decides which other fields the body takes.")
    reason: Reason = Field(description="Why it is not taken up.")


class Support(Strict):
    """附议 (staff, members; in the pool or selected): once per person."""

    action: Literal["support"] = Field(description="The action's name: it decides which other fields the body takes.")
    count: int | None = Field(None, ge=1, le=100_000, description="Staff: the supporters they gathered "
                                                                   "(a member counts one).")


class Raise(Strict):
    """上报 (staff, in the pool or selected): to the pool of the unit above."""

    action: Literal["raise"] = Field(description="The action's name: it decides which other fields the body takes.")
    reason: Reason = Field(description="Why it is raised.")


class HandDown(Strict):
    """下交 (staff, in the pool or selected): to the pool of a unit below."""

    action: Literal["hand_down"] = Field(description="The action's name: it decides which other fields the body takes.")
    to: OrgCode = Field(..., description="The unit below that takes it.")
    reason: Reason = Field(description="Why it is handed down.")


class SubmitPlan(Strict):
    """协商计划报党委审定 (staff, selected; not for 小事简议)."""

    action: Literal["submit_plan"] = Field(
        description="The action's name: it decides which other fields the body takes.")
    plan: Plan = Field(description="The plan (协商计划) for the party committee to approve.")


class Approve(Strict):
    """党委审定同意 (leader, plan submitted)."""

    action: Literal["approve"] = Field(description="The action's name: it decides which other fields the body takes.")
    note: Note = Field(None, description="A note, kept in the history.")


class ReturnPlan(Strict):
    """The plan goes back to staff (leader, plan submitted)."""

    action: Literal["return_plan"] = Field(
        description="The action's name: it decides which other fields the body takes.")
    reason: Reason = Field(description="What the plan lacks.")


class ConcludeTopic(Strict):
    """协商结束 (staff, consulting): a session concluded and none is still scheduled."""

    action: Literal["conclude"] = Field(description="The action's name: it decides which other fields the body takes.")
    note: Note = Field(None, description="A note, kept in the history.")


class CloseTopic(Strict):
    """办结 (staff, concluded): every outcome is evaluated."""

    action: Literal["close"] = Field(description="The action's name: it decides which other fields the body takes.")


TopicAction = Annotated[
    Select | Decline | Support | Raise | HandDown | SubmitPlan | Approve | ReturnPlan | ConcludeTopic | CloseTopic,
    Field(discriminator="action"),
]


# --- answers -------------------------------------------------------------------------------


class SourceOut(BaseModel):
    kind: str = Field(
        description="Where it came from: public, department, village_committee, member, sector or party_committee.")
    ref: str = Field(description="Which one: a department, committee, sector…, or a case id.")
    org_unit: str = Field(description="Where the source is: 12-digit division code.")
    people: int = Field(description="People behind it.")
    added_at: datetime = Field(description="When the source was added.")


class ScorePart(BaseModel):
    value: float = Field(description="The factor's value before weighting.")
    weight: float = Field(description="The factor's weight (set by admins).")
    basis: dict = Field(description="What the value was computed from.")


class ScoreOut(BaseModel):
    total: float = Field(description="The weighted score of 切口小、关注多、能解决.")
    scope: ScorePart = Field(description="切口小: a narrow scope.")
    attention: ScorePart = Field(description="关注多: many people concerned.")
    solvability: ScorePart = Field(description="能解决: solvable at this level.")


class HistoryOut(Acted):
    from_stage: str | None = Field(description="The stage before the step.")
    to_stage: str = Field(description="The stage after the step.")
    org_unit: str = Field(description="The topic's unit at that step.")
    detail: dict = Field(description="The step's details: the fields the action was taken with.")


class TopicOut(BaseModel):
    id: UuidStr = Field(description="The topic's id (议题).")
    org_unit: str = Field(description="Whose pool (议题库): 12-digit division code.")
    level: Level = Field(description="The unit's level: city (市), county (县/区), town (乡镇/街道) or village (村/社区).")
    title: str = Field(description="The topic's title.")
    description: str = Field(description="What the topic is about.")
    source_kind: str = Field(
        description="Where it came from: public, department, village_committee, member, sector or party_committee.")
    track: Track = Field(description="standard, small_matter (小事简议) or urgent (急事快议).")
    stage: Stage = Field(
        description="proposed, selected, plan_submitted, approved, consulting, concluded, closed or declined.")
    department_ids: Ids = Field(description="The competent departments (承办单位).")
    supporters: int = Field(description="People who support it (附议).")
    people_concerned: int = Field(description="People behind it (关注多).")
    linked_opinions: int = Field(description="Opinions (群众意见) converted into it or linked to it.")
    sources: list[SourceOut] = Field(description="Where it came from.")
    plan: dict | None = Field(description="The consultation plan (协商计划), once submitted.")
    due: dict[str, str] = Field(description="Due dates of the track's steps (YYYY-MM-DD).")
    score: ScoreOut = Field(description="The selection score (切口小、关注多、能解决).")
    created_by: str = Field(description="Who created it: the token's sub.")
    created_at: datetime = Field(description="When it was created.")
    updated_at: datetime = Field(description="When it last changed.")
    closed_at: datetime | None = Field(description="When it was closed (办结).")


class TopicSessionRef(BaseModel):
    id: UuidStr = Field(description="The session's id (协商议事).")
    title: str = Field(description="The session's title.")
    form: str = Field(description="The form (协商形式).")
    starts_at: datetime = Field(description="When it starts, with a UTC offset.")
    status: SessionStatus = Field(description="scheduled, concluded or cancelled.")


class TopicOutcomeRef(BaseModel):
    id: UuidStr = Field(description="The outcome's id (成果).")
    session_id: UuidStr | None = Field(description="The consultation session (协商议事), by id.")
    kind: OutcomeKind = Field(description="consensus (共识) or suggestion (建议).")
    status: OutcomeStatus = Field(description="drafted, converted or evaluated.")
    target_kind: str | None = Field(description="What it was converted into.")
    target_id: str | None = Field(description="The id of what it was converted into.")
    result: str | None = Field(description="How it was evaluated.")


class ResearchIn(Strict):
    kind: Literal["field_visit", "material"] = Field(description="field_visit (调研视察) or material (学习材料).")
    title: str = Field(..., min_length=1, max_length=200, description="The research's title (学习调研).")
    summary: str = Field("", max_length=20_000, description="What was found.")
    happened_on: Day | None = Field(None, description="When it happened: not in the future.")
    location: str | None = Field(None, max_length=200, description="Where it happened.")
    url: str | None = Field(None, max_length=1000, description="Where the material is kept.")
    member_ids: Ids | None = Field(None, max_length=50, description="Who did it; the calling member by default.")


class ResearchOut(BaseModel):
    id: UuidStr = Field(description="The research's id (学习调研).")
    kind: str = Field(description="field_visit or material.")
    title: str = Field(description="The research's title.")
    summary: str = Field(description="What was found.")
    happened_on: date | None = Field(description="When it happened.")
    location: str | None = Field(description="Where it happened.")
    url: str | None = Field(description="Where the material is kept.")
    member_ids: Ids = Field(description="Who did it.")
    created_by: str = Field(description="Who created it: the token's sub.")
    created_at: datetime = Field(description="When it was created.")


class TopicDetail(TopicOut):
    history: list[HistoryOut] = Field(description="The topic's steps, oldest first.")
    research: list[ResearchOut] = Field(description="Research (学习调研) on it.")
    sessions: list[TopicSessionRef] = Field(description="Its sessions (协商议事).")
    outcomes: list[TopicOutcomeRef] = Field(description="Its outcomes (成果).")


class LineageOpinion(BaseModel):
    id: UuidStr = Field(description="The case's id in feedback.")
    org_unit: str = Field(description="Where the opinion arose.")
    people: int = Field(description="People behind it (cases merged into it add up).")
    added_at: datetime = Field(description="When it was linked.")


class LineageMove(BaseModel):
    at: datetime = Field(description="When it happened.")
    action: Literal["raise", "hand_down"] = Field(description="raise (上报) or hand_down (下交).")
    from_unit: str = Field(description="The unit it left.")
    to_unit: str = Field(description="The unit it went to.")


class LineageOutcome(TopicOutcomeRef):
    instructed: bool = Field(description="A leader's 批示 is recorded on it (a party report).")
    instructed_by: str | None = Field(description="The unit of the leader who gave the instruction.")
    evaluated_at: datetime | None = Field(description="When it was evaluated (成果评价).")


class TopicLineage(BaseModel):
    """Where a topic came from and what became of it — no personal data."""

    id: UuidStr = Field(description="The topic's id (议题).")
    org_unit: str = Field(description="Whose pool: 12-digit division code.")
    level: Level = Field(description="The unit's level: city (市), county (县/区), town (乡镇/街道) or village (村/社区).")
    title: str = Field(description="The topic's title.")
    stage: Stage = Field(description="The topic's stage.")
    track: Track = Field(description="standard, small_matter (小事简议) or urgent (急事快议).")
    opinions: list[LineageOpinion] = Field(description="Every opinion converted into it or linked to it.")
    people: int = Field(description="People behind those opinions.")
    other_sources: list[SourceOut] = Field(description="Sources other than the public's.")
    moves: list[LineageMove] = Field(description="Raised to a unit above, handed down to one below.")
    sessions: list[TopicSessionRef] = Field(description="Its sessions (协商议事).")
    outcomes: list[LineageOutcome] = Field(description="Its outcomes (成果) and what became of them.")


class WeightOut(BaseModel):
    factor: str = Field(description="scope, attention, solvability or attention_half.")
    value: float = Field(description="The weight.")
    meaning: str = Field(description="What the factor measures.")
    updated_by: str = Field(description="Who last changed it: the token's sub.")
    updated_at: datetime = Field(description="When it last changed.")


class WeightsIn(Patch):
    scope: float = Field(None, ge=0, le=100, description="Weight of 切口小 (a narrow scope).")  # type: ignore[assignment]  # None: not sent; a null is refused
    attention: float = Field(None, ge=0, le=100, description="Weight of 关注多 (people concerned).")  # type: ignore[assignment]  # None: not sent; a null is refused
    solvability: float = Field(None, ge=0, le=100, description="Weight of 能解决 (solvable at this level).")  # type: ignore[assignment]  # None: not sent; a null is refused
    attention_half: float = Field(None, gt=0, le=1_000_000,  # type: ignore[assignment]  # None: not sent; a null is refused
        description="People concerned at which attention scores one half.")


class LevelOut(BaseModel):
    level: Level = Field(description="The unit's level: city (市), county (县/区), town (乡镇/街道) or village (村/社区).")
    focus: str = Field(description="What consultation at this level is for (四级差异化定位).")
    forms: list[str] = Field(description="The forms of consultation used at this level.")
    deadlines: dict[str, dict[str, int]] = Field(description="Days per step, by track.")
