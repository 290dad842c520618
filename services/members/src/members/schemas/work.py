"""HTTP shapes of liaison activities and assessments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from liaison_shared.contracts.common import OrgCode
from pydantic import BaseModel, Field

from ..domain.assessment import AssessmentRules
from .common import Day, Ref
from .registry import Strict

ActivityType = Literal[
    "visit", "pairing", "seminar", "research_inspection", "lecture", "reception_day",
    "public_service", "themed_campaign", "training", "open_day",
]


class ActivityIn(Strict):
    type: ActivityType
    title: str = Field(..., min_length=1, max_length=200, examples=["走访黄渠桥镇种植户"])
    org_unit: OrgCode = Field(..., description="Where it took place.")
    occurred_on: Day
    member_ids: list[Ref] = Field(
        ..., min_length=1, max_length=50,
        description="Members taking part: a member names only itself, staff the members of their committee.",
    )
    people_reached: int = Field(0, ge=0, le=10_000)
    opinion_ids: list[Ref] = Field(
        default_factory=list, max_length=100,
        description="Opinions taken in (feedback ids), each by a member taking part.",
    )
    description: str | None = Field(None, max_length=4000)


class ActivityOut(BaseModel):
    id: str
    type: str
    title: str
    org_unit: str
    occurred_on: date
    member_ids: list[str]
    people_reached: int
    opinion_ids: list[str]
    description: str | None
    logged_by: str


class RulesIn(Strict):
    org_unit: OrgCode = Field(..., description="The committee (city or county) the rules are for.")
    year: int = Field(..., ge=2000, le=2100)
    rules: AssessmentRules


class RulesOut(BaseModel):
    org_unit: str
    year: int
    version: int
    rules: AssessmentRules
    created_by: str
    created_at: datetime | None = None


class PublishIn(Strict):
    org_unit: OrgCode
    year: int = Field(..., ge=2000, le=2100)


class MemberScoreOut(BaseModel):
    member_id: str
    sector_id: str
    total: float
    breakdown: dict[str, float]


class SectorRankingOut(BaseModel):
    sector_id: str
    members: int
    average: float
    rank: int
    advanced: bool = Field(..., description="先进界别活动组")


class AssessmentOut(BaseModel):
    id: str | None = Field(None, description="Absent for a preview that is not published.")
    org_unit: str
    year: int
    rule_version: int
    scores: list[MemberScoreOut]
    rankings: list[SectorRankingOut]
    published_at: datetime | None = None
