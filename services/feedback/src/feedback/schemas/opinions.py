"""HTTP shapes of opinions, their actions and public tracking."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from liaison_shared.auth import Acted
from liaison_shared.contracts.common import OrgCode
from liaison_shared.contracts.feedback import Channel, Rating, Urgency
from pydantic import BaseModel, Field, model_validator

from ..domain.opinion import Action, ConversionTarget, SupervisionForm
from .common import Day, Note, Reason, Strict, Text


class OpinionIn(Strict):
    """The fixed intake shape of docs/api.md (external apps and hotlines post it)."""

    content: str = Field(..., min_length=1, max_length=5000, examples=["村口灌溉渠堵塞，影响春灌"])
    org_unit: OrgCode = Field(..., description="Where the matter arises.")
    channel: Channel
    category: str | None = Field(None, max_length=50, examples=["水利"])
    urgency: Urgency | None = Field(None, description="急事快议: urgent.")
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


# --- the actions on a case: ``{"action": NAME, ...}``, each with the fields it takes -------------------


class AnswerOnSpot(Strict):
    """当场答复 (staff, in triage): the answer is the case's."""

    action: Literal[Action.ANSWER_ON_SPOT]
    text: Text


class AssignCase(Strict):
    """交办 (staff, in triage): to departments on the case's line; the first leads."""

    action: Literal[Action.ASSIGN]
    department_ids: list[str] = Field(default_factory=list, max_length=20,
                                      description="The first leads. Empty: what the dispatch catalogue proposes "
                                                  "(GET /opinions/{id}/dispatch-proposal).")
    deadline: Day | None = Field(None, description="After today; default by urgency, in working days.")


class RecallCase(Strict):
    """召回 (staff, assigned): the assignment ends, the case waits for triage again."""

    action: Literal[Action.RECALL]
    reason: Reason


class EscalateCase(Strict):
    """上报 (staff, in triage): to a unit above the handling unit, in one step."""

    action: Literal[Action.ESCALATE]
    reason: Reason
    to_unit: OrgCode | None = Field(None, description="Any unit above the handling unit (default: its parent).")


class ConvertCase(Strict):
    """成果转化 (staff): the case becomes a proposal, a report, a plenary speech or a topic."""

    action: Literal[Action.CONVERT]
    target: ConversionTarget
    topic_id: UUID | None = Field(None, description="target topic: join a topic already in the pool.")
    title: str | None = Field(None, max_length=200, description="A one-line title of what it becomes.")


class MergeCase(Strict):
    """合并 (staff, in triage): into another open case in scope; the people behind it add up."""

    action: Literal[Action.MERGE]
    into: UUID = Field(..., description="The case it joins.")


class ReturnCase(Strict):
    """退单 (a department, assigned): within the return window."""

    action: Literal[Action.RETURN]
    reason: Reason


class ExtendCase(Strict):
    """延期 (assigned): a department asks with ``days`` and ``reason``; staff decide with ``decision``."""

    action: Literal[Action.EXTEND]
    days: int | None = Field(None, ge=1, le=60, description="A department: working days asked for.")
    reason: Reason | None = Field(None, description="A department: why.")
    decision: Literal["approve", "refuse"] | None = Field(None, description="Staff: on the request waiting.")


class ReplyToCase(Strict):
    """答复 (a department, assigned)."""

    action: Literal[Action.REPLY]
    text: Text


class RatingIn(Strict):
    """群众评价: the submitter's (by tracking code), or staff's for a rating taken by phone."""

    rating: Rating
    comment: Note = None

    @model_validator(mode="after")
    def _blank_is_none(self):
        self.comment = self.comment or None
        return self


class RateCase(RatingIn):
    """评价 (staff, a rating taken by phone; answered or replied)."""

    action: Literal[Action.RATE]


class SuperviseCase(Strict):
    """督办 (staff): recorded against the case, in one of the forms of supervision."""

    action: Literal[Action.SUPERVISE]
    form: SupervisionForm = "督办"
    note: Note = None


class CloseCase(Strict):
    """办结 (staff)."""

    action: Literal[Action.CLOSE]
    reason: Note = None


OpinionAction = Annotated[
    AnswerOnSpot | AssignCase | RecallCase | EscalateCase | ConvertCase | MergeCase | ReturnCase | ExtendCase
    | ReplyToCase | RateCase | SuperviseCase | CloseCase,
    Field(discriminator="action"),
]


# --- answers -------------------------------------------------------------------------------------


class AssignmentOut(BaseModel):
    department_id: str
    lead: bool
    state: str
    deadline: date
    reply: str | None
    replied_at: datetime | None
    return_reason: str | None
    round: int


class HistoryOut(Acted):
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
