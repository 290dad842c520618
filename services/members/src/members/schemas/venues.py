"""HTTP shapes of venues and reception days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from liaison_shared.contracts.common import OrgCode
from liaison_shared.contracts.members import VenueKind
from pydantic import BaseModel, Field, model_validator

from .registry import Patch, Strict

EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2101, 1, 1, tzinfo=UTC)

class VenueIn(Strict):
    kind: VenueKind
    name: str = Field(..., min_length=1, max_length=200, examples=["黄渠桥镇委员会客室"])
    org_unit: OrgCode
    address: str | None = Field(None, max_length=300)
    opening_hours: str | None = Field(None, max_length=200, examples=["周一至周五 9:00-17:00"])
    sector_id: str | None = Field(None, description="For a sector studio (界别委员工作室).")


class VenuePatch(Patch):
    name: str = Field(None, min_length=1, max_length=200)
    address: str | None = Field(None, max_length=300)
    opening_hours: str | None = Field(None, max_length=200)
    active: bool = None


class VenueOut(BaseModel):
    id: str
    kind: VenueKind
    name: str
    org_unit: str
    address: str | None
    opening_hours: str | None
    sector_id: str | None
    active: bool
    updated_at: datetime


class ReceptionDayIn(Strict):
    member_id: str = Field(..., max_length=64)
    venue_id: str = Field(..., max_length=64)
    starts_at: datetime = Field(..., description="With a UTC offset; not before today (China time), "
                                                     "before 2101.")
    ends_at: datetime = Field(..., description="After ``starts_at``, at most 24 hours later.")
    capacity: int = Field(20, ge=1, le=10_000)
    topic: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _order(self):
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("times need a UTC offset, e.g. 2026-12-05T09:00:00+08:00")
        if not (EARLIEST <= self.starts_at and self.ends_at <= LATEST):
            raise ValueError("a reception day falls within 2000–2100")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.ends_at - self.starts_at > timedelta(hours=24):
            raise ValueError("a reception day lasts at most 24 hours")
        return self


class ReceptionDayOut(BaseModel):
    id: str
    member_id: str
    member_name: str
    venue_id: str
    venue_name: str
    org_unit: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    topic: str | None
