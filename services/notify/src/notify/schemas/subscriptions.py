"""HTTP shapes of webhook subscriptions."""

from __future__ import annotations

from datetime import datetime

from liaison_shared.contracts.common import OrgCode
from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, ConfigDict, Field, HttpUrl


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=100, examples=["市12345热线平台"], description="The subscriber's name.")
    url: HttpUrl = Field(..., description="https, at a public address (an address the operator allows in "
                                          "WEBHOOK_ALLOWLIST may be http and internal). Redirects are not followed.")
    event_types: list[str] = Field(..., min_length=1, max_length=50,
                                   examples=[["cppcc.feedback.opinion.submitted", "cppcc.feedback.opinion.replied"]],
                                   description="Types without their version, or '*' for every event.")
    org_unit: OrgCode = Field(..., description="Events of this unit and the units under it.")


class SubscriptionOut(BaseModel):
    id: UuidStr = Field(description="The subscription's id.")
    name: str = Field(description="The subscriber's name.")
    url: str = Field(description="Where events are posted.")
    event_types: list[str] = Field(description="Types without their version, or '*' for every event.")
    org_unit: str = Field(description="Events of this unit and the units under it.")
    active: bool = Field(description="Whether events are sent to it.")
    created_at: datetime = Field(description="When it was created.")


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(..., description="The HMAC-SHA256 key of the signatures. Shown once.")


class SecretRotation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    overlap_hours: int = Field(24, ge=0, le=168, description="How long the replaced secret keeps signing beside "
                               "the new one (in `webhook-signature`); 0: it stops at once.")


class SecretRotated(BaseModel):
    id: UuidStr = Field(description="The subscription's id.")
    secret: str = Field(..., description="The new HMAC-SHA256 key of the signatures. Shown once.")
    secret_rotated_at: datetime = Field(description="When the secret was replaced.")
    previous_secret_until: datetime | None = Field(
        ..., description="Until when deliveries are also signed with the replaced secret; null: no overlap.")
