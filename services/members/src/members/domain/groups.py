"""界别活动组 — sector activity groups and how they rank (seed, 对策 二: the groups are assessed, and
the best named 先进界别活动组).

Pure: storage counts each group's work of a year, this module turns the counts into figures and
points. A group ranks by what it did as a group — its plan carried out, its activities held, its
members' attendance at them, the opinions taken in there and the reports and proposals those fed
— and only in part by its members' average assessment score, which every member earns alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, Field


class GroupWeights(BaseModel):
    """Points per figure of a group's year; the same for every committee, shown with each ranking."""

    per_activity: float = Field(2, description="Points per group activity held.")
    activity_cap: float = Field(24, description="Most points from activities held, in a year.")
    plan_completion: float = Field(20, description="Points for a plan fully carried out (pro rata).")
    attendance: float = Field(20, description="Points for every member at every group activity (pro rata).")
    per_opinion: float = Field(0.5, description="Points per opinion (群众意见) taken in at a group activity.")
    opinion_cap: float = Field(10, description="Most points from opinions taken in, in a year.")
    per_report: float = Field(3, description="Points per 社情民意信息/专报 submitted on those opinions.")
    per_proposal: float = Field(4, description="Points per proposal (提案) drafted from those opinions.")
    member_average: float = Field(0.2, description="Points per point of the members' average score (考核).")
    top_groups: int = Field(3, description="How many groups with points are named 先进界别活动组.")


WEIGHTS = GroupWeights()


@dataclass(frozen=True)
class GroupWork:
    """A group's year as storage counts it. Members are the current ones: active, still of the
    group's sector; attendance counts only their places."""

    group_id: str
    name: str
    sector_id: str
    members: int
    planned: int           # plan items of the year
    plan_items_held: int   # plan items carried out by at least one group activity
    activities_held: int   # group activities of the year, planned or not
    attendances: int       # places current members took at those activities
    opinions_taken_in: int
    reports: int
    proposals: int
    member_average: float


@dataclass(frozen=True)
class GroupRanking:
    group_id: str
    name: str
    sector_id: str
    figures: dict[str, float]
    points: dict[str, float]
    total: float
    rank: int
    advanced: bool  # 先进界别活动组


def figures_of(work: GroupWork) -> dict[str, float]:
    """The figures a ranking shows: the counts, and the two rates they make."""
    places = work.activities_held * work.members
    return {
        "members": work.members,
        "planned": work.planned,
        "plan_items_held": work.plan_items_held,
        "plan_completion": round(work.plan_items_held / work.planned, 4) if work.planned else 0.0,
        "activities_held": work.activities_held,
        "attendances": work.attendances,
        "attendance_rate": round(work.attendances / places, 4) if places else 0.0,
        "opinions_taken_in": work.opinions_taken_in,
        "reports": work.reports,
        "proposals": work.proposals,
        "member_average": round(work.member_average, 2),
    }


def points_of(figures: dict[str, float], weights: GroupWeights = WEIGHTS) -> dict[str, float]:
    points = {
        "activities_held": min(figures["activities_held"] * weights.per_activity, weights.activity_cap),
        "plan_completion": figures["plan_completion"] * weights.plan_completion,
        "attendance_rate": figures["attendance_rate"] * weights.attendance,
        "opinions_taken_in": min(figures["opinions_taken_in"] * weights.per_opinion, weights.opinion_cap),
        "reports": figures["reports"] * weights.per_report,
        "proposals": figures["proposals"] * weights.per_proposal,
        "member_average": figures["member_average"] * weights.member_average,
    }
    return {k: round(v, 2) for k, v in points.items()}


def rank_groups(works: list[GroupWork], weights: GroupWeights = WEIGHTS) -> list[GroupRanking]:
    """Most points first; a tie goes by name, so the order is the same on every read."""
    scored = []
    for work in works:
        figures = figures_of(work)
        points = points_of(figures, weights)
        scored.append((work, figures, points, round(sum(points.values()), 2)))
    scored.sort(key=lambda s: (-s[3], s[0].name))
    return [
        GroupRanking(
            group_id=work.group_id, name=work.name, sector_id=work.sector_id, figures=figures, points=points,
            total=total, rank=i + 1, advanced=i < weights.top_groups and total > 0,
        )
        for i, (work, figures, points, total) in enumerate(scored)
    ]
