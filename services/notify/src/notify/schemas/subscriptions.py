"""HTTP shapes of webhook subscriptions."""

from __future__ import annotations

from datetime import datetime

from liaison_shared.contracts.common import OrgCode
from pydantic import BaseModel, ConfigDict, Field, HttpUrl


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=100, examples=["市12345热线平台"])
    url: HttpUrl = Field(..., description="https, at a public address (an address the operator allows in "
                                          "WEBHOOK_ALLOWLIST may be http and internal). Redirects are not followed.")
    event_types: list[str] = Field(..., min_length=1, max_length=50,
                                   examples=[["cppcc.feedback.opinion.submitted", "cppcc.feedback.opinion.replied"]],
                                   description="Types without their version, or '*' for every event.")
    org_unit: OrgCode = Field(..., description="Events of this unit and the units under it.")


class SubscriptionOut(BaseModel):
    id: str
    name: str
    url: str
    event_types: list[str]
    org_unit: str
    active: bool
    created_at: datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(..., description="The HMAC-SHA256 key of the signatures. Shown once.")
