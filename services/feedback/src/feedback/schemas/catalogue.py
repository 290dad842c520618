"""HTTP shapes of the dispatch catalogue (派单目录) and the working-day calendar."""

from __future__ import annotations

from datetime import datetime

from liaison_shared.contracts.common import OrgCode
from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, Field

from .common import Day, Strict


class DispatchRuleIn(Strict):
    category: str = Field(..., min_length=1, max_length=200, examples=["水利"],
        description="A category offered at the unit (GET /api/v1/categories), by its path or a name only one "
                    "category has: the dispatch catalogue's key (派单目录). It covers the sub-categories without "
                    "a rule of their own.")
    org_unit: OrgCode = Field(..., description="Applies to cases arising in this unit and below.")
    lead_department: str = Field(description="The lead department (主办单位), by id.")
    co_departments: list[str] = Field(default_factory=list, max_length=10,
        description="Co-handling departments (协办单位), by id.")


class DispatchRuleOut(BaseModel):
    id: UuidStr = Field(description="The rule's id (派单目录).")
    category: str = Field(description="The category's path, the dispatch catalogue's key (派单目录), e.g. 水利/灌溉.")
    org_unit: str = Field(description="It applies to cases arising in this unit and below.")
    lead_department: str = Field(description="The lead department (主办单位), by id.")
    co_departments: list[str] = Field(description="Co-handling departments (协办单位), by id.")
    created_by: str = Field(description="Who created it: the token's sub.")
    created_at: datetime = Field(description="When it was created.")


class DispatchProposal(BaseModel):
    rule_id: UuidStr = Field(description="The catalogue rule (派单目录) that matched.")
    org_unit: str = Field(description="The unit of that rule.")
    lead_department: str = Field(description="The lead department (主办单位), by id.")
    co_departments: list[str] = Field(description="Co-handling departments (协办单位), by id.")


class CalendarDay(Strict):
    day: Day = Field(description="The day.")
    workday: bool = Field(
        description="A working day (adjusted working days included), or not (a holiday or a weekend).")
    note: str | None = Field(None, max_length=100, examples=["国庆节调休上班"], description="Why, e.g. 国庆节调休上班.")
