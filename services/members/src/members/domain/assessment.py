"""考核 — quantified, configurable rules turning work into scores ("细化、量化").

Pure: the rules are data (versioned per committee and year), the inputs are counts, the
output is each member's score with its breakdown and the sector groups' ranking.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Annotated

from pydantic import BaseModel, Field

from .activities import ACTIVITY_TYPES

# Points and caps: finite, not negative, and small enough that a score stays a readable number.
Points = Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False)]
Cap = Annotated[float, Field(ge=0, le=10_000, allow_inf_nan=False)]


# 学习调研 on consultation topics, by kind: a field visit (调研视察) weighs more than study material.
RESEARCH_KINDS = ("field_visit", "material")
DEFAULT_RESEARCH_POINTS: dict[str, Points] = {"field_visit": 3, "material": 1}

DEFAULT_ACTIVITY_POINTS: dict[str, Points] = {
    "visit": 2, "pairing": 2, "seminar": 2, "research_inspection": 3, "lecture": 3,
    "reception_day": 3, "public_service": 3, "themed_campaign": 2, "training": 1,
    "open_day": 2,
}


class AssessmentRules(BaseModel):
    """A year's rule set. Points per unit of work, and caps so one kind cannot dominate."""

    activity_points: dict[str, Points] = Field(
        default_factory=lambda: dict(DEFAULT_ACTIVITY_POINTS),
        description="Points per liaison activity (履职活动), by type.",
    )
    activity_cap: Cap = Field(40, description="Most points from activities in a year.")
    per_opinion_taken_in: Points = Field(0.5, description="Points per opinion (群众意见) taken in.")
    opinion_cap: Cap = Field(20, description="Most points from opinions taken in, in a year.")
    per_proposal_accepted: Points = Field(5, description="Points per proposal accepted (立案).")
    per_outcome_converted: Points = Field(4, description="Points per consultation outcome converted (成果转化).")
    per_satisfied_rating: Points = Field(1, description="Points per satisfied rating (满意) of what the member took in.")
    per_report_adopted: Points = Field(3, description="社情民意信息/专报 adopted.")
    per_instruction: Points = Field(2, description="A leader's instruction (批示) on a report.")
    rating_cap: Cap = Field(10, description="Most points from ratings, in a year.")
    per_session_attended: Points = Field(
        2, description="Points per consultation session (协商议事) attended: checked in (扫码签到), or recorded "
        "present when it concluded.")
    session_cap: Cap = Field(20, description="Most points from sessions attended, in a year.")
    research_points: dict[str, Points] = Field(
        default_factory=lambda: dict(DEFAULT_RESEARCH_POINTS),
        description="Points per piece of research (学习调研) on a consultation topic, by kind: field_visit "
        "(调研视察), material (学习材料).")
    research_cap: Cap = Field(20, description="Most points from research, in a year.")
    top_groups: int = Field(3, ge=1, le=100, description="How many sector groups are named 先进界别活动组.")

    def model_post_init(self, _context) -> None:
        unknown = set(self.activity_points) - set(ACTIVITY_TYPES)
        if unknown:
            raise ValueError(f"unknown activity types: {', '.join(sorted(unknown))}")
        unknown = set(self.research_points) - set(RESEARCH_KINDS)
        if unknown:
            raise ValueError(f"unknown research kinds: {', '.join(sorted(unknown))}; known: {', '.join(RESEARCH_KINDS)}")


@dataclass
class MemberWork:
    member_id: str
    sector_id: str
    activities: dict[str, int] = field(default_factory=dict)   # type → count
    opinions_taken_in: int = 0
    proposals_accepted: int = 0
    outcomes_converted: int = 0
    satisfied_ratings: int = 0
    reports_adopted: int = 0
    instructions: int = 0
    sessions_attended: int = 0
    research: dict[str, int] = field(default_factory=dict)     # kind → count


@dataclass(frozen=True)
class Score:
    member_id: str
    sector_id: str
    total: float
    breakdown: dict[str, float]


def score(work: MemberWork, rules: AssessmentRules) -> Score:
    activity = sum(rules.activity_points.get(t, 0) * n for t, n in work.activities.items())
    breakdown = {
        "activities": min(activity, rules.activity_cap),
        "opinions_taken_in": min(work.opinions_taken_in * rules.per_opinion_taken_in, rules.opinion_cap),
        "proposals_accepted": work.proposals_accepted * rules.per_proposal_accepted,
        "outcomes_converted": work.outcomes_converted * rules.per_outcome_converted,
        "satisfied_ratings": min(work.satisfied_ratings * rules.per_satisfied_rating, rules.rating_cap),
        "reports_adopted": work.reports_adopted * rules.per_report_adopted,
        "instructions": work.instructions * rules.per_instruction,
        "sessions_attended": min(work.sessions_attended * rules.per_session_attended, rules.session_cap),
        "research": min(sum(rules.research_points.get(k, 0) * n for k, n in work.research.items()),
                        rules.research_cap),
    }
    breakdown = {k: round(v, 2) for k, v in breakdown.items()}
    return Score(work.member_id, work.sector_id, round(sum(breakdown.values()), 2), breakdown)


@dataclass(frozen=True)
class SectorRanking:
    sector_id: str
    members: int
    average: float
    rank: int
    advanced: bool  # 先进界别活动组


def rank_sectors(scores: list[Score], rules: AssessmentRules) -> list[SectorRanking]:
    """Sector activity groups by their members' average score; the top ones are named."""
    totals: dict[str, list[float]] = defaultdict(list)
    for s in scores:
        totals[s.sector_id].append(s.total)
    ordered = sorted(totals.items(), key=lambda kv: (-sum(kv[1]) / len(kv[1]), kv[0]))
    return [
        SectorRanking(
            sector_id=sector, members=len(values), average=round(sum(values) / len(values), 2),
            rank=i + 1, advanced=i < rules.top_groups and sum(values) > 0,
        )
        for i, (sector, values) in enumerate(ordered)
    ]
