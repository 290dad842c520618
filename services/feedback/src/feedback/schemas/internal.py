"""HTTP shapes of the routes for the other services' own use."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SubmitterContact(BaseModel):
    """What notify needs for one message to a citizen — fetched per delivery, never stored there."""

    phone: str = Field(description="The submitter's phone in clear (kept with consent only).")
    tracking_code: str = Field(description="The case's tracking code, for the link in the message.")


class HotlineAnswer(BaseModel):
    """What notify adds to a message to the 12345 hotline at the moment it sends it — asked per
    delivery, never kept there, never in an event."""

    answer: str = Field(description="办理结果: the case's latest answer — the departments' replies of the latest "
                                     "round (each under its department's name when there are several), the answer "
                                     "of what the case became, or the answer given on the spot.")
