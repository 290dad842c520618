"""HTTP shapes of the open data (公开数据): aggregates for anyone, nothing personal."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class CountyMonthFigures(BaseModel):
    county: str = Field(description="County (县/区) division code; a city's own cases under the city's code.")
    county_name: str | None = Field(description="Its name, as the registry gives it.")
    month: str = Field(description="Month the cases were handed in, China time (YYYY-MM).")
    cases: int | None = Field(description="Cases (群众意见); null when fewer than k.")
    response_rate: float | None = Field(description="响应率: cases answered or acted on among all; null under k cases.")
    resolution_rate: float | None = Field(description="解决率: resolved and not rated unsatisfied; null under k cases.")
    satisfaction_rate: float | None = Field(
        description="满意率: satisfied and basically satisfied among the rated; null under k ratings.")
    on_time_rate: float | None = Field(
        description="按时率: replies in time among replies and assignments overdue unanswered; null under k of them.")


class CategoryCount(BaseModel):
    county: str = Field(description="County (县/区) division code.")
    county_name: str | None = Field(description="Its name, as the registry gives it.")
    month: str = Field(description="Month the cases were handed in, China time (YYYY-MM).")
    category: str = Field(description="The case's category (分类); empty when none was given.")
    cases: int | None = Field(description="Cases; null when fewer than k.")


class OpenFiguresOut(BaseModel):
    year: int = Field(description="The year the figures cover.")
    k: int = Field(description="No count or rate resting on fewer than k cases is published (k-anonymity).")
    generated_at: datetime = Field(description="When the figures were computed (they are cached a while).")
    rows: list[CountyMonthFigures] = Field(description="One row per county and month.")


class OpenCategoriesOut(BaseModel):
    year: int = Field(description="The year the figures cover.")
    k: int = Field(description="No count below k is published (k-anonymity).")
    generated_at: datetime = Field(description="When the figures were computed (they are cached a while).")
    rows: list[CategoryCount] = Field(description="One row per county, month and category.")
