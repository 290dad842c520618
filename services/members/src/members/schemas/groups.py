"""HTTP shapes of sector activity groups (界别活动组): the group, its plan, its activities, the ranking."""

from __future__ import annotations

from datetime import date, datetime

from liaison_shared.contracts.common import OrgCode
from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, Field

from ..domain.groups import GroupWeights
from .common import Day
from .registry import Patch, Strict
from .work import ActivityOut, ActivityType


class GroupIn(Strict):
    sector_id: UuidStr = Field(description="The sector (界别) whose group it is; its committee is the group's unit.")
    name: str = Field(..., min_length=1, max_length=100, examples=["农业界别活动组"], description="The group's name.")
    convener_id: UuidStr | None = Field(
        None, description="The convener (召集人): a member of the sector, who joins the group with it.")
    member_ids: list[UuidStr] = Field(
        default_factory=list, max_length=200, description="Members joining at once: each of the group's sector.")


class GroupPatch(Patch):
    name: str = Field(None, min_length=1, max_length=100, description="The group's name.")  # type: ignore[assignment]  # None: not sent; a null is refused
    convener_id: UuidStr = Field(None, description="A new convener (召集人): a member of the sector, who joins the group.")  # type: ignore[assignment]  # None: not sent; a null is refused


class GroupMembersIn(Strict):
    member_ids: list[UuidStr] = Field(
        ..., min_length=1, max_length=200,
        description="Members joining: each a member of the group's sector, or nothing is written (422).")


class GroupMemberOut(BaseModel):
    member_id: UuidStr = Field(description="The member (委员), by id.")
    name: str = Field(description="The member's name.")
    joined_at: datetime = Field(description="When it joined the group.")


class GroupOut(BaseModel):
    id: UuidStr = Field(description="The group's id (界别活动组).")
    org_unit: str = Field(description="The committee (city or county) of the group's sector: division code.")
    sector_id: UuidStr = Field(description="The group's sector (界别).")
    sector_name: str = Field(description="The sector's name.")
    name: str = Field(description="The group's name.")
    convener_id: UuidStr | None = Field(description="The convener (召集人); null until one is named.")
    members: list[GroupMemberOut] = Field(
        description="Its current members: active and still of the group's sector.")
    created_by: str = Field(description="Who formed it: the token's sub.")
    created_at: datetime = Field(description="When it was formed.")


class GroupPlanItemIn(Strict):
    planned_on: Day = Field(description="The day planned; its year is the plan's (活动计划).")
    theme: str = Field(..., min_length=1, max_length=200, examples=["走进农业合作社：春耕生产座谈"],
                       description="The activity's theme.")
    type: ActivityType | None = Field(None, description="The kind of liaison activity planned, if known.")
    description: str | None = Field(None, max_length=4000, description="What is planned.")


class GroupPlanItemOut(BaseModel):
    id: UuidStr = Field(description="The plan item's id.")
    group_id: UuidStr = Field(description="The group whose plan it is.")
    year: int = Field(description="The plan's year.")
    planned_on: date = Field(description="The day planned.")
    theme: str = Field(description="The activity's theme.")
    type: str | None = Field(description="The kind of liaison activity planned, if known.")
    description: str | None = Field(description="What is planned.")
    created_by: str = Field(description="Who planned it: the token's sub.")
    carried_out_by: list[UuidStr] = Field(description="The group activities that carried it out; empty while not.")


class GroupActivityIn(Strict):
    type: ActivityType = Field(description="The kind of liaison activity (履职活动).")
    title: str = Field(..., min_length=1, max_length=200, examples=["农业界别活动组春耕调研"],
                       description="The activity's title.")
    org_unit: OrgCode = Field(description="Where it took place: the group's unit or a unit under it.")
    occurred_on: Day = Field(description="The day it took place: not ahead of today.")
    member_ids: list[UuidStr] = Field(
        ..., min_length=1, max_length=200, description="The group's members who attended (出席).")
    people_reached: int = Field(0, ge=0, le=10_000, description="People reached.")
    plan_item_id: UuidStr | None = Field(
        None, description="The item of the group's plan it carries out, of the same year; none if unplanned.")
    description: str | None = Field(None, max_length=4000, description="What happened.")


class GroupActivityOut(ActivityOut):
    group_id: UuidStr = Field(description="The group that held it.")
    plan_item_id: UuidStr | None = Field(description="The plan item it carried out; null if unplanned.")


class GroupFigures(BaseModel):
    members: int = Field(description="Current members of the group.")
    planned: int = Field(description="Items of the year's plan.")
    plan_items_held: int = Field(description="Plan items carried out by at least one group activity.")
    plan_completion: float = Field(description="plan_items_held / planned (0 without a plan).")
    activities_held: int = Field(description="Group activities of the year, planned or not.")
    attendances: int = Field(description="Places current members took at those activities.")
    attendance_rate: float = Field(description="attendances / (activities_held × members).")
    opinions_taken_in: int = Field(description="Opinions (群众意见) taken in at the group's activities.")
    reports: int = Field(description="社情民意信息/专报 submitted that name one of those opinions.")
    proposals: int = Field(description="Proposals (提案) drafted from one of those opinions.")
    member_average: float = Field(description="The current members' average assessment score (考核).")


class GroupPoints(BaseModel):
    activities_held: float = Field(description="Points for activities held (capped).")
    plan_completion: float = Field(description="Points for the plan carried out.")
    attendance_rate: float = Field(description="Points for attendance.")
    opinions_taken_in: float = Field(description="Points for opinions taken in (capped).")
    reports: float = Field(description="Points for reports.")
    proposals: float = Field(description="Points for proposals.")
    member_average: float = Field(description="Points for the members' average score.")


class GroupRankOut(BaseModel):
    group_id: UuidStr = Field(description="The group (界别活动组), by id.")
    name: str = Field(description="The group's name.")
    sector_id: UuidStr = Field(description="The group's sector (界别).")
    figures: GroupFigures = Field(description="The group's year, counted.")
    points: GroupPoints = Field(description="Points per figure, by the weights shown with the ranking.")
    total: float = Field(description="The sum of the points.")
    rank: int = Field(description="The group's rank: 1 is first.")
    advanced: bool = Field(description="Named 先进界别活动组: among the top groups, with points.")


class GroupRankingOut(BaseModel):
    org_unit: str = Field(description="The committee (city or county): division code.")
    year: int = Field(description="The year ranked.")
    weights: GroupWeights = Field(description="Points per figure the ranking applied.")
    groups: list[GroupRankOut] = Field(description="Every group of the committee, first first.")
