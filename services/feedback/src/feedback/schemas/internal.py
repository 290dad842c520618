"""HTTP shapes of the routes for the other services' own use."""

from __future__ import annotations

from pydantic import BaseModel


class SubmitterContact(BaseModel):
    """What notify needs for one message to a citizen — fetched per delivery, never stored there."""

    phone: str
    tracking_code: str
