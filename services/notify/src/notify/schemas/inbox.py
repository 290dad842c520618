"""HTTP shapes of the inbox, its preferences and the delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from liaison_shared.chinatime import ClockTime
from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, ConfigDict, Field, model_validator


class About(BaseModel):
    """What the item is about: open it with its link."""

    kind: str | None = Field(None, examples=["opinion"], description="opinion, proposal, topic, session, outcome, "
                             "report, member, department, …")
    id: str | None = Field(None, description="Its id in the service that holds it.")
    org_unit: str = Field(description="Its unit: 12-digit division code.")


class Link(BaseModel):
    """Where to open what an item is about."""

    service: str | None = Field(None, examples=["feedback"], description="The service that answers the API path.")
    api: str | None = Field(None, examples=["/api/v1/opinions/6f1c…"], description="API path of the thing.")
    page: str | None = Field(None, description="The portal's page of the thing, once the portal exists.")


class InboxItem(BaseModel):
    id: UuidStr = Field(description="The notification's id.")
    event_type: str = Field(description="The event that caused it, e.g. cppcc.feedback.opinion.submitted.")
    subject: str = Field(..., description="The message's subject line.")
    body: str = Field(description="The message.")
    about: About = Field(description="What it is about.")
    link: Link = Field(description="Where to open it.")
    created_at: datetime = Field(description="When it was created.")
    read: bool = Field(description="Whether the caller has read it.")


class UnreadCount(BaseModel):
    unread: int = Field(description="The caller's unread notifications.")


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid")

    locale: Literal["zh-CN", "en"] = Field("zh-CN", description="The language of the caller's messages: zh-CN or en.")
    quiet_from: ClockTime | None = Field(None, description="China time; with quiet_to, e.g. 22:00 to 07:30.")
    quiet_to: ClockTime | None = Field(None, description="End of the quiet hours (China time).")
    digest: bool = Field(False, description="Non-urgent e-mail once a day (08:00) instead of at once.")

    @model_validator(mode="after")
    def _quiet_hours_have_both_ends(self) -> Preferences:
        if (self.quiet_from is None) != (self.quiet_to is None):
            raise ValueError("quiet_from and quiet_to come together")
        return self


class DeliveryOut(BaseModel):
    id: UuidStr = Field(description="The notification's id.")
    event_type: str = Field(description="The event that caused it.")
    event_id: str = Field(description="The CloudEvents id of that event.")
    org_unit: str = Field(description="The event's unit: 12-digit division code.")
    recipient_kind: str = Field(description="member, org_staff, department or supervisor_staff.")
    recipient_id: str = Field(description="A member id, a department id, or an org unit (for staff).")
    channel: str = Field(description="inbox or email.")
    status: str = Field(description="pending, sent or failed.")
    attempts: int = Field(description="Sending attempts so far.")
    last_error: str | None = Field(description="Why the last attempt failed.")
    created_at: datetime = Field(description="When it was created.")
    sent_at: datetime | None = Field(description="When it was sent.")
    about: About = Field(description="What it is about.")
    link: Link = Field(description="Where to open it.")
