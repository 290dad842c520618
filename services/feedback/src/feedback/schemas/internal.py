"""HTTP shapes of the routes for the other services' own use."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SubmitterContact(BaseModel):
    """What notify needs for one message to a citizen — fetched per delivery, never stored there."""

    phone: str = Field(description="The submitter's phone in clear (kept with consent only).")
    tracking_code: str = Field(description="The case's tracking code, for the link in the message.")
