"""HTTP shapes of opinions, their actions and public tracking."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from liaison_shared.auth import Acted
from liaison_shared.contracts.common import OrgCode
from liaison_shared.contracts.feedback import Channel, Rating, Urgency
from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, Field, model_validator

from ..domain.opinion import Action, ConversionTarget, SupervisionForm
from .common import Day, Note, Reason, Strict, Text
from .open311 import CaseLocation


class OpinionIn(Strict):
    """The fixed intake shape of docs/api.md (external apps and hotlines post it)."""

    content: str = Field(..., min_length=1, max_length=5000, examples=["村口灌溉渠堵塞，影响春灌"],
        description="What the submitter says (群众意见).")
    org_unit: OrgCode = Field(..., description="Where the matter arises.")
    channel: Channel = Field(
        description="How it came in: online, reception_day, visit, contact_point, hotline or consultation.")
    category: str | None = Field(None, max_length=200, examples=["水利/灌溉"],
        description="A category offered at the unit (GET /api/v1/public/categories?org_unit=…), by its path or "
                    "a name only one category has (灌溉); the case keeps the path. Unknown: 422 naming the valid ones.")
    urgency: Urgency | None = Field(None, description="急事快议: urgent.")
    submitter_name: str | None = Field(None, max_length=50, description="The submitter's name: kept only with consent.")
    submitter_phone: str | None = Field(None, pattern=r"^[0-9+\-() ]{5,30}$",
        description="The submitter's phone: kept only with consent.")
    consent: bool = Field(False, description="Without it no personal data is kept.")
    notify_by_sms: bool = Field(False, description="Ask for an SMS when the case is answered: needs consent "
                                                   "and a phone (else 422).")
    member_id: UuidStr | None = Field(None, max_length=64, description="The member (委员) who took it in.")
    venue_id: UuidStr | None = Field(None, max_length=64, description="The venue (履职平台) where it was taken in.")
    sector_id: UuidStr | None = Field(None, max_length=64,
        description="The sector (界别) whose constituents (界别群众) raise it: sector figures count it there.")

    @model_validator(mode="after")
    def _sms_needs_consent(self):
        if self.notify_by_sms and not self.consent:
            raise ValueError("notify_by_sms needs consent: without it no phone is kept to send the SMS to")
        if self.notify_by_sms and not self.submitter_phone:
            raise ValueError("notify_by_sms needs submitter_phone")
        return self


class OpinionCreated(BaseModel):
    id: UuidStr = Field(description="The case's id (群众意见).")
    tracking_code: str = Field(description="Keep it: GET /api/v1/track/{code} follows the case (public).")
    status: str = Field(description="The case's state: received.")
    personal_data_kept: bool = Field(..., description="Whether the name and phone given were kept.")
    personal_data_note: str | None = Field(None, description="Why not, when some were given and not kept.",
                                           examples=["name and phone were not kept: no consent was given"])


# --- the actions on a case: ``{"action": NAME, ...}``, each with the fields it takes -------------------


class AnswerOnSpot(Strict):
    """当场答复 (staff, in triage): the answer is the case's."""

    action: Literal[Action.ANSWER_ON_SPOT] = Field(
        description="The action's name: it decides which other fields the body takes.")
    text: Text = Field(description="The answer (当场答复).")


class AssignCase(Strict):
    """交办 (staff, in triage): to departments on the case's line; the first leads."""

    action: Literal[Action.ASSIGN] = Field(
        description="The action's name: it decides which other fields the body takes.")
    department_ids: list[str] = Field(default_factory=list, max_length=20,
                                      description="The first leads. Empty: what the dispatch catalogue proposes "
                                                  "(GET /opinions/{id}/dispatch-proposal).")
    deadline: Day | None = Field(None, description="After today; default by urgency, in working days.")


class RecallCase(Strict):
    """召回 (staff, assigned): the assignment ends, the case waits for triage again."""

    action: Literal[Action.RECALL] = Field(
        description="The action's name: it decides which other fields the body takes.")
    reason: Reason = Field(description="Why the assignment ends; the department is told.")


class EscalateCase(Strict):
    """上报 (staff, in triage): to a unit above the handling unit, in one step."""

    action: Literal[Action.ESCALATE] = Field(
        description="The action's name: it decides which other fields the body takes.")
    reason: Reason = Field(description="Why it goes up.")
    to_unit: OrgCode | None = Field(None, description="Any unit above the handling unit (default: its parent).")


class ConvertCase(Strict):
    """成果转化 (staff): the case becomes a proposal, a report, a plenary speech or a topic."""

    action: Literal[Action.CONVERT] = Field(
        description="The action's name: it decides which other fields the body takes.")
    target: ConversionTarget = Field(
        description="topic (议题), proposal (提案), public_opinion_report (社情民意信息), special_report (政协专报) or plenary_speech (大会发言).")
    topic_id: UUID | None = Field(None, description="target topic: join a topic already in the pool.")
    title: str | None = Field(None, max_length=200, description="A one-line title of what it becomes.")


class MergeCase(Strict):
    """合并 (staff, in triage): into another open case in scope; the people behind it add up."""

    action: Literal[Action.MERGE] = Field(
        description="The action's name: it decides which other fields the body takes.")
    into: UUID = Field(..., description="The case it joins.")


class ReturnCase(Strict):
    """退单 (a department, assigned): within the return window."""

    action: Literal[Action.RETURN] = Field(
        description="The action's name: it decides which other fields the body takes.")
    reason: Reason = Field(description="Why the assignment is wrong (退单).")


class ExtendCase(Strict):
    """延期 (assigned): a department asks with ``days`` and ``reason``; staff decide with ``decision``."""

    action: Literal[Action.EXTEND] = Field(
        description="The action's name: it decides which other fields the body takes.")
    days: int | None = Field(None, ge=1, le=60, description="A department: working days asked for.")
    reason: Reason | None = Field(None, description="A department: why.")
    decision: Literal["approve", "refuse"] | None = Field(None, description="Staff: on the request waiting.")


class ReplyToCase(Strict):
    """答复 (a department, assigned)."""

    action: Literal[Action.REPLY] = Field(
        description="The action's name: it decides which other fields the body takes.")
    text: Text = Field(description="The department's reply (答复).")


class RatingIn(Strict):
    """群众评价: the submitter's (by tracking code), or staff's for a rating taken by phone."""

    rating: Rating = Field(description="satisfied (满意), basically_satisfied (基本满意) or unsatisfied (不满意).")
    comment: Note = Field(None, description="Why, in the rater's words.")

    @model_validator(mode="after")
    def _blank_is_none(self):
        self.comment = self.comment or None
        return self


class RateCase(RatingIn):
    """评价 (staff, a rating taken by phone; answered or replied)."""

    action: Literal[Action.RATE] = Field(description="The action's name: it decides which other fields the body takes.")


class SuperviseCase(Strict):
    """督办 (staff): recorded against the case, in one of the forms of supervision."""

    action: Literal[Action.SUPERVISE] = Field(
        description="The action's name: it decides which other fields the body takes.")
    form: SupervisionForm = Field("督办", description="The form of supervision: 督办, 专题视察, 电视问政, 专项评议 or 协商监督建议书.")
    note: Note = Field(None, description="A note, kept in the history.")


class CloseCase(Strict):
    """办结 (staff)."""

    action: Literal[Action.CLOSE] = Field(
        description="The action's name: it decides which other fields the body takes.")
    reason: Note = Field(None, description="Why it is closed (办结).")


class RuleOnReturn(Strict):
    """退单审核 (staff): on a department's return of this round — upheld, or overruled so that the
    department keeps the case."""

    action: Literal[Action.RULE_RETURN] = Field(
        description="The action's name: it decides which other fields the body takes.")
    department_id: str = Field(..., min_length=1, max_length=64,
                               description="The department (承办单位) whose return is ruled on.")
    ruling: Literal["uphold", "overrule"] = Field(
        description="uphold: the return stands (assign the case anew); overrule: the department keeps it.")
    reason: Reason = Field(description="Why: recorded in the history and told to the department.")
    deadline: Day | None = Field(
        None, description="overrule: the new reply deadline, after today (default: by urgency, in working days).")


OpinionAction = Annotated[
    AnswerOnSpot | AssignCase | RecallCase | EscalateCase | ConvertCase | MergeCase | ReturnCase | RuleOnReturn
    | ExtendCase | ReplyToCase | RateCase | SuperviseCase | CloseCase,
    Field(discriminator="action"),
]


# --- answers -------------------------------------------------------------------------------------


class AssignmentOut(BaseModel):
    department_id: UuidStr = Field(description="The department (承办单位), by id.")
    lead: bool = Field(description="True for the lead unit (主办), false for a co-handling unit (协办).")
    state: str = Field(description="active, replied, returned (退单) or recalled (召回).")
    deadline: date = Field(description="The reply deadline in force (办理答复期限).")
    reply: str | None = Field(description="The department's reply (答复).")
    replied_at: datetime | None = Field(description="When it replied.")
    return_reason: str | None = Field(description="Why it was returned (退单).")
    round: int = Field(description="1, then 2 after an unsatisfied rating reopened the case.")
    return_ruling: Literal["upheld", "overruled"] | None = Field(
        None, description="退单审核: staff upheld the return, or overruled it (the department kept the case).")
    return_ruling_reason: str | None = Field(None, description="Why staff ruled so.")
    return_ruled_at: datetime | None = Field(None, description="When staff ruled.")


class HistoryOut(Acted):
    from_status: str | None = Field(description="The case's state before.")
    to_status: str = Field(description="The case's state after.")
    detail: dict = Field(description="The step's details: the fields the action was taken with.")


class ConvertedTo(BaseModel):
    kind: str = Field(..., examples=["proposal", "topic", "public_opinion_report", "special_report",
                                     "plenary_speech"], description="What it became.")
    id: UuidStr = Field(description="Its id in the service that holds it.")


class OpinionOut(BaseModel):
    id: UuidStr = Field(description="The case's id (群众意见).")
    tracking_code: str | None = Field(None, description="Only to staff handling the case (a caller who lost it);"
                                                        " never to departments.")
    content: str = Field(description="What the submitter said.")
    category: str | None = Field(description="The case's category, the dispatch catalogue's key (派单目录), e.g. 水利.")
    channel: str = Field(
        description="How it came in: online, reception_day, visit, contact_point, hotline or consultation.")
    urgency: str = Field(description="normal, or urgent (急事).")
    org_unit: str = Field(description="Where the matter arises: 12-digit division code.")
    handling_unit: str = Field(description="The unit whose staff triage it now (the unit above, once escalated).")
    first_receiver: str = Field(description="The unit that received it first and stays responsible (首接负责).")
    status: str = Field(
        description="received, escalated, answered, assigned, replied, rated, supervised, converted, merged or closed.")
    member_id: UuidStr | None = Field(description="The member (委员) who took it in.")
    venue_id: UuidStr | None = Field(description="The venue (履职平台) where it was taken in.")
    received_by: UuidStr | None = Field(None, description="The member (委员) who took it in, attested by its own "
                                        "or staff's token (POST /opinions/taken-in); none for a public intake.")
    reception_day_id: UuidStr | None = Field(None, description="The reception day (委员接待日) where it was taken in.")
    activity_id: UuidStr | None = Field(None, description="The liaison activity (履职活动) where it was taken in.")
    sector_id: UuidStr | None = Field(None, description="The sector (界别) whose constituents (界别群众) raised it.")
    people_count: int = Field(description="People behind it: merged cases add up (关注多).")
    merged_into: UuidStr | None = Field(description="The case it was merged into (合并), by id.")
    reopened: bool = Field(description="Reopened once after an unsatisfied rating.")
    deadline: date | None = Field(None, description="The reply deadline in force, or none (see deadline_reason).")
    deadline_reason: str | None = Field(None, description="Why no deadline runs, when none does.",
                                        examples=["converted into a proposal: answered when that is"])
    converted_to: ConvertedTo | None = Field(None, description="What the case became, when converted.")
    answer: str | None = Field(description="The answer on the spot (当场答复), if any.")
    rating: str | None = Field(description="The submitter's rating (群众评价).")
    submitter_name: str | None = Field(None, description="Masked (张*) unless you handle the case.")
    submitter_phone: str | None = Field(None, description="Masked (138****5678) unless you handle the case.")
    created_at: datetime = Field(description="When it was handed in.")
    updated_at: datetime = Field(description="When it last changed.")


class OpinionDetail(OpinionOut):
    assignments: list[AssignmentOut] = Field(description="Its assignments (交办), per department and round.")
    history: list[HistoryOut] = Field(description="Its steps, oldest first.")
    allowed_actions: list[Action] = Field(default_factory=list, description=(
        "The actions the caller may take now (POST .../actions): what the case's state and the caller's "
        "part in it allow — staff of its handling unit, or a department with an open assignment — and what "
        "waits (rule_return: a return without a ruling; staff's extend: a pending request). Empty for "
        "whoever may only read it. The service still decides when the action is sent."))
    location: CaseLocation | None = Field(None, description=(
        "Where an Open311 client said the matter is (lat/long, address_string): to whom sees the submitter in "
        "clear; null otherwise, or when none was given."))


class PublicAnswer(BaseModel):
    kind: Literal["on_the_spot", "department", "conversion"] = Field(
        ..., description="conversion: from what the case became (a proposal's reply, a report's adoption…).")
    text: str = Field(description="The answer.")
    at: datetime | None = Field(description="When it was given.")


class TrackOut(BaseModel):
    """What the submitter sees by tracking code: never anyone's personal data."""

    tracking_code: str = Field(description="The case's tracking code: follow it at GET /api/v1/track/{code} (public).")
    status: str = Field(description="The case's state.")
    created_at: datetime = Field(description="When it was handed in.")
    deadline: date | None = Field(description="The reply deadline in force.")
    deadline_reason: str | None = Field(None, description="Why no deadline runs, when none does.")
    converted_to: str | None = Field(None, description="The kind of what the case became, when converted.")
    merged: bool = Field(False, description="Merged into another case: the answers are that case's.")
    answers: list[PublicAnswer] = Field(description="The answers so far.")
    rating: str | None = Field(description="The rating given, if any.")
    can_rate: bool = Field(description="Whether a rating may be given now.")
    chain: dict = Field(default_factory=dict, description="What became of it (溯源), as GET /opinions/{id}/lineage "
                        "shows it but with nothing personal or internal: steps with their times, the topic's stage, "
                        "sessions, outcomes, proposals (number, reply class, evaluation), reports, department tasks.")
