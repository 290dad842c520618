"""Events of the notify service."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..events import Event, EventType
from .common import OrgCode

RecipientKind = Literal["member", "org_staff", "department", "subscription", "submitter", "person", "leader",
                        "hotline"]  # hotline: the 12345 hotline of a city (issue 21)
DeliveryChannel = Literal["inbox", "email", "webhook", "sms"]


class NotificationSent(Event):
    """A notification reached its channel (an inbox, an SMTP server)."""

    event_type = EventType("notify", "notification", "sent", 1)

    notification_id: str
    org_unit: OrgCode
    event_type_name: str = Field(..., description="The CloudEvents type that caused it.")
    event_id: str
    recipient_kind: RecipientKind
    recipient_id: str
    channel: DeliveryChannel


class NotificationFailed(Event):
    """A notification could not be delivered after every attempt."""

    event_type = EventType("notify", "notification", "failed", 1)

    notification_id: str
    org_unit: OrgCode
    event_type_name: str
    event_id: str
    recipient_kind: RecipientKind
    recipient_id: str
    channel: DeliveryChannel
    error: str
