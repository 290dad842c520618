"""HTTP shapes of the figures of a subtree."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class Figures(BaseModel):
    key: str
    cases: int
    people: int
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    on_time_rate: float | None


class StatsOut(BaseModel):
    org_unit: str
    group_by: str
    date_from: date | None
    date_to: date | None
    groups: list[Figures]
