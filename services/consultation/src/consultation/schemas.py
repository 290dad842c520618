"""HTTP shapes of topics, research, sessions, outcomes and the dashboard."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from liaison_shared.contracts.common import OrgCode
from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

SourceKind = Literal["public", "department", "village_committee", "member", "sector", "party_committee"]
TrackName = Literal["standard", "small_matter", "urgent"]
StageName = Literal["proposed", "selected", "plan_submitted", "approved", "consulting", "concluded", "closed",
                    "declined"]
LevelName = Literal["city", "county", "town", "village"]
Ids = list[str]
# The years a consultation's dates may fall in: beyond them a date is a typo or a probe, and
# 9999-12-31 in a zone west of UTC is no timestamp the database can hold.
YEARS = range(2000, 2101)


def _plausible(value: date) -> date:
    if value.year not in YEARS:
        raise ValueError(f"the year is between {YEARS.start} and {YEARS.stop - 1}")
    return value


Day = Annotated[date, AfterValidator(_plausible)]
Moment = Annotated[AwareDatetime, AfterValidator(_plausible)]  # with its offset: 09:00 where?


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Patch(Strict):
    """A partial update. Its fields are declared with the type they hold and a default of None
    that only means "absent" (pydantic does not validate defaults): an explicit null is a 422
    and the OpenAPI says the field is not nullable. Read it with ``model_dump(exclude_unset=True)``."""


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


class TopicAction(Strict):
    action: Literal["select", "decline", "support", "raise", "hand_down", "submit_plan", "approve", "return_plan",
                    "conclude", "close"]
    track: TrackName | None = Field(None, description="select: standard, small_matter (小事简议), urgent (急事快议).")
    reason: str | None = Field(None, max_length=2000)
    note: str | None = Field(None, max_length=2000)
    to: OrgCode | None = Field(None, description="hand_down: the unit below that takes it.")
    plan: Plan | None = None
    count: int | None = Field(None, ge=1, le=100_000, description="support: supporters staff record.")


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


class HistoryOut(BaseModel):
    at: datetime
    actor_sub: str
    actor_role: str
    actor_org: str | None
    action: str
    from_stage: str | None
    to_stage: str
    org_unit: str
    detail: dict


class TopicOut(BaseModel):
    id: str
    org_unit: str
    level: LevelName
    title: str
    description: str
    source_kind: str
    track: TrackName
    stage: StageName
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
    status: Literal["scheduled", "concluded", "cancelled"]


class TopicOutcomeRef(BaseModel):
    id: str
    session_id: str | None
    kind: Literal["consensus", "suggestion"]
    status: Literal["drafted", "converted", "evaluated"]
    target_kind: str | None = Field(description="What it was converted into.")
    target_id: str | None
    result: str | None = Field(description="How it was evaluated.")


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
    level: LevelName
    title: str
    stage: StageName
    track: TrackName
    opinions: list[LineageOpinion] = Field(description="Every opinion converted into it or linked to it.")
    people: int = Field(description="People behind those opinions.")
    other_sources: list[SourceOut] = Field(description="Sources other than the public's.")
    moves: list[LineageMove] = Field(description="Raised to a unit above, handed down to one below.")
    sessions: list[TopicSessionRef]
    outcomes: list[LineageOutcome]


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


TopicDetail.model_rebuild()

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


class SessionAction(Strict):
    action: Literal["attend", "conclude", "cancel"]
    member_ids: Ids | None = Field(None, max_length=500, description="attend: members present.")
    department_ids: Ids | None = Field(None, max_length=50, description="attend: departments present.")
    residents: int | None = Field(None, ge=0, le=100_000, description="attend: residents present.")
    minutes: str | None = Field(None, max_length=50_000, description="conclude: the minutes.")
    outcomes: list[OutcomeDraft] | None = Field(None, max_length=100, description="conclude: agreed at once.")
    reason: str | None = Field(None, max_length=2000, description="cancel: why.")


class OutcomeDraft(Strict):
    kind: Literal["consensus", "suggestion"]
    text: str = Field(..., min_length=1, max_length=5000)


SessionAction.model_rebuild()


class SessionOpinionIn(Strict):
    content: str = Field(..., min_length=1, max_length=5000)
    category: str | None = Field(None, max_length=50)
    disposition: Literal["received", "answered", "assigned", "escalated"] = Field(
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
    status: Literal["scheduled", "concluded", "cancelled"]
    minutes: str | None
    concluded_at: datetime | None
    opinions: list[dict]
    created_at: datetime


class OutcomeIn(OutcomeDraft):
    topic_id: str = Field(..., max_length=64)
    session_id: str | None = Field(None, max_length=64)


class OutcomeAction(Strict):
    action: Literal["convert", "instruct", "evaluate"]
    target: Literal["party_report", "department_task", "proposal", "public_opinion_report"] | None = None
    department_ids: Ids | None = Field(None, max_length=20)
    member_ids: Ids | None = Field(None, max_length=50, description="convert: proposers or authors.")
    deadline: Day | None = None
    text: str | None = Field(None, max_length=4000, description="instruct: the leader's 批示.")
    result: Literal["adopted", "implementing", "implemented", "not_adopted"] | None = None
    reason: str | None = Field(None, max_length=2000)
    satisfied: int | None = Field(None, ge=0, le=10_000_000)
    basically_satisfied: int | None = Field(None, ge=0, le=10_000_000)
    unsatisfied: int | None = Field(None, ge=0, le=10_000_000)


class OutcomeOut(BaseModel):
    id: str
    topic_id: str
    session_id: str | None
    org_unit: str
    kind: str
    text: str
    status: Literal["drafted", "converted", "evaluated"]
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
    level: LevelName
    focus: str
    forms: list[str]
    deadlines: dict[str, dict[str, int]] = Field(description="Days per step, by track.")


class DashboardRow(BaseModel):
    level: LevelName
    org_unit: str
    topics: int
    by_stage: dict[str, int]
    outcomes: int
    converted: int
    conversion_rate: float | None
    closed: int
    avg_days_to_close: float | None
