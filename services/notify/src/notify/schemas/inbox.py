"""HTTP shapes of the inbox, its preferences and the delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from liaison_shared.chinatime import ClockTime
from pydantic import BaseModel, ConfigDict, Field, model_validator


class About(BaseModel):
    """What the item is about: open it with its link."""

    kind: str | None = Field(None, examples=["opinion"], description="opinion, proposal, topic, session, outcome, "
                             "report, member, department, …")
    id: str | None = None
    org_unit: str


class Link(BaseModel):
    """Where to open what an item is about."""

    service: str | None = Field(None, examples=["feedback"], description="The service that answers the API path.")
    api: str | None = Field(None, examples=["/api/v1/opinions/6f1c…"], description="API path of the thing.")
    page: str | None = Field(None, description="The portal's page of the thing, once the portal exists.")


class InboxItem(BaseModel):
    id: str
    event_type: str
    subject: str = Field(..., description="The message's subject line.")
    body: str
    about: About
    link: Link
    created_at: datetime
    read: bool


class UnreadCount(BaseModel):
    unread: int


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid")

    locale: Literal["zh-CN", "en"] = "zh-CN"
    quiet_from: ClockTime | None = Field(None, description="China time; with quiet_to, e.g. 22:00 to 07:30.")
    quiet_to: ClockTime | None = None
    digest: bool = Field(False, description="Non-urgent e-mail once a day (08:00) instead of at once.")

    @model_validator(mode="after")
    def _quiet_hours_have_both_ends(self) -> Preferences:
        if (self.quiet_from is None) != (self.quiet_to is None):
            raise ValueError("quiet_from and quiet_to come together")
        return self


class DeliveryOut(BaseModel):
    id: str
    event_type: str
    event_id: str
    org_unit: str
    recipient_kind: str
    recipient_id: str
    channel: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    about: About
    link: Link
