"""Proposals (提案): drafting, filing, review, assignment, reply, evaluation, supervision."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from liaison_shared import orgunits
from liaison_shared.auth import Principal, Role
from liaison_shared.contracts import feedback as events
from liaison_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from liaison_shared.settings import Settings
from liaison_shared.uow import UnitOfWork

from ..domain import proposal as rules
from ..domain.deadlines import today_in_china
from ..schemas.proposals import (
    AcceptProposal,
    AssignProposal,
    CloseProposal,
    ConsentToDisclosure,
    EvaluateReply,
    ExtendProposal,
    FileProposal,
    MarkKey,
    MergeProposal,
    ProposalAction,
    ProposalIn,
    PublishReply,
    RejectProposal,
    ReplyToProposal,
    ReportProgress,
    ReturnProposal,
    SendOpinion,
    SignProposal,
)
from ..storage import opinions as opinion_storage
from ..storage import proposals as storage
from . import access, conversions
from .casework import Acting, now, require_return_window
from .intake import new_tracking_code


def signer_ids(row) -> list[str]:
    return [s["member_id"] for s in row["signers"]]


def proposer_ids(row) -> list[str]:
    return [s["member_id"] for s in row["signers"] if s["confirmed"]]


def handling_departments(units) -> set[str]:
    """The departments handling a proposal now: the latest round's, less those that returned it
    (a department's access ends with its assignment)."""
    latest = max((u["round"] for u in units), default=0)
    return {u["department_id"] for u in units if u["round"] == latest and u["state"] != "returned"}


def manages_committee(principal: Principal, committee: str) -> bool:
    """Staff of the committee (or above it) and admins run its proposals."""
    return principal.is_staff_over(committee)


def can_read(principal: Principal, row, departments: set[str]) -> bool:
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.MEMBER:
        return principal.member_id in signer_ids(row)
    if principal.role is Role.DEPARTMENT:
        return principal.dept in departments
    return principal.covers(row["committee"])


async def draft(uow: UnitOfWork, principal: Principal, command: ProposalIn, *, source: dict | None = None,
                proposal_id: uuid.UUID | None = None, converted: bool = False) -> dict:
    """A new draft. Its signers sit on its committee; a member drafts only in its own.

    ``converted``: staff converting a case they handle draft it for the committee above them,
    which their own scope does not cover; when the member who took the case in does not sit on
    that committee, the proposals committee (提案委员会) proposes it instead."""
    committee, kind, proposer_name = command.committee, command.kind, command.proposer_name
    if rules.committee_of(committee) != committee:
        raise Unprocessable("proposals belong to a city or county committee")
    lead = command.proposer_member_id
    if principal.role is Role.MEMBER:
        if not await access.sits_on(uow.conn, principal.acting_member_id, committee):
            raise NotFound(f"no committee {committee} in your scope")
        lead = principal.acting_member_id
        if kind not in ("member", "joint"):
            raise Forbidden("a member drafts its own or a joint proposal")
    elif not converted and not manages_committee(principal, committee):
        raise NotFound(f"no committee {committee} in your scope")
    if converted and lead and not await access.sits_on(uow.conn, lead, committee):
        kind, lead, proposer_name = "special_committee", None, "提案委员会"
    if kind in ("member", "joint") and not lead:
        raise Unprocessable("a member's proposal names proposer_member_id")
    if kind in ("sector", "special_committee", "party_group") and not proposer_name:
        raise Unprocessable("a proposal of a sector, special committee or party group names proposer_name")
    co = [m for m in command.co_signers if m != lead]
    if kind == "joint" and not co:
        raise Unprocessable("a joint proposal (联名) has co-signers")
    await access.require_members(uow.conn, [*([lead] if lead else []), *co], lambda seat: seat == committee,
                                 f"of committee {committee}")
    drafted = await storage.insert(uow.conn, {
        "id": proposal_id, "committee": committee, "year": command.year, "title": command.title,
        "body": command.body, "kind": kind, "proposer_member_id": lead, "proposer_name": proposer_name,
        "source": source, "created_by": principal.sub}, co)
    await storage.record(uow.conn, drafted, actor_sub=principal.sub, actor_role=principal.role.value,
                         action="draft", from_status=None, to_status="draft", detail={"source": source})
    return dict(await storage.proposal(uow.conn, drafted))


async def put_session(uow: UnitOfWork, principal: Principal, committee: str, year: int, opens, closes) -> dict:
    if not manages_committee(principal, committee):
        raise NotFound(f"no committee {committee} in your scope")
    if rules.committee_of(committee) != committee:
        raise Unprocessable("sessions belong to a city or county committee")
    return dict(await storage.put_session(uow.conn, committee, year, opens, closes))


def _actor(principal: Principal, row, active: set[str]) -> str:
    if principal.role is Role.MEMBER and principal.member_id in signer_ids(row):
        return "member"
    if principal.role is Role.DEPARTMENT and principal.dept in active:
        return "department"
    if manages_committee(principal, row["committee"]):
        return "staff"
    if principal.role is Role.LEADER and principal.covers(row["committee"]):
        return "leader"
    raise NotFound(f"no proposal {row['id']}")


async def act(uow: UnitOfWork, settings: Settings, principal: Principal, proposal_id: str,
              command: ProposalAction) -> dict:
    row = await storage.proposal(uow.conn, proposal_id, for_update=True)
    if row is None:
        raise NotFound(f"no proposal {proposal_id}")
    units = await storage.units(uow.conn, proposal_id)
    round_ = max((u["round"] for u in units), default=0)
    current = [u for u in units if u["round"] == round_]
    active = {u["department_id"] for u in current if u["state"] == "active"}
    if principal.role is Role.DEPARTMENT and principal.dept not in active and principal.dept in {
        u["department_id"] for u in units
    }:
        raise Conflict("this unit has no open assignment on the proposal", code="illegal_transition")
    actor = _actor(principal, row, active)
    if actor == "member" and not await access.sits_on(uow.conn, principal.acting_member_id, row["committee"]):
        raise NotFound(f"no proposal {proposal_id}")  # it moved to another committee, or left
    action = command.action
    rules.check(action, row["status"], actor)
    status, detail = await ACTIONS[type(command)](uow, Acting(settings, principal, current, round_), row, command)
    if status != row["status"]:
        await storage.update(uow.conn, proposal_id, {"status": status})
    await storage.record(uow.conn, proposal_id, actor_sub=principal.sub, actor_role=principal.role.value,
                         action=action.value, from_status=row["status"], to_status=status, detail=detail)
    return dict(await storage.proposal(uow.conn, proposal_id))


def _ids(row) -> dict:
    return {"proposal_id": row["id"], "org_unit": row["committee"]}


# --- the actions ---------------------------------------------------------------------------------


async def _sign(uow: UnitOfWork, acting: Acting, row, command: SignProposal):
    member_id = acting.principal.acting_member_id
    if not await storage.confirm_signer(uow.conn, row["id"], member_id):
        raise Conflict("already confirmed")
    return "draft", {"member_id": member_id}


async def _file(uow: UnitOfWork, acting: Acting, row, command: FileProposal):
    principal = acting.principal
    if principal.role is Role.MEMBER and principal.member_id != row["proposer_member_id"]:
        raise Forbidden("the lead proposer files the proposal")
    pending = [s["member_id"] for s in row["signers"] if not s["confirmed"]]
    if pending:
        raise Conflict(f"co-signers still to confirm: {', '.join(pending)}")
    session = await storage.session(uow.conn, row["committee"], row["year"], for_update=True)
    if session is None:
        raise Conflict(f"no filing window set for {row['committee']} in {row['year']}")
    if not rules.in_window(today_in_china(), session["filing_opens"], session["filing_closes"]):
        raise Conflict(f"the filing window is {session['filing_opens']} to {session['filing_closes']}")
    number = rules.number(row["year"], await storage.take_number(uow.conn, row["committee"], row["year"]))
    await storage.update(uow.conn, row["id"], {"number": number})
    uow.publish(events.ProposalFiled(**_ids(row), number=number, title=row["title"], kind=row["kind"],
                                     proposer_member_ids=proposer_ids(row)))
    return "filed", {"number": number}


async def _accept(uow: UnitOfWork, acting: Acting, row, command: AcceptProposal):
    uow.publish(events.ProposalAccepted(**_ids(row), number=row["number"], proposer_member_ids=proposer_ids(row)))
    return "accepted", {}


async def _reject(uow: UnitOfWork, acting: Acting, row, command: RejectProposal):
    principal = acting.principal
    detail = {"reason": command.reason, "turned_into": command.turn_into}
    if command.turn_into == "opinion":  # the matter still gets handled, as a case
        case_id = uuid.uuid4()
        await opinion_storage.insert_opinion(uow.conn, {
            "id": case_id, "tracking_code": new_tracking_code(), "content": f"{row['title']}\n{row['body']}",
            "category": "提案转意见", "channel": "visit", "urgency": "normal", "org_unit": row["committee"],
            "member_id": row["proposer_member_id"], "consent": False})
        await opinion_storage.record(uow.conn, str(case_id), actor_sub=principal.sub, actor_role=principal.role.value,
                                     actor_org=principal.org, action="from_proposal", from_status=None,
                                     to_status="received", detail={"proposal": row["id"]})
        uow.publish(events.OpinionSubmitted(opinion_id=str(case_id), org_unit=row["committee"], channel="visit",
                                            category="提案转意见", member_id=row["proposer_member_id"]))
        detail["opinion_id"] = str(case_id)
    await storage.update(uow.conn, row["id"], {"not_accepted_reason": command.reason,
                                               "turned_into": command.turn_into})
    return "not_accepted", detail


async def _merge(uow: UnitOfWork, acting: Acting, row, command: MergeProposal):
    into = await storage.proposal(uow.conn, str(command.into), for_update=True)
    if into is None or into["id"] == row["id"] or into["committee"] != row["committee"]:
        raise Unprocessable("merge names another proposal of the same committee")
    if into["status"] not in ("filed", "accepted", "assigned"):
        raise Conflict(f"proposal {into['id']} is {into['status']}", code="illegal_transition")
    await storage.add_signers(uow.conn, into["id"], proposer_ids(row))  # 并案 keeps every proposer
    await storage.update(uow.conn, row["id"], {"merged_into": into["id"]})
    return "merged", {"into": into["id"]}


async def _assign(uow: UnitOfWork, acting: Acting, row, command: AssignProposal):
    lead = command.lead_department
    co = [d for d in dict.fromkeys(command.co_departments) if d != lead]
    # departments of the committee's own area only: a county's proposal is not another county's work
    within = await storage.departments_within(uow.conn, [lead, *co], orgunits.sql_subtree_pattern(row["committee"]))
    strangers = [d for d in [lead, *co] if d not in within]
    if strangers:
        raise Unprocessable(f"no active department under committee {row['committee']}: {', '.join(strangers)}")
    today = today_in_china()
    deadline = rules.add_months(today, rules.DEFAULT_MONTHS)
    await storage.insert_units(uow.conn, row["id"], lead, co, acting.round + 1)
    await storage.update(uow.conn, row["id"], {"assigned_at": today, "deadline": deadline})
    uow.publish(events.ProposalAssigned(**_ids(row), number=row["number"], lead_department_id=lead,
                                        co_department_ids=co, deadline=deadline.isoformat()))
    return "assigned", {"lead": lead, "co": co, "deadline": deadline.isoformat()}


async def _return(uow: UnitOfWork, acting: Acting, row, command: ReturnProposal):
    department_id = acting.principal.acting_dept
    mine = next(u for u in acting.current if u["department_id"] == department_id)
    await require_return_window(uow.conn, acting.settings, mine["assigned_at"])
    await storage.set_unit(uow.conn, row["id"], department_id, acting.round, state="returned",
                           return_reason=command.reason)
    # the lead unit returning sends the proposal back to staff for a new assignment
    return ("accepted" if mine["lead"] else "assigned"), {"department_id": department_id, "reason": command.reason}


async def _extend(uow: UnitOfWork, acting: Acting, row, command: ExtendProposal):
    if acting.principal.role is Role.DEPARTMENT:
        raise Conflict("ask staff for an extension: they set it with action extend and months")
    deadline = rules.add_months(row["deadline"], command.months)
    latest = rules.add_months(row["assigned_at"], rules.MAX_MONTHS)
    if deadline > latest:
        raise Conflict(f"a proposal is answered within six months: by {latest} at the latest")
    await storage.update(uow.conn, row["id"], {"deadline": deadline})
    return "assigned", {"deadline": deadline.isoformat(), "reason": command.reason}


async def _opinion(uow: UnitOfWork, acting: Acting, row, command: SendOpinion):
    department_id = acting.principal.acting_dept
    mine = next(u for u in acting.current if u["department_id"] == department_id)
    if mine["lead"]:
        raise Conflict("the lead unit replies; co-handling units send it their opinions")
    await storage.set_unit(uow.conn, row["id"], department_id, acting.round, opinion=command.text)
    return "assigned", {"department_id": department_id}


async def _reply(uow: UnitOfWork, acting: Acting, row, command: ReplyToProposal):
    department_id, current = acting.principal.acting_dept, acting.current
    mine = next(u for u in current if u["department_id"] == department_id)
    if not mine["lead"]:
        raise Conflict("co-handling units send their opinion to the lead unit, which replies")
    missing = [u["department_id"] for u in current if not u["lead"] and u["state"] == "active" and not u["opinion"]]
    if missing:
        raise Conflict(f"co-handling units have not sent their opinions yet: {', '.join(missing)}")
    await storage.set_unit(uow.conn, row["id"], department_id, acting.round, state="replied")
    for unit in current:  # 协办: their part ends with the lead unit's reply
        if not unit["lead"] and unit["state"] == "active":
            await storage.set_unit(uow.conn, row["id"], unit["department_id"], acting.round, state="done")
    await storage.update(uow.conn, row["id"], {"reply_class": command.reply_class, "reply_text": command.text,
                                               "replied_at": datetime.now(UTC)})
    uow.publish(events.ProposalReplied(**_ids(row), number=row["number"], reply_class=command.reply_class,
                                       on_time=today_in_china() <= row["deadline"],
                                       proposer_member_ids=proposer_ids(row), department_id=department_id))
    await conversions.proposal_replied(uow, row, command.reply_class, command.text)
    return "replied", {"reply_class": command.reply_class}


async def _evaluate(uow: UnitOfWork, acting: Acting, row, command: EvaluateReply):
    current, evaluation = acting.current, command.evaluation
    status = rules.after_evaluation(evaluation, row["rehandled"])
    changes: dict[str, Any] = {"evaluation": evaluation}
    if status == "assigned":  # re-handled once by the same units, three more months
        lead = next(u["department_id"] for u in current if u["lead"])
        await storage.insert_units(uow.conn, row["id"], lead, [u["department_id"] for u in current if not u["lead"]],
                                   acting.round + 1)
        today = today_in_china()
        changes |= {"rehandled": True, "assigned_at": today, "deadline": rules.add_months(today, rules.DEFAULT_MONTHS),
                    "replied_at": None}
    await storage.update(uow.conn, row["id"], changes)
    uow.publish(events.ProposalEvaluated(**_ids(row), number=row["number"], evaluation=evaluation,
                                         rehandling=status == "assigned", supervised=status == "supervised"))
    await conversions.proposal_evaluated(uow, row, evaluation)
    return status, {"evaluation": evaluation}


async def _mark_key(uow: UnitOfWork, acting: Acting, row, command: MarkKey):
    await storage.update(uow.conn, row["id"], {"key_proposal": True, "key_leader": acting.principal.sub})
    return row["status"], {"leader": acting.principal.sub}


async def _progress(uow: UnitOfWork, acting: Acting, row, command: ReportProgress):
    if not row["key_proposal"]:
        raise Conflict("progress reports and visits are recorded for key proposals (重点提案)")
    return row["status"], {"kind": command.kind, "text": command.text}


async def _close(uow: UnitOfWork, acting: Acting, row, command: CloseProposal):
    return "closed", {"reason": command.reason}


async def _consent(uow: UnitOfWork, acting: Acting, row, command: ConsentToDisclosure):
    """同意公开: one proposer's word on the reply being public. Withdrawn, the reply leaves the
    public at once — a publication stands only on every proposer's consent."""
    member_id = acting.principal.acting_member_id
    await storage.set_disclosure_consent(uow.conn, row["id"], member_id, command.consent)
    if not command.consent and row["reply_published_at"] is not None:
        await storage.update(uow.conn, row["id"], {"reply_published_at": None})
    return row["status"], {"member_id": member_id, "consent": command.consent}


async def _publish(uow: UnitOfWork, acting: Acting, row, command: PublishReply):
    """公开答复: staff make the reply public, once every member proposer agreed (a sector's,
    committee's or party group's proposal is the body's own, and staff speak for it)."""
    if command.public:
        if row["reply_text"] is None:
            raise Conflict("there is no reply to publish", code="illegal_transition")
        waiting = [s["member_id"] for s in row["signers"] if s["confirmed"] and not s["disclosure_consented"]]
        if waiting:
            raise Conflict(f"{len(waiting)} proposer(s) have not agreed to the reply being public "
                           "(action consent_disclosure)", code="illegal_transition")
    await storage.update(uow.conn, row["id"], {"reply_published_at": now() if command.public else None})
    return row["status"], {"public": command.public}


ACTIONS: dict[type, Callable[..., Awaitable[tuple[str, dict]]]] = {
    SignProposal: _sign, FileProposal: _file, AcceptProposal: _accept, RejectProposal: _reject,
    MergeProposal: _merge, AssignProposal: _assign, ReturnProposal: _return, ExtendProposal: _extend,
    SendOpinion: _opinion, ReplyToProposal: _reply, EvaluateReply: _evaluate, MarkKey: _mark_key,
    ReportProgress: _progress, CloseProposal: _close, ConsentToDisclosure: _consent, PublishReply: _publish,
}
