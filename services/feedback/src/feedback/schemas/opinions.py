"""HTTP shapes of opinions, their actions and public tracking."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from liaison_shared.contracts.common import OrgCode
from pydantic import BaseModel, ConfigDict, Field, model_validator

FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
Day = Annotated[date, Field(ge=FIRST_DAY, le=LAST_DAY, description="YYYY-MM-DD, China time, 2000 to 2100")]
"""Every date the service is given — query, body or path — is bounded here, so an absurd one
(``9999-12-31``) is a 422 at the model, never an overflow in date arithmetic."""

Channel = Literal["online", "reception_day", "visit", "contact_point", "hotline", "consultation"]
RatingValue = Literal["satisfied", "basically_satisfied", "unsatisfied"]
Action = Literal["answer_on_spot", "assign", "recall", "escalate", "convert", "merge", "return", "extend",
                 "reply", "rate", "supervise", "close"]


class OpinionIn(BaseModel):
    """The fixed intake shape of docs/api.md (external apps and hotlines post it)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    content: str = Field(..., min_length=1, max_length=5000, examples=["村口灌溉渠堵塞，影响春灌"])
    org_unit: OrgCode = Field(..., description="Where the matter arises.")
    channel: Channel
    category: str | None = Field(None, max_length=50, examples=["水利"])
    urgency: Literal["normal", "urgent"] | None = Field(None, description="急事快议: urgent.")
    submitter_name: str | None = Field(None, max_length=50)
    submitter_phone: str | None = Field(None, pattern=r"^[0-9+\-() ]{5,30}$")
    consent: bool = Field(False, description="Without it no personal data is kept.")
    notify_by_sms: bool = Field(False, description="Ask for an SMS when the case is answered: needs consent "
                                                   "and a phone (else 422).")
    member_id: str | None = Field(None, max_length=64)
    venue_id: str | None = Field(None, max_length=64)

    @model_validator(mode="after")
    def _sms_needs_consent(self):
        if self.notify_by_sms and not self.consent:
            raise ValueError("notify_by_sms needs consent: without it no phone is kept to send the SMS to")
        if self.notify_by_sms and not self.submitter_phone:
            raise ValueError("notify_by_sms needs submitter_phone")
        return self


class OpinionCreated(BaseModel):
    id: str
    tracking_code: str
    status: str
    personal_data_kept: bool = Field(..., description="Whether the name and phone given were kept.")
    personal_data_note: str | None = Field(None, description="Why not, when some were given and not kept.",
                                           examples=["name and phone were not kept: no consent was given"])


class ActionIn(BaseModel):
    """``{"action": NAME, ...}`` with the fields of that action (docs/api.md, Actions)."""

    model_config = ConfigDict(extra="forbid")

    action: Action
    text: str | None = Field(None, max_length=10_000)
    department_ids: list[str] | None = Field(None, max_length=20)
    deadline: Day | None = None
    reason: str | None = Field(None, max_length=2000)
    to_unit: OrgCode | None = Field(None, description="escalate: any unit above the handling unit (default: "
                                                      "its parent), in one step.")
    target: str | None = None
    topic_id: str | None = Field(None, max_length=64, description="convert to topic: link to a topic in the pool.")
    title: str | None = Field(None, max_length=200, description="convert: a one-line title of what it becomes.")
    into: str | None = None
    days: int | None = Field(None, ge=1, le=60, description="extend: working days asked for.")
    decision: Literal["approve", "refuse"] | None = None
    rating: RatingValue | None = None
    comment: str | None = Field(None, max_length=2000)
    form: str | None = None
    note: str | None = Field(None, max_length=2000)


class AssignmentOut(BaseModel):
    department_id: str
    lead: bool
    state: str
    deadline: date
    reply: str | None
    replied_at: datetime | None
    return_reason: str | None
    round: int


class HistoryOut(BaseModel):
    at: datetime
    actor_sub: str
    actor_role: str
    actor_org: str | None
    action: str
    from_status: str | None
    to_status: str
    detail: dict


class ConvertedTo(BaseModel):
    kind: str = Field(..., examples=["proposal", "topic", "public_opinion_report", "special_report",
                                     "plenary_speech"])
    id: str


class OpinionOut(BaseModel):
    id: str
    tracking_code: str | None = Field(None, description="Only to staff handling the case (a caller who lost it);"
                                                        " never to departments.")
    content: str
    category: str | None
    channel: str
    urgency: str
    org_unit: str
    handling_unit: str
    first_receiver: str
    status: str
    member_id: str | None
    venue_id: str | None
    people_count: int
    merged_into: str | None
    reopened: bool
    deadline: date | None = Field(None, description="The reply deadline in force, or none (see deadline_reason).")
    deadline_reason: str | None = Field(None, description="Why no deadline runs, when none does.",
                                        examples=["converted into a proposal: answered when that is"])
    converted_to: ConvertedTo | None = Field(None, description="What the case became, when converted.")
    answer: str | None
    rating: str | None
    submitter_name: str | None = Field(None, description="Masked (张*) unless you handle the case.")
    submitter_phone: str | None = Field(None, description="Masked (138****5678) unless you handle the case.")
    created_at: datetime
    updated_at: datetime


class OpinionDetail(OpinionOut):
    assignments: list[AssignmentOut]
    history: list[HistoryOut]


class PublicAnswer(BaseModel):
    kind: Literal["on_the_spot", "department", "conversion"] = Field(
        ..., description="conversion: from what the case became (a proposal's reply, a report's adoption…).")
    text: str
    at: datetime | None


class TrackOut(BaseModel):
    """What the submitter sees by tracking code: never anyone's personal data."""

    tracking_code: str
    status: str
    created_at: datetime
    deadline: date | None
    deadline_reason: str | None = None
    converted_to: str | None = Field(None, description="The kind of what the case became, when converted.")
    merged: bool = Field(False, description="Merged into another case: the answers are that case's.")
    answers: list[PublicAnswer]
    rating: str | None
    can_rate: bool
    chain: dict = Field(default_factory=dict, description="What became of it (溯源), as GET /opinions/{id}/lineage "
                        "shows it but with nothing personal or internal: steps with their times, the topic's stage, "
                        "sessions, outcomes, proposals (number, reply class, evaluation), reports, department tasks.")


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: RatingValue
    comment: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _strip(self):
        if self.comment is not None:
            self.comment = self.comment.strip() or None
        return self
