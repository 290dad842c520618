"""HTTP shapes of venues and reception days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from liaison_shared.contracts.common import OrgCode
from liaison_shared.contracts.members import VenueKind
from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, Field, model_validator

from .registry import Patch, Strict

EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2101, 1, 1, tzinfo=UTC)

class VenueIn(Strict):
    kind: VenueKind = Field(
        description="sector_studio (界别委员工作室), reception_room (委员会客室), contact_point (基层联系点) or deliberation_hall (协商议事厅).")
    name: str = Field(..., min_length=1, max_length=200, examples=["黄渠桥镇委员会客室"], description="The venue's name (履职平台).")
    org_unit: OrgCode = Field(description="Where it is: 12-digit division code.")
    address: str | None = Field(None, max_length=300, description="The street address.")
    opening_hours: str | None = Field(None, max_length=200, examples=["周一至周五 9:00-17:00"],
        description="When it is open.")
    sector_id: UuidStr | None = Field(None, description="For a sector studio (界别委员工作室).")


class VenuePatch(Patch):
    name: str = Field(None, min_length=1, max_length=200, description="The venue's name (履职平台).")  # type: ignore[assignment]  # None: not sent; a null is refused
    address: str | None = Field(None, max_length=300, description="The street address.")
    opening_hours: str | None = Field(None, max_length=200, description="When it is open.")
    active: bool = Field(None, description="False once deactivated: kept, no longer offered.")  # type: ignore[assignment]  # None: not sent; a null is refused


class VenueOut(BaseModel):
    id: UuidStr = Field(description="The venue's id (履职平台).")
    kind: VenueKind = Field(
        description="sector_studio (界别委员工作室), reception_room (委员会客室), contact_point (基层联系点) or deliberation_hall (协商议事厅).")
    name: str = Field(description="The venue's name.")
    org_unit: str = Field(description="Where it is: 12-digit division code.")
    address: str | None = Field(description="The street address.")
    opening_hours: str | None = Field(description="When it is open.")
    sector_id: UuidStr | None = Field(description="The sector (界别) of a sector studio.")
    active: bool = Field(description="False once deactivated: kept, no longer offered.")
    updated_at: datetime = Field(description="When it last changed.")


class ReceptionDayIn(Strict):
    member_id: UuidStr = Field(..., max_length=64, description="The member (委员) who receives people.")
    venue_id: UuidStr = Field(..., max_length=64, description="The venue (履职平台) where.")
    starts_at: datetime = Field(..., description="With a UTC offset; not before today (China time), "
                                                     "before 2101.")
    ends_at: datetime = Field(..., description="After ``starts_at``, at most 24 hours later.")
    capacity: int = Field(20, ge=1, le=10_000, description="How many people can be received.")
    topic: str | None = Field(None, max_length=200, description="What the day is about, if anything.")

    @model_validator(mode="after")
    def _order(self):
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("times need a UTC offset, e.g. 2026-12-05T09:00:00+08:00")
        if not (self.starts_at >= EARLIEST and self.ends_at <= LATEST):
            raise ValueError("a reception day falls within 2000–2100")
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.ends_at - self.starts_at > timedelta(hours=24):
            raise ValueError("a reception day lasts at most 24 hours")
        return self


class ReceptionDayOut(BaseModel):
    id: UuidStr = Field(description="The reception day's id (委员接待日).")
    member_id: UuidStr = Field(description="The member (委员) who receives people.")
    member_name: str = Field(description="The member's name.")
    venue_id: UuidStr = Field(description="The venue (履职平台) where.")
    venue_name: str = Field(description="The venue's name.")
    org_unit: str = Field(description="The venue's unit: 12-digit division code.")
    starts_at: datetime = Field(description="When it starts, with a UTC offset.")
    ends_at: datetime = Field(description="When it ends, with a UTC offset.")
    capacity: int = Field(description="How many people can be received.")
    topic: str | None = Field(description="What the day is about, if anything.")
