"""委员履职档案 — a member's performance file for a year: what members knows of its work (with when
it checked in, 扫码签到) and what it learns from the other services' events (opinions taken in and
how they ended, reports, proposals, consultation sessions attended, research). Read by the member
itself, staff of its committee or above, leaders over it and admins; anyone else gets 404, as for
any member outside its scope."""

from __future__ import annotations

from liaison_shared.auth import Principal, Role
from liaison_shared.contracts.consultation import SessionConcluded
from liaison_shared.contracts.feedback import (
    OpinionAnswered,
    OpinionClosed,
    OpinionMerged,
    OpinionRated,
    OpinionReplied,
    OutcomeConverted,
    ProposalAccepted,
    ProposalFiled,
    ProposalReplied,
    ReportAdopted,
    ReportInstructed,
    ReportSubmitted,
)
from liaison_shared.errors import NotFound
from liaison_shared.events import Envelope
from liaison_shared.inbox import EventConsumer
from liaison_shared.uow import UnitOfWork

from ..domain.record import summarise
from ..storage import people as people_storage
from ..storage import record as storage
from ..storage import registry as registry_storage
from .work import compute


def may_read_record(principal: Principal, member) -> bool:
    """The member itself, staff and leaders of its committee's unit or above, admins."""
    return (principal.member_id == member["id"]
            or (principal.role in (Role.STAFF, Role.LEADER) and principal.covers(member["org_unit"]))
            or principal.role is Role.ADMIN)


async def record(conn, principal: Principal, member_id: str, year: int) -> dict:
    member = await people_storage.member(conn, member_id)
    if member is None or not may_read_record(principal, member):
        raise NotFound(f"no member {member_id}")
    activities = [dict(r) for r in await storage.activities_of(conn, member_id, year)]
    days = [dict(r) for r in await storage.reception_days_of(conn, member_id, year)]
    opinions = [dict(r) for r in await storage.opinions_of(conn, member_id, year)]
    reports = [dict(r) for r in await storage.work_of(conn, member_id, "report", year)]
    proposals = [dict(r) for r in await storage.work_of(conn, member_id, "proposal", year)]
    sessions = [dict(r) for r in await storage.work_of(conn, member_id, "session", year)]
    research = [dict(r) for r in await storage.work_of(conn, member_id, "research", year)]
    unit = await registry_storage.org_unit(conn, member["org_unit"])
    score, breakdown, rule_version = None, None, None
    if member["status"] == "active":
        assessed = await compute(conn, member["org_unit"], year)
        mine = next((s for s in assessed["scores"] if s["member_id"] == member_id), None)
        if mine is not None:
            score, breakdown, rule_version = mine["total"], mine["breakdown"], assessed["rule_version"]
    return {
        "member": {"id": member["id"], "name": member["name"], "sector_name": member["sector_name"],
                   "org_unit": member["org_unit"], "org_unit_name": unit["name"] if unit else member["org_unit"]},
        "year": year, "activities": activities, "reception_days": days, "opinions": opinions,
        "reports": reports, "proposals": proposals, "sessions": sessions, "research": research, "score": score,
        "score_breakdown": breakdown, "rule_version": rule_version,
        "summary": summarise(activities, days, opinions, reports, proposals, sessions, research),
    }


# --- what members learns from the other services' events (rebuildable projections) -----------


async def opinion_answered(uow: UnitOfWork, envelope: Envelope, event: OpinionAnswered) -> None:
    await storage.keep_outcome(uow.conn, event.opinion_id, "answered", None, envelope.time)


async def opinion_replied(uow: UnitOfWork, envelope: Envelope, event: OpinionReplied) -> None:
    await storage.keep_outcome(uow.conn, event.opinion_id, "replied", None, envelope.time)


async def opinion_rated(uow: UnitOfWork, envelope: Envelope, event: OpinionRated) -> None:
    step = "supervised" if event.supervised else "reopened" if event.reopened else "rated"
    await storage.keep_outcome(uow.conn, event.opinion_id, step, event.rating, envelope.time)


async def opinion_merged(uow: UnitOfWork, envelope: Envelope, event: OpinionMerged) -> None:
    await storage.keep_outcome(uow.conn, event.opinion_id, "merged", None, envelope.time)


async def opinion_closed(uow: UnitOfWork, envelope: Envelope, event: OpinionClosed) -> None:
    await storage.keep_outcome(uow.conn, event.opinion_id, "closed", event.rating, envelope.time)


async def opinion_converted(uow: UnitOfWork, envelope: Envelope, event: OutcomeConverted) -> None:
    if event.source.kind == "opinion":
        await storage.keep_outcome(uow.conn, event.source.id, f"converted:{event.target.kind}", None, envelope.time)


async def report_submitted(uow: UnitOfWork, envelope: Envelope, event: ReportSubmitted) -> None:
    for member_id in event.member_ids:
        await storage.keep_work(uow.conn, member_id, "report", event.report_id, org_unit=event.org_unit,
                                state="submitted", at=envelope.time,
                                detail={"kind": event.kind, "submitted_to": event.submitted_to})


async def report_adopted(uow: UnitOfWork, envelope: Envelope, event: ReportAdopted) -> None:
    for member_id in event.member_ids:
        await storage.keep_work(uow.conn, member_id, "report", event.report_id, org_unit=event.org_unit,
                                state="adopted", at=envelope.time,
                                detail={"kind": event.kind, "adopted_by": event.adopted_by})


async def report_instructed(uow: UnitOfWork, envelope: Envelope, event: ReportInstructed) -> None:
    for member_id in event.member_ids:
        await storage.keep_work(uow.conn, member_id, "report", event.report_id, org_unit=event.org_unit,
                                state="instructed", at=envelope.time, detail={"instructed_by": event.leader_org})


async def proposal_filed(uow: UnitOfWork, envelope: Envelope, event: ProposalFiled) -> None:
    for member_id in event.proposer_member_ids:
        await storage.keep_work(uow.conn, member_id, "proposal", event.proposal_id, org_unit=event.org_unit,
                                state="filed", at=envelope.time, title=event.title,
                                detail={"number": event.number, "kind": event.kind})


async def proposal_accepted(uow: UnitOfWork, envelope: Envelope, event: ProposalAccepted) -> None:
    for member_id in event.proposer_member_ids:
        await storage.keep_work(uow.conn, member_id, "proposal", event.proposal_id, org_unit=event.org_unit,
                                state="accepted", at=envelope.time, detail={"number": event.number})


async def proposal_replied(uow: UnitOfWork, envelope: Envelope, event: ProposalReplied) -> None:
    for member_id in event.proposer_member_ids:
        await storage.keep_work(uow.conn, member_id, "proposal", event.proposal_id, org_unit=event.org_unit,
                                state="replied", at=envelope.time,
                                detail={"number": event.number, "reply_class": event.reply_class})


async def session_attended(uow: UnitOfWork, envelope: Envelope, event: SessionConcluded) -> None:
    for member_id in event.member_ids:
        await storage.keep_work(uow.conn, member_id, "session", event.session_id, org_unit=event.org_unit,
                                state="attended", at=envelope.time, title=event.title,
                                detail={"topic_id": event.topic_id})


def keep_record_projection(consumer: EventConsumer) -> None:
    for model, handler in (
        (OpinionAnswered, opinion_answered), (OpinionReplied, opinion_replied), (OpinionRated, opinion_rated),
        (OpinionMerged, opinion_merged), (OpinionClosed, opinion_closed), (OutcomeConverted, opinion_converted),
        (ReportSubmitted, report_submitted), (ReportAdopted, report_adopted), (ReportInstructed, report_instructed),
        (ProposalFiled, proposal_filed), (ProposalAccepted, proposal_accepted), (ProposalReplied, proposal_replied),
        (SessionConcluded, session_attended),
    ):
        consumer.on(model, rebuildable=True)(handler)  # type: ignore[arg-type]

