"""Events of the feedback service: opinions, proposals and conversions.

No event carries a citizen's name, phone or address: ``subject_id`` is a pseudonymous id
of the submitter, and ``contact_consented`` tells whether they may be reached.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..events import Event, EventType, Payload
from .common import OrgCode

Rating = Literal["satisfied", "basically_satisfied", "unsatisfied"]
"""A citizen's rating of an answer, and a proposer's evaluation of a reply (满意, 基本满意, 不满意)."""
OutcomeKind = Literal[
    "opinion", "consultation_outcome", "proposal", "public_opinion_report", "special_report",
    "plenary_speech", "topic", "department_task", "party_report",
]


class OutcomeRef(Payload):
    """What something is or became: its kind and id."""

    kind: OutcomeKind
    id: str


Urgency = Literal["normal", "urgent"]
Channel = Literal["online", "reception_day", "visit", "contact_point", "hotline", "consultation"]
ProposalKind = Literal["member", "joint", "sector", "special_committee", "party_group"]
ReplyClass = Literal["A", "B", "C", "D"]
"""答复类别 of a proposal's reply: A solved or adopted … D not possible now, with the reason."""


class OpinionSubmitted(Event):
    """群众意见受理 — an opinion was handed in and has a case."""

    event_type = EventType("feedback", "opinion", "submitted", 1)

    opinion_id: str
    org_unit: OrgCode
    channel: Channel
    category: str | None = None
    urgency: Urgency = "normal"
    member_id: str | None = None
    venue_id: str | None = None
    subject_id: str | None = Field(None, description="Pseudonymous id of the submitter.")
    contact_consented: bool = False
    # Added in issue 20 (optional: v1 readers ignore them, v1 producers leave them out).
    received_by: str | None = Field(None, description="The member (委员) who took it in, as its own or staff's "
                                    "token attests (an opinion taken in); none for a public intake.")
    reception_day_id: str | None = Field(None, description="The reception day (委员接待日) where it was taken in.")
    activity_id: str | None = Field(None, description="The liaison activity (履职活动) where it was taken in.")
    sector_id: str | None = Field(None, description="The sector (界别) whose constituents raised it.")
    # Added in issue 21 (optional, as above). An administrative id of the hotline, not of a person.
    hotline_case_number: str | None = Field(
        None, max_length=64, description="The 12345 hotline's case number (工单号) of a case imported from it: "
        "notify sends the case's status changes back to the hotline under it.", examples=["SZS2026120600123"])


class OpinionAnswered(Event):
    """当场答复 — answered on the spot."""

    event_type = EventType("feedback", "opinion", "answered", 1)

    opinion_id: str
    org_unit: OrgCode
    subject_id: str | None = None


class OpinionAssigned(Event):
    """交办 — sent to departments with a reply deadline."""

    event_type = EventType("feedback", "opinion", "assigned", 1)

    opinion_id: str
    org_unit: OrgCode
    handling_unit: OrgCode
    department_ids: list[str]
    lead_department_id: str
    deadline: str = Field(..., description="YYYY-MM-DD, China time")
    urgency: Urgency = "normal"


class OpinionEscalated(Event):
    """上报 — handed up to a unit above: the parent, or any ancestor chosen in one step."""

    event_type = EventType("feedback", "opinion", "escalated", 1)

    opinion_id: str
    org_unit: OrgCode
    from_unit: OrgCode
    to_unit: OrgCode
    reason: str


class OpinionRecalled(Event):
    """召回 — staff pulled an assignment back from its departments (their access ends with it);
    the case waits for triage at its handling unit again."""

    event_type = EventType("feedback", "opinion", "recalled", 1)

    opinion_id: str
    org_unit: OrgCode
    handling_unit: OrgCode
    department_ids: list[str] = Field(..., description="The departments whose assignment ended.")
    reason: str


class OpinionReturned(Event):
    """退单 — a department returned a wrong assignment."""

    event_type = EventType("feedback", "opinion", "returned", 1)

    opinion_id: str
    org_unit: OrgCode
    handling_unit: OrgCode
    department_id: str
    reason: str


class OpinionReturnRuled(Event):
    """退单审核 — staff ruled on a department's return: upheld (the case is theirs to assign
    again) or overruled (the department keeps the case, with a new deadline)."""

    event_type = EventType("feedback", "opinion", "return_ruled", 1)

    opinion_id: str
    org_unit: OrgCode
    handling_unit: OrgCode
    department_id: str
    ruling: Literal["upheld", "overruled"]
    reason: str
    deadline: str | None = None  # overruled: the reply is due by this day (ISO date)


class OpinionDeadlineExtended(Event):
    """延期 — staff approved a department's request for more time."""

    event_type = EventType("feedback", "opinion", "deadline_extended", 1)

    opinion_id: str
    org_unit: OrgCode
    department_id: str
    deadline: str


class OpinionReplied(Event):
    """已答复 — every department the case went to has answered."""

    event_type = EventType("feedback", "opinion", "replied", 1)

    opinion_id: str
    org_unit: OrgCode
    department_ids: list[str]
    on_time: bool
    subject_id: str | None = None
    contact_consented: bool = False
    source: OutcomeRef | None = Field(
        None, description="Set when the answer came from what the case became (a proposal's reply or "
        "evaluation, a report's adoption or 批示, a consultation outcome's evaluation, its topic closing); "
        "department_ids is then empty.")
    result: str | None = Field(
        None, description="With source: the result, e.g. the reply class A–D, an evaluation, adopted_by, "
        "instructed, an outcome's result (adopted, implemented…), or the topic's final stage.",
        examples=["A", "adopted", "implemented"])
    via_opinion_id: str | None = Field(
        None, description="Set for a merged case: the case it joined, whose answer this is.")


class OpinionOverdue(Event):
    """超期 — the reply deadline passed with departments still to answer."""

    event_type = EventType("feedback", "opinion", "overdue", 1)

    opinion_id: str
    org_unit: OrgCode
    handling_unit: OrgCode
    deadline: str
    department_ids: list[str] = Field(..., description="Departments that have not answered.")
    supervisor_unit: OrgCode | None = Field(None, description="One level up from the handling unit.")


class OpinionSupervised(Event):
    """督办 — supervision recorded against a case."""

    event_type = EventType("feedback", "opinion", "supervised", 1)

    opinion_id: str
    org_unit: OrgCode
    handling_unit: OrgCode
    form: str


class OpinionMerged(Event):
    """合并 — a duplicate was folded into another case; the people behind it add up."""

    event_type = EventType("feedback", "opinion", "merged", 1)

    opinion_id: str
    into: str
    org_unit: OrgCode
    people_count: int


class OpinionClosed(Event):
    """办结 — the case is closed."""

    event_type = EventType("feedback", "opinion", "closed", 1)

    opinion_id: str
    org_unit: OrgCode
    final_status: str
    rating: Rating | None = None


class OpinionRated(Event):
    """群众评价 — the submitter (or staff, for a phone rating) rated the answer."""

    event_type = EventType("feedback", "opinion", "rated", 1)

    opinion_id: str
    org_unit: OrgCode
    rating: Rating
    member_id: str | None = Field(None, description="The member who took the opinion in, if any.")
    reopened: bool = Field(False, description="Unsatisfied for the first time: back to handling.")
    supervised: bool = Field(False, description="Unsatisfied again: now under supervision (督办).")


class SubmitterErased(Event):
    """个人信息删除 (PIPL art. 47) — a submitter's personal data was erased, on request or at the end
    of retention. Every service that kept a copy for a message (notify's SMS records) drops it."""

    event_type = EventType("feedback", "opinion", "submitter_erased", 1)

    opinion_id: str
    org_unit: OrgCode
    subject_id: str = Field(..., description="Pseudonymous id of the erased submitter.")


class ProposalFiled(Event):
    """提交 — a proposal was filed with its number."""

    event_type = EventType("feedback", "proposal", "filed", 1)

    proposal_id: str
    number: str = Field(..., examples=["2026-0001"])
    org_unit: OrgCode
    title: str
    kind: ProposalKind
    proposer_member_ids: list[str] = Field(default_factory=list)


class ProposalAssigned(Event):
    """交办 — sent to a lead unit (主办) and co-handling units (协办) with a deadline."""

    event_type = EventType("feedback", "proposal", "assigned", 1)

    proposal_id: str
    number: str
    org_unit: OrgCode
    lead_department_id: str
    co_department_ids: list[str] = Field(default_factory=list)
    deadline: str


class ProposalReplied(Event):
    """答复 — the lead unit replied, with a result class A–D."""

    event_type = EventType("feedback", "proposal", "replied", 1)

    proposal_id: str
    number: str
    org_unit: OrgCode
    department_id: str
    reply_class: ReplyClass
    on_time: bool
    proposer_member_ids: list[str] = Field(default_factory=list)


class ProposalEvaluated(Event):
    """评价 — the proposer evaluated the reply."""

    event_type = EventType("feedback", "proposal", "evaluated", 1)

    proposal_id: str
    number: str
    org_unit: OrgCode
    evaluation: Rating
    rehandling: bool = False
    supervised: bool = False


class ProposalAccepted(Event):
    """立案 — a proposal passed review and was accepted."""

    event_type = EventType("feedback", "proposal", "accepted", 1)

    proposal_id: str
    number: str = Field(..., examples=["2026-0001"])
    org_unit: OrgCode
    proposer_member_ids: list[str] = Field(default_factory=list)


class Conversion(Event):
    """成果转化, from either side: what a thing was and what it became. It is about its source."""

    source: OutcomeRef
    target: OutcomeRef
    org_unit: OrgCode

    @property
    def subject(self) -> str:
        return self.source.id


class OutcomeConverted(Conversion):
    """成果转化 — an opinion or consultation outcome became a proposal, report or topic."""

    event_type = EventType("feedback", "outcome", "converted", 1)

    member_ids: list[str] = Field(default_factory=list, description="Members credited with it.")
    title: str = Field("", max_length=200, description="Staff's one-line title of what it became.")
    people_count: int = Field(1, ge=1, description="People behind the source (merged cases add up).")
    converted_by_unit: OrgCode | None = Field(
        None, description="The unit that converted it: a topic enters this unit's pool (when absent, the case's).")


ReportKind = Literal["public_opinion_report", "special_report"]
AdoptedBy = Literal["town", "county", "city", "province", "national"]
"""The level that adopted a report (采用): the receiving unit's own (town, county, city) or one above
it whose adoption came back (province, national). town and county were added in issue 20."""


class ReportSubmitted(Event):
    """社情民意信息/政协专报 submitted upward."""

    event_type = EventType("feedback", "report", "submitted", 1)

    report_id: str
    kind: ReportKind
    org_unit: OrgCode
    submitted_to: OrgCode
    case_ids: list[str]
    member_ids: list[str]


class ReportAdopted(Event):
    """采用 — a report was adopted (by the city, the province or the national CPPCC)."""

    event_type = EventType("feedback", "report", "adopted", 1)

    report_id: str
    kind: ReportKind
    org_unit: OrgCode
    adopted_by: AdoptedBy
    case_ids: list[str]
    member_ids: list[str]


class ReportInstructed(Event):
    """批示 — a leader gave an instruction on a report."""

    event_type = EventType("feedback", "report", "instructed", 1)

    report_id: str
    org_unit: OrgCode
    leader_org: OrgCode
    case_ids: list[str]
    member_ids: list[str]
