"""HTTP shapes of proposals (提案): drafting, the actions on a proposal, sessions and figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from liaison_shared.contracts.common import OrgCode
from liaison_shared.contracts.feedback import ProposalKind, Rating, ReplyClass
from pydantic import BaseModel, Field, model_validator

from ..domain.proposal import MAX_MONTHS, Action
from .common import Day, Id, Note, Reason, Strict, Text


class ProposalIn(Strict):
    committee: OrgCode = Field(..., description="The city or county CPPCC it is filed with.")
    year: int = Field(..., ge=2000, le=2100, description="The session year.")
    title: str = Field(..., min_length=1, max_length=200)
    body: str = Field(..., min_length=1, max_length=50_000)
    kind: ProposalKind
    proposer_member_id: Id | None = Field(None, description="Staff drafting for a member name it.")
    proposer_name: str | None = Field(None, max_length=100, description="A sector, special committee or party group.")
    co_signers: list[Id] = Field(default_factory=list, max_length=50,
                                 description="联名: members of the same committee who co-sign.")


# --- the actions on a proposal: ``{"action": NAME, ...}``, each with the fields it takes ---------------


class SignProposal(Strict):
    """联名 (a co-signer, draft): confirm the signature."""

    action: Literal[Action.SIGN]


class FileProposal(Strict):
    """提交 (the lead proposer or staff, draft): every co-signer confirmed, within the filing window."""

    action: Literal[Action.FILE]


class AcceptProposal(Strict):
    """立案 (staff, filed)."""

    action: Literal[Action.ACCEPT]


class RejectProposal(Strict):
    """不予立案 (staff, filed): kept as a members' letter, or handled as a new case."""

    action: Literal[Action.REJECT]
    reason: Reason
    turn_into: Literal["members_letter", "opinion"] = "members_letter"


class MergeProposal(Strict):
    """并案 (staff, filed): into another proposal of the committee, every proposer kept."""

    action: Literal[Action.MERGE]
    into: UUID = Field(..., description="Another proposal of the same committee.")


class AssignProposal(Strict):
    """交办 (staff, accepted): to a lead unit (主办) and co-handling units (协办) under the committee."""

    action: Literal[Action.ASSIGN]
    lead_department: Id = Field(..., description="A department under the proposal's committee.")
    co_departments: list[Id] = Field(default_factory=list, max_length=10)


class ReturnProposal(Strict):
    """退回 (a handling department, assigned): within the return window."""

    action: Literal[Action.RETURN]
    reason: Reason


class ExtendProposal(Strict):
    """延期 (staff, assigned): the reply is due within six months of the assignment at most."""

    action: Literal[Action.EXTEND]
    months: int = Field(..., ge=1, le=MAX_MONTHS)
    reason: Note = None


class SendOpinion(Strict):
    """协办意见 (a co-handling department, assigned): its opinion to the lead unit."""

    action: Literal[Action.OPINION]
    text: Text


class ReplyToProposal(Strict):
    """答复 (the lead department, assigned): once every co-handling unit sent its opinion."""

    action: Literal[Action.REPLY]
    reply_class: ReplyClass
    text: Text


class EvaluateReply(Strict):
    """评价 (the proposer, replied): unsatisfied is re-handled once, then supervised."""

    action: Literal[Action.EVALUATE]
    evaluation: Rating


class MarkKey(Strict):
    """重点提案 (a leader)."""

    action: Literal[Action.MARK_KEY]


class ReportProgress(Strict):
    """督办进展 (staff, leaders; key proposals): a progress report or a visit."""

    action: Literal[Action.PROGRESS]
    kind: Literal["report", "visit"]
    text: Text


class CloseProposal(Strict):
    """办结 (staff)."""

    action: Literal[Action.CLOSE]
    reason: Note = None


ProposalAction = Annotated[
    SignProposal | FileProposal | AcceptProposal | RejectProposal | MergeProposal | AssignProposal
    | ReturnProposal | ExtendProposal | SendOpinion | ReplyToProposal | EvaluateReply | MarkKey | ReportProgress
    | CloseProposal,
    Field(discriminator="action"),
]


# --- answers -------------------------------------------------------------------------------------


class Signer(BaseModel):
    member_id: str
    confirmed: bool


class HandlingUnit(BaseModel):
    department_id: str
    lead: bool
    state: str
    return_reason: str | None
    opinion: str | None
    round: int


class HistoryEntry(BaseModel):
    at: datetime
    actor_sub: str
    actor_role: str
    action: str
    from_status: str | None
    to_status: str
    detail: dict


class ProposalOut(BaseModel):
    id: str
    committee: str
    year: int
    number: str | None
    title: str
    body: str
    kind: str
    proposer_member_id: str | None
    proposer_name: str | None
    source: dict | None
    status: str
    not_accepted_reason: str | None
    turned_into: str | None
    merged_into: str | None
    deadline: date | None
    reply_class: str | None
    reply_text: str | None
    evaluation: str | None
    rehandled: bool
    key_proposal: bool
    signers: list[Signer]
    units: list[HandlingUnit] = []
    history: list[HistoryEntry] = []


class SessionIn(Strict):
    filing_opens: Day
    filing_closes: Day = Field(..., description="On or after filing_opens.")

    @model_validator(mode="after")
    def _in_order(self) -> SessionIn:
        if self.filing_closes < self.filing_opens:
            raise ValueError("filing_closes is on or after filing_opens")
        return self


class SessionOut(BaseModel):
    committee: str
    year: int
    filing_opens: date
    filing_closes: date
    last_number: int


class ProposalFigures(BaseModel):
    key: str
    filed: int
    accepted: int
    filing_rate: float | None = Field(None, description="立案率: accepted of filed")
    reply_rate: float | None
    on_time_rate: float | None
    ab_share: float | None = Field(None, description="Share of A and B among replies")
    satisfaction_rate: float | None
