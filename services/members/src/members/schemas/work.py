"""HTTP shapes of liaison activities and assessments."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from liaison_shared.contracts.common import OrgCode
from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, Field

from ..domain.assessment import AssessmentRules
from .common import Day, Ref
from .registry import Strict

ActivityType = Literal[
    "visit", "pairing", "seminar", "research_inspection", "lecture", "reception_day",
    "public_service", "themed_campaign", "training", "open_day",
]


class ActivityIn(Strict):
    type: ActivityType = Field(
        description="The liaison activity (履职活动): visit (定期走访), pairing (结对联系), seminar (座谈交流), research_inspection (调研视察), lecture (委员讲堂), reception_day (委员接待日), public_service, themed_campaign, training or open_day.")
    title: str = Field(..., min_length=1, max_length=200, examples=["走访黄渠桥镇种植户"], description="The activity's title.")
    org_unit: OrgCode = Field(..., description="Where it took place.")
    occurred_on: Day = Field(description="The day it took place.")
    member_ids: list[Ref] = Field(
        ..., min_length=1, max_length=50,
        description="Members taking part: a member names only itself, staff the members of their committee.",
    )
    people_reached: int = Field(0, ge=0, le=10_000, description="People reached.")
    opinion_ids: list[Ref] = Field(
        default_factory=list, max_length=100,
        description="Opinions taken in (feedback ids), each by a member taking part.",
    )
    description: str | None = Field(None, max_length=4000, description="What happened.")


class ActivityOut(BaseModel):
    id: UuidStr = Field(description="The activity's id (履职活动).")
    type: str = Field(description="The kind of liaison activity, as logged.")
    title: str = Field(description="The activity's title.")
    org_unit: str = Field(description="Where it took place: 12-digit division code.")
    occurred_on: date = Field(description="The day it took place.")
    member_ids: list[str] = Field(description="Members taking part.")
    people_reached: int = Field(description="People reached.")
    opinion_ids: list[str] = Field(description="Opinions taken in (feedback ids).")
    description: str | None = Field(description="What happened.")
    logged_by: str = Field(description="Who logged it: the token's sub.")


class RulesIn(Strict):
    org_unit: OrgCode = Field(..., description="The committee (city or county) the rules are for.")
    year: int = Field(..., ge=2000, le=2100, description="The year the rules are for.")
    rules: AssessmentRules = Field(description="The rule set (考核细则).")


class RulesOut(BaseModel):
    org_unit: str = Field(description="The committee (city or county): division code.")
    year: int = Field(description="The year the rules are for.")
    version: int = Field(description="The rule set's version: each change adds one.")
    rules: AssessmentRules = Field(description="The rule set (考核细则).")
    created_by: str = Field(description="Who set them: the token's sub.")
    created_at: datetime | None = Field(None, description="When they were set.")


class PublishIn(Strict):
    org_unit: OrgCode = Field(description="The committee (city or county): division code.")
    year: int = Field(..., ge=2000, le=2100, description="The year assessed.")


class MemberScoreOut(BaseModel):
    member_id: UuidStr = Field(description="The member (委员), by id.")
    sector_id: UuidStr = Field(description="The member's sector (界别).")
    total: float = Field(description="The member's score (考核分).")
    breakdown: dict[str, float] = Field(description="Points by kind of work.")


class SectorRankingOut(BaseModel):
    sector_id: UuidStr = Field(description="The sector group (界别活动组), by sector id.")
    members: int = Field(description="Members scored.")
    average: float = Field(description="The members' average score.")
    rank: int = Field(description="The group's rank: 1 is first.")
    advanced: bool = Field(..., description="先进界别活动组")


class AssessmentOut(BaseModel):
    id: UuidStr | None = Field(None, description="Absent for a preview that is not published.")
    org_unit: str = Field(description="The committee (city or county): division code.")
    year: int = Field(description="The year assessed.")
    rule_version: int = Field(description="The version of the rules it applied.")
    scores: list[MemberScoreOut] = Field(description="Every member's score.")
    rankings: list[SectorRankingOut] = Field(description="The sector groups' ranking.")
    published_at: datetime | None = Field(None, description="When it was published; null for a preview.")
