"""HTTP shapes of proposals (提案): drafting, the actions on a proposal, sessions and figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from liaison_shared.contracts.common import OrgCode
from liaison_shared.contracts.feedback import ProposalKind, Rating, ReplyClass
from liaison_shared.openapi import UuidStr
from pydantic import BaseModel, Field, model_validator

from ..domain.proposal import MAX_MONTHS, Action
from .common import Day, Id, Note, Reason, Strict, Text


class ProposalIn(Strict):
    committee: OrgCode = Field(..., description="The city or county CPPCC it is filed with.")
    year: int = Field(..., ge=2000, le=2100, description="The session year.")
    title: str = Field(..., min_length=1, max_length=200, description="The proposal's title (提案).")
    body: str = Field(..., min_length=1, max_length=50_000, description="The proposal's text.")
    kind: ProposalKind = Field(
        description="Who proposes: member, joint (联名), sector (界别), special_committee (专委会) or party_group (党派团体).")
    proposer_member_id: Id | None = Field(None, description="Staff drafting for a member name it.")
    proposer_name: str | None = Field(None, max_length=100, description="A sector, special committee or party group.")
    co_signers: list[Id] = Field(default_factory=list, max_length=50,
                                 description="联名: members of the same committee who co-sign.")


# --- the actions on a proposal: ``{"action": NAME, ...}``, each with the fields it takes ---------------


class SignProposal(Strict):
    """联名 (a co-signer, draft): confirm the signature."""

    action: Literal[Action.SIGN] = Field(description="The action's name: it decides which other fields the body takes.")


class FileProposal(Strict):
    """提交 (the lead proposer or staff, draft): every co-signer confirmed, within the filing window."""

    action: Literal[Action.FILE] = Field(description="The action's name: it decides which other fields the body takes.")


class AcceptProposal(Strict):
    """立案 (staff, filed)."""

    action: Literal[Action.ACCEPT] = Field(
        description="The action's name: it decides which other fields the body takes.")


class RejectProposal(Strict):
    """不予立案 (staff, filed): kept as a members' letter, or handled as a new case."""

    action: Literal[Action.REJECT] = Field(
        description="The action's name: it decides which other fields the body takes.")
    reason: Reason = Field(description="Why it is not accepted (不予立案).")
    turn_into: Literal["members_letter", "opinion"] = Field("members_letter",
        description="Kept as a members' letter (members_letter), or handled as a new case (opinion).")


class MergeProposal(Strict):
    """并案 (staff, filed): into another proposal of the committee, every proposer kept."""

    action: Literal[Action.MERGE] = Field(
        description="The action's name: it decides which other fields the body takes.")
    into: UUID = Field(..., description="Another proposal of the same committee.")


class AssignProposal(Strict):
    """交办 (staff, accepted): to a lead unit (主办) and co-handling units (协办) under the committee."""

    action: Literal[Action.ASSIGN] = Field(
        description="The action's name: it decides which other fields the body takes.")
    lead_department: Id = Field(..., description="A department under the proposal's committee.")
    co_departments: list[Id] = Field(default_factory=list, max_length=10,
        description="Co-handling departments (协办单位), by id.")


class ReturnProposal(Strict):
    """退回 (a handling department, assigned): within the return window."""

    action: Literal[Action.RETURN] = Field(
        description="The action's name: it decides which other fields the body takes.")
    reason: Reason = Field(description="Why the assignment is wrong (退回).")


class ExtendProposal(Strict):
    """延期 (staff, assigned): the reply is due within six months of the assignment at most."""

    action: Literal[Action.EXTEND] = Field(
        description="The action's name: it decides which other fields the body takes.")
    months: int = Field(..., ge=1, le=MAX_MONTHS, description="Months more; six from the assignment at most.")
    reason: Note = Field(None, description="Why (延期).")


class SendOpinion(Strict):
    """协办意见 (a co-handling department, assigned): its opinion to the lead unit."""

    action: Literal[Action.OPINION] = Field(
        description="The action's name: it decides which other fields the body takes.")
    text: Text = Field(description="The co-handling unit's opinion (协办意见).")


class ReplyToProposal(Strict):
    """答复 (the lead department, assigned): once every co-handling unit sent its opinion."""

    action: Literal[Action.REPLY] = Field(
        description="The action's name: it decides which other fields the body takes.")
    reply_class: ReplyClass = Field(
        description="A solved or adopted, B being solved, C planned or for reference, D not possible now.")
    text: Text = Field(description="The reply (答复).")


class EvaluateReply(Strict):
    """评价 (the proposer, replied): unsatisfied is re-handled once, then supervised."""

    action: Literal[Action.EVALUATE] = Field(
        description="The action's name: it decides which other fields the body takes.")
    evaluation: Rating = Field(description="satisfied (满意), basically_satisfied (基本满意) or unsatisfied (不满意).")


class MarkKey(Strict):
    """重点提案 (a leader)."""

    action: Literal[Action.MARK_KEY] = Field(
        description="The action's name: it decides which other fields the body takes.")


class ReportProgress(Strict):
    """督办进展 (staff, leaders; key proposals): a progress report or a visit."""

    action: Literal[Action.PROGRESS] = Field(
        description="The action's name: it decides which other fields the body takes.")
    kind: Literal["report", "visit"] = Field(description="A progress report or a visit.")
    text: Text = Field(description="What was done.")


class CloseProposal(Strict):
    """办结 (staff)."""

    action: Literal[Action.CLOSE] = Field(
        description="The action's name: it decides which other fields the body takes.")
    reason: Note = Field(None, description="Why it is closed (办结).")


class ConsentToDisclosure(Strict):
    """同意公开 (a proposer): whether the reply may be made public; withdrawing it unpublishes it."""

    action: Literal[Action.CONSENT] = Field(
        description="The action's name: it decides which other fields the body takes.")
    consent: bool = Field(True, description="true agrees to the reply being public; false withdraws that.")


class PublishReply(Strict):
    """公开答复 (staff, once replied): the reply readable without login, if every member proposer agreed."""

    action: Literal[Action.PUBLISH] = Field(
        description="The action's name: it decides which other fields the body takes.")
    public: bool = Field(True, description="true publishes the reply; false withdraws it from the public.")


ProposalAction = Annotated[
    SignProposal | FileProposal | AcceptProposal | RejectProposal | MergeProposal | AssignProposal
    | ReturnProposal | ExtendProposal | SendOpinion | ReplyToProposal | EvaluateReply | MarkKey | ReportProgress
    | CloseProposal | ConsentToDisclosure | PublishReply,
    Field(discriminator="action"),
]


# --- answers -------------------------------------------------------------------------------------


class Signer(BaseModel):
    member_id: UuidStr = Field(description="A proposer (联名), by id.")
    confirmed: bool = Field(description="Whether the member confirmed the signature.")
    disclosure_consented: bool = Field(False, description="Whether the member agreed to the reply being public (同意公开).")


class HandlingUnit(BaseModel):
    department_id: UuidStr = Field(description="The handling unit (承办单位), by id.")
    lead: bool = Field(description="True for the lead unit (主办), false for a co-handling unit (协办).")
    state: str = Field(description="active, replied, returned (退回) or done (the lead unit replied for all).")
    return_reason: str | None = Field(description="Why it was returned (退回).")
    opinion: str | None = Field(description="A co-handling unit's opinion (协办意见).")
    round: int = Field(description="1, then 2 when an unsatisfied reply is re-handled.")


class HistoryEntry(BaseModel):
    at: datetime = Field(description="When it happened.")
    actor_sub: str = Field(description="Who did it: the token's sub.")
    actor_role: str = Field(description="In which role: member, staff, department, leader, admin or service.")
    action: str = Field(description="The action taken.")
    from_status: str | None = Field(description="The state before.")
    to_status: str = Field(description="The state after.")
    detail: dict = Field(description="The step's details: the fields the action was taken with.")


class ProposalOut(BaseModel):
    id: UuidStr = Field(description="The proposal's id (提案).")
    committee: str = Field(description="The committee it is filed with: division code.")
    year: int = Field(description="The session year.")
    number: str | None = Field(description="Its number once filed, e.g. 2026-0001.")
    title: str = Field(description="The proposal's title.")
    body: str = Field(description="The proposal's text.")
    kind: str = Field(description="member, joint (联名), sector, special_committee or party_group.")
    proposer_member_id: UuidStr | None = Field(description="The lead proposer (member kinds), by id.")
    proposer_name: str | None = Field(description="A sector, special committee or party group.")
    source: dict | None = Field(description="What it was converted from (转化): kind and id.")
    status: str = Field(
        description="The proposal's state: draft, filed, accepted (立案), assigned (交办), replied (答复), evaluated, closed (办结)…")
    not_accepted_reason: str | None = Field(description="Why it was not accepted (不予立案).")
    turned_into: str | None = Field(description="members_letter or opinion, when not accepted.")
    merged_into: UuidStr | None = Field(description="The proposal it was merged into (并案), by id.")
    deadline: date | None = Field(description="The reply deadline.")
    reply_class: str | None = Field(description="The reply's class: A, B, C or D.")
    reply_text: str | None = Field(description="The lead unit's reply (答复).")
    evaluation: str | None = Field(description="The proposer's evaluation of the reply.")
    rehandled: bool = Field(description="Re-handled once after an unsatisfied evaluation.")
    key_proposal: bool = Field(description="A key proposal (重点提案).")
    reply_published_at: datetime | None = Field(None, description="When the reply was made public (公开); null while not.")
    signers: list[Signer] = Field(description="The proposers who sign (联名).")
    units: list[HandlingUnit] = Field([], description="The handling units: the lead (主办) and co-handling units (协办).")
    history: list[HistoryEntry] = Field([], description="Its steps, oldest first.")


class PublicProposal(BaseModel):
    """A proposal's reply as the public reads it (公开), published with its proposers' consent."""

    id: UuidStr = Field(description="The proposal's id (提案).")
    committee: str = Field(description="The committee it was filed with: division code.")
    year: int = Field(description="The session year.")
    number: str | None = Field(description="Its number, e.g. 2026-0001.")
    title: str = Field(description="The proposal's title.")
    kind: str = Field(description="member, joint (联名), sector, special_committee or party_group.")
    proposers: list[str] = Field(description="Who proposed it: the members' names, or the sector's or group's.")
    reply_class: str | None = Field(description="The reply's class: A, B, C or D.")
    reply_text: str | None = Field(description="The lead unit's reply (答复).")
    replied_at: datetime | None = Field(description="When it was replied.")
    reply_published_at: datetime = Field(description="When the reply was made public (公开).")


class SessionIn(Strict):
    filing_opens: Day = Field(description="The first day of the filing window.")
    filing_closes: Day = Field(..., description="On or after filing_opens.")

    @model_validator(mode="after")
    def _in_order(self) -> SessionIn:
        if self.filing_closes < self.filing_opens:
            raise ValueError("filing_closes is on or after filing_opens")
        return self


class SessionOut(BaseModel):
    committee: str = Field(description="The committee: division code.")
    year: int = Field(description="The session year.")
    filing_opens: date = Field(description="The first day of the filing window.")
    filing_closes: date = Field(description="The last day of the filing window.")
    last_number: int = Field(description="The last number given out this year.")


class ProposalFigures(BaseModel):
    key: str = Field(description="The group's key.")
    filed: int = Field(description="Proposals filed.")
    accepted: int = Field(description="Proposals accepted (立案).")
    filing_rate: float | None = Field(None, description="立案率: accepted of filed")
    reply_rate: float | None = Field(description="答复率: replied among those assigned; null with none.")
    on_time_rate: float | None = Field(
        description="按时率: replies within the deadline among the replies and the assigned proposals past "
                    "their deadline with no reply yet; null with none.")
    ab_share: float | None = Field(None, description="Share of A and B among replies")
    satisfaction_rate: float | None = Field(
        description="满意率: satisfied and basically satisfied among the evaluations; null with none.")
