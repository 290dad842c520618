"""HTTP shapes of the figures of a subtree."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class Figures(BaseModel):
    key: str = Field(
        description="The group, as group_by says: a unit's code, a category, a member, a month (YYYY-MM)…; all without grouping.")
    cases: int = Field(description="Cases (群众意见).")
    people: int = Field(description="People behind them.")
    response_rate: float | None = Field(
        description="响应率: cases answered or acted on among all (replies among assignments, by department).")
    resolution_rate: float | None = Field(description="解决率: cases resolved and not rated unsatisfied among all.")
    satisfaction_rate: float | None = Field(description="满意率: satisfied and basically satisfied among the rated.")
    on_time_rate: float | None = Field(description="按时率: replies within the deadline among the replies and the assignments past their deadline with no reply yet.")
    returns: int | None = Field(
        None, description="By department: assignments it returned (退单), overruled ones included; null otherwise.")
    returns_overruled: int | None = Field(
        None, description="By department: its returns staff overruled (退单审核 — it had to keep the case).")
    return_rate: float | None = Field(
        None, description="By department: returns among its assignments — a department that returns often shows.")


class StatsOut(BaseModel):
    org_unit: str = Field(description="The subtree's unit: 12-digit division code.")
    group_by: str = Field(description="How the figures are grouped.")
    date_from: date | None = Field(description="Cases handed in from this day.")
    date_to: date | None = Field(description="Cases handed in up to this day.")
    groups: list[Figures] = Field(description="The figures per group.")
