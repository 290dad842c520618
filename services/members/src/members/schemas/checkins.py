"""HTTP shapes of check-in (扫码签到): the code an organiser shows, and a member's check-in."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, Field

from .registry import Strict

Occasion = Literal["activity", "reception_day", "session"]
OCCASION_FIELD = Field(description="activity (履职活动), reception_day (委员接待日) or session (协商议事, "
                                   "consultation's session id).")


class CheckInCodeOut(BaseModel):
    occasion: Occasion = OCCASION_FIELD
    occasion_id: UuidStr = Field(description="The occasion's id.")
    title: str = Field(description="The activity's title, the reception day's venue, or the session's title.")
    org_unit: str = Field(description="Where it takes place.")
    code: str = Field(description="The signed check-in code (a JWT of the check-in's own audience and key).")
    link: str = Field(description="What the QR code holds: CHECKIN_LINK_BASE with ?code=.")
    svg: str = Field(description="The QR code of the link, an <svg> element to show on the organiser's screen.")
    valid_from: datetime = Field(description="From when this code is good.")
    expires_at: datetime = Field(description="Until when this code is good (CHECKIN_CODE_TTL_S, within the window): "
                                             "fetch a new one before.")
    window_opens: datetime = Field(description="When check-in at the occasion opens.")
    window_closes: datetime = Field(description="When check-in at the occasion closes.")


class CheckInIn(Strict):
    code: str = Field(..., min_length=20, max_length=2000, description="The code from the link (?code=).")


class CheckInOut(BaseModel):
    occasion: Occasion = OCCASION_FIELD
    occasion_id: UuidStr = Field(description="The occasion's id.")
    title: str = Field(description="What the member checked in to.")
    org_unit: str = Field(description="Where it takes place.")
    member_id: UuidStr = Field(description="The member recorded present: the caller.")
    checked_in_at: datetime = Field(description="When it was recorded — the first time, for a repeated scan.")
    already_recorded: bool = Field(description="True when the member had checked in before: nothing changed.")


class AttendeeOut(BaseModel):
    member_id: UuidStr = Field(description="A member recorded present.")
    member_name: str = Field(description="The member's name.")
    checked_in_at: datetime = Field(description="When it checked in.")
