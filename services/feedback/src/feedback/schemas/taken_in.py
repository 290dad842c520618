"""HTTP shape of an opinion a member took in (委员收集的群众意见)."""

from __future__ import annotations

from liaison_shared.contracts.feedback import Channel
from liaison_shared.openapi import UuidStr
from pydantic import Field, model_validator

from .opinions import OpinionIn


class TakenInIn(OpinionIn):
    """An opinion a member took in at its reception day, during an activity or on a visit,
    recorded by the member or by staff on its behalf."""

    channel: Channel | None = Field(  # type: ignore[assignment]
        None, description="How it came in; default reception_day with a reception day, else visit.")
    received_by: UuidStr | None = Field(None, max_length=64,
        description="The member (委员) who took it in: a member's token names itself (the default); staff "
                    "name the member they record it for.")
    reception_day_id: UuidStr | None = Field(None, max_length=64,
        description="The member's reception day (委员接待日) where it was taken in; its venue is the default venue.")
    activity_id: UuidStr | None = Field(None, max_length=64,
        description="The liaison activity (履职活动) the member took part in where it was taken in.")

    @model_validator(mode="after")
    def _one_occasion(self):
        if self.reception_day_id and self.activity_id:
            raise ValueError("name the reception day or the activity where it was taken in, not both")
        if self.member_id is not None:
            raise ValueError("member_id is received_by here: the member who took it in")
        if self.channel is None:
            self.channel = "reception_day" if self.reception_day_id else "visit"
        return self
