"""Events of other services that the feedback service acts on, or keeps a copy of.

A consumed event is a command from another service, not from a person: it is checked as a
request would be — departments within reach of the case's unit, members that exist — and acted
on as the sending service (a ``service`` principal), never as staff with a subtree's rights.
What does not pass is kept for staff to triage, with the reason in the case's history.
"""

from __future__ import annotations

import uuid
from datetime import date

from liaison_shared.auth import Principal, Role
from liaison_shared.contracts import feedback as events
from liaison_shared.contracts.consultation import (
    ConsultationOutcomeConverted,
    OpinionRaised,
    TopicApproved,
    TopicClosed,
    TopicProposed,
)
from liaison_shared.contracts.members import VenueChanged
from liaison_shared.db import as_uuid
from liaison_shared.errors import ApiError
from liaison_shared.events import Envelope
from liaison_shared.settings import get_settings
from liaison_shared.uow import UnitOfWork
from pydantic import ValidationError

from ..domain.deadlines import today_in_china
from ..domain.opinion import Action, short_title
from ..domain.proposal import committee_of
from ..schemas.opinions import AnswerOnSpot, AssignCase, EscalateCase, OpinionAction
from ..schemas.reports import ReportIn
from ..storage import opinions as storage
from ..storage import proposals as proposal_storage
from ..storage import reports as report_storage
from . import access, actions, intake, reports
from .casework import default_deadline
from .intake import new_tracking_code


async def take_consultation_outcome(uow: UnitOfWork, envelope: Envelope, event: ConsultationOutcomeConverted) -> None:
    """Consultation outcomes that feedback carries on: department tasks, proposals and
    public-opinion reports (a party report stays with consultation, where its 批示 is kept)."""
    # members credited by what follows must exist and serve the outcome's unit
    event = event.model_copy(update={"member_ids": await _serving(uow.conn, event.member_ids, event.org_unit)})
    if event.target.kind == "department_task" and event.department_ids:
        await track_department_task(uow, envelope, event)
    elif event.target.kind == "proposal":
        await draft_proposal(uow, envelope, event)
    elif (event.target.kind == "public_opinion_report" and as_uuid(event.target.id) is not None
          and await report_storage.report(uow.conn, event.target.id) is None):
        composer = Principal(sub=envelope.source, role=Role.STAFF, org=event.org_unit)
        await reports.compose(uow, composer, ReportIn(
            kind="public_opinion_report", title=event.title.strip() or "协商成果", body=event.title,
            org_unit=event.org_unit, member_ids=event.member_ids,
        ), report_id=as_uuid(event.target.id))


async def draft_proposal(uow: UnitOfWork, envelope: Envelope, event: ConsultationOutcomeConverted) -> None:
    """A consultation outcome to be carried as a proposal: a draft with the source linked, filed
    with the nearest committee, proposed by the members named or by the proposals committee."""
    if as_uuid(event.target.id) is None or await proposal_storage.proposal(uow.conn, event.target.id) is not None:
        return
    committee = committee_of(event.org_unit)
    lead = event.member_ids[0] if event.member_ids else None
    # a short title (the first sentence), the outcome's whole text as the body; the proposer named
    proposer_name = await proposal_storage.member_name(uow.conn, lead) if lead else "提案委员会"
    proposal_id = await proposal_storage.insert(uow.conn, {
        "id": as_uuid(event.target.id), "committee": committee, "year": today_in_china().year,
        "title": short_title(event.title) if event.title.strip() else "协商成果转提案",
        "body": event.title or "", "kind": "joint" if len(event.member_ids) > 1
        else "member" if lead else "special_committee", "proposer_member_id": lead,
        "proposer_name": proposer_name, "source": event.source.model_dump(),
        "created_by": envelope.source,
    }, event.member_ids[1:])
    await proposal_storage.record(uow.conn, proposal_id, actor_sub=envelope.source, actor_role="consultation",
                                  action="draft", from_status=None, to_status="draft",
                                  detail={"source": event.source.model_dump()})


async def track_department_task(uow: UnitOfWork, envelope: Envelope, event: ConsultationOutcomeConverted) -> None:
    """A consultation outcome that became a department task is tracked as a case of channel
    ``consultation``, assigned to those departments with the agreed deadline, so it is replied
    to, chased when overdue and counted like every other case."""
    case_id = as_uuid(event.target.id) or uuid.uuid4()
    if await storage.opinion(uow.conn, str(case_id)) is not None:
        return
    await storage.insert_opinion(uow.conn, {
        "id": case_id, "tracking_code": new_tracking_code(), "content": event.title or "协商成果交办事项",
        "category": "协商成果", "channel": "consultation", "urgency": "normal", "org_unit": event.org_unit,
        "consent": False,
    })
    refused = await access.departments_out_of_reach(uow.conn, event.department_ids, event.org_unit)
    if refused:
        await _left_for_triage(uow, str(case_id), envelope, event.org_unit,
                               {"source": event.source.model_dump(), "refused_department_ids": refused})
        return
    deadline = date.fromisoformat(event.deadline) if event.deadline else None
    if deadline is None:
        deadline = (await default_deadline(uow.conn, uow.settings or get_settings(), "normal")).due
    await storage.insert_assignments(uow.conn, str(case_id), event.department_ids, event.department_ids[0],
                                     deadline, 1)
    await storage.update_opinion(uow.conn, str(case_id), {"status": "assigned", "deadline": deadline})
    await storage.record(uow.conn, str(case_id), actor_sub=envelope.source, actor_role="consultation",
                         actor_org=event.org_unit, action="department_task", from_status=None,
                         to_status="assigned", detail={"source": event.source.model_dump(),
                                                       "department_ids": event.department_ids})
    uow.publish(events.OpinionAssigned(
        opinion_id=str(case_id), org_unit=event.org_unit, handling_unit=event.org_unit,
        department_ids=event.department_ids, lead_department_id=event.department_ids[0],
        deadline=deadline.isoformat()))


async def take_session_opinion(uow: UnitOfWork, envelope: Envelope, event: OpinionRaised) -> None:
    """An opinion a resident raised in a consultation session becomes a case of channel
    ``consultation`` — then, as the session decided, answered on the spot, sent to
    departments with a deadline, or reported upward, under the same rules as any case."""
    if as_uuid(event.opinion_id) is None or await storage.opinion(uow.conn, event.opinion_id) is not None:
        return
    settings = uow.settings or get_settings()
    await intake.submit(uow, settings, {
        "content": event.content, "org_unit": event.org_unit, "channel": "consultation",
        "category": event.category, "urgency": event.urgency, "member_id": event.member_id, "consent": False,
    }, opinion_id=as_uuid(event.opinion_id), received_by="consultation")
    try:
        command = _decided(event)
    except ValidationError as refusal:  # e.g. a deadline no calendar holds: staff decide
        await _left_for_triage(uow, event.opinion_id, envelope, event.org_unit,
                               {"session_id": event.session_id, "refused": event.disposition,
                                "reason": _first_error(refusal)})
        return
    if command is None:
        return
    session = Principal(sub=f"consultation:{event.session_id}", role=Role.SERVICE, org=event.org_unit)
    if event.disposition == "assigned":
        refused = await access.departments_out_of_reach(uow.conn, event.department_ids, event.org_unit)
        if refused:
            await _left_for_triage(uow, event.opinion_id, envelope, event.org_unit,
                                   {"session_id": event.session_id, "refused_department_ids": refused})
            return
    published = len(uow.pending_events)
    try:
        async with uow.conn.transaction():  # a savepoint: a refused action leaves the case itself
            await actions.act_for_session(uow, settings, session, event.opinion_id, command)
    except ApiError as refusal:  # e.g. a deadline already past, no catalogue rule: staff decide
        if len(uow.pending_events) != published:
            raise  # the savepoint cannot take back an event: fail the message as a whole
        await _left_for_triage(uow, event.opinion_id, envelope, event.org_unit,
                               {"session_id": event.session_id, "refused": event.disposition,
                                "reason": refusal.message})


def _decided(event: OpinionRaised) -> OpinionAction | None:
    """What the session decided, as the action it is; None when the case waits for triage."""
    if event.disposition == "answered":
        return AnswerOnSpot(action=Action.ANSWER_ON_SPOT, text=event.answer or "已在协商会上当场答复")
    if event.disposition == "assigned":
        return AssignCase(action=Action.ASSIGN, department_ids=event.department_ids, deadline=event.deadline)
    if event.disposition == "escalated":
        return EscalateCase(action=Action.ESCALATE, reason="协商会上提出，报上级处理")
    return None


def _first_error(error: ValidationError) -> str:
    """Where and why, as a 422 says it: never the value (someone's words may be in it)."""
    first = error.errors()[0]
    return f"{'.'.join(str(part) for part in first['loc'])}: {first['msg']}"


async def _left_for_triage(uow: UnitOfWork, case_id: str, envelope: Envelope, org_unit: str, detail: dict) -> None:
    """A consumed command that did not pass (departments out of the case's reach, a refused
    action): the case waits at its unit for staff, and its history says what was refused."""
    await storage.record(uow.conn, case_id, actor_sub=envelope.source, actor_role="consultation",
                         actor_org=org_unit, action="left_for_triage", from_status="received",
                         to_status="received", detail=detail)


async def keep_topic(uow: UnitOfWork, envelope: Envelope, event: TopicProposed | TopicApproved | TopicClosed) -> None:
    """Where each topic of the pool is (a raise or a hand-down moves it): conversions are checked
    against it."""
    await storage.upsert_topic(uow.conn, event.topic_id, event.org_unit, envelope.time)


async def keep_venue(uow: UnitOfWork, envelope: Envelope, event: VenueChanged) -> None:
    await storage.upsert_venue(uow.conn, event.id, event.org_unit, event.active, envelope.time)


async def _serving(conn, member_ids: list[str], org_unit: str) -> list[str]:
    units = {m: await storage.member_unit(conn, m) for m in dict.fromkeys(member_ids)}
    return [m for m, unit in units.items() if unit is not None and access.on_the_line(unit, org_unit)]

