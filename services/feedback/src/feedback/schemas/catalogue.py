"""HTTP shapes of the dispatch catalogue (派单目录) and the working-day calendar."""

from __future__ import annotations

from datetime import datetime

from liaison_shared.contracts.common import OrgCode
from pydantic import BaseModel, Field

from .common import Day, Strict


class DispatchRuleIn(Strict):
    category: str = Field(..., min_length=1, max_length=50, examples=["水利"])
    org_unit: OrgCode = Field(..., description="Applies to cases arising in this unit and below.")
    lead_department: str
    co_departments: list[str] = Field(default_factory=list, max_length=10)


class DispatchRuleOut(BaseModel):
    id: str
    category: str
    org_unit: str
    lead_department: str
    co_departments: list[str]
    created_by: str
    created_at: datetime


class DispatchProposal(BaseModel):
    rule_id: str
    org_unit: str
    lead_department: str
    co_departments: list[str]


class CalendarDay(Strict):
    day: Day
    workday: bool
    note: str | None = Field(None, max_length=100, examples=["国庆节调休上班"])
