"""Triage actions on a case (docs/api.md): each checks the state machine, changes the case,
records who did what and why in its history, and publishes what happened."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from liaison_shared import orgunits
from liaison_shared.auth import Principal, Role
from liaison_shared.contracts import feedback as events
from liaison_shared.contracts.feedback import Rating
from liaison_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from liaison_shared.settings import Settings
from liaison_shared.uow import UnitOfWork

from ..domain import opinion as rules
from ..domain.deadlines import today_in_china
from ..domain.opinion import Action, Actor, Status, short_title
from ..domain.proposal import committee_of
from ..schemas.opinions import (
    AnswerOnSpot,
    AssignCase,
    CloseCase,
    ConvertCase,
    EscalateCase,
    ExtendCase,
    MergeCase,
    OpinionAction,
    RateCase,
    RecallCase,
    ReplyToCase,
    ReturnCase,
    RuleOnReturn,
    SuperviseCase,
)
from ..schemas.proposals import ProposalIn
from ..schemas.reports import ReportIn
from ..storage import opinions as storage
from . import access, conversions, proposals, reports
from .casework import (
    Acting,
    default_deadline,
    now,
    require_return_window,
    settle_deadline,
    subject_of,
    working_days_after,
)
from .catalogue import dispatch_proposal


def actor_of(principal: Principal, case, active_departments: set[str]) -> Actor:
    """Who the caller is to this case — or 404 when the case is not theirs to see."""
    if principal.role in (Role.STAFF, Role.ADMIN) and access.handles(principal, case):
        return Actor.STAFF
    if principal.role is Role.DEPARTMENT and principal.dept in active_departments:
        return Actor.DEPARTMENT
    if access.can_read(principal, case, active_departments):
        raise Forbidden("you may read this case but not act on it")
    raise NotFound(f"no opinion {case['id']}")


async def allowed_actions(conn, principal: Principal, case, assignments) -> list[Action]:
    """What ``act`` would let this caller try now (the console shows only these): the state
    machine's rules for the caller's part in the case, and what waits — a return without a
    ruling (rule_return), an extension request (staff decide it; a department asks once)."""
    round_ = await storage.current_round(conn, case["id"])
    current = [a for a in assignments if a["round"] == round_]
    active = {a["department_id"] for a in current if a["state"] == "active"}
    try:
        actor = actor_of(principal, case, {a["department_id"] for a in current} | active)
    except (Forbidden, NotFound):
        return []
    if actor is Actor.DEPARTMENT and principal.dept not in active:
        return []
    found = rules.allowed(Status(case["status"]), actor)
    if Action.RULE_RETURN in found and not any(a["state"] == "returned" and a["return_ruling"] is None
                                               for a in current):
        found.remove(Action.RULE_RETURN)
    if Action.EXTEND in found:
        waiting = await storage.pending_extension(
            conn, case["id"], principal.dept if actor is Actor.DEPARTMENT else None)
        if (waiting is None) == (actor is Actor.STAFF):
            found.remove(Action.EXTEND)
    return found


async def act(uow: UnitOfWork, settings: Settings, principal: Principal, opinion_id: str,
              command: OpinionAction) -> dict:
    case, current, round_ = await _locked(uow, opinion_id)
    active = {a["department_id"] for a in current if a["state"] == "active"}
    actor = actor_of(principal, case, {a["department_id"] for a in current} | active)
    if actor is Actor.DEPARTMENT and principal.dept not in active:
        raise Conflict("this department has no open assignment on the case", code="illegal_transition")
    return await _apply(uow, Acting(settings, principal, current, round_), actor, case, command)


async def act_for_session(uow: UnitOfWork, settings: Settings, session: Principal, opinion_id: str,
                          command: OpinionAction) -> dict:
    """What a consultation session decided for a case it raised (a consumed command), taken as
    the session itself: a ``service`` principal, so the state machine is staff's but the reach is
    the case's own line — nobody's scope widens it — and the history names the session."""
    if session.role is not Role.SERVICE:
        raise ValueError("a session acts with a service principal, never as staff")
    case, current, round_ = await _locked(uow, opinion_id)
    return await _apply(uow, Acting(settings, session, current, round_), Actor.STAFF, case, command)


async def _locked(uow: UnitOfWork, opinion_id: str):
    case = await storage.opinion(uow.conn, opinion_id, for_update=True)
    if case is None:
        raise NotFound(f"no opinion {opinion_id}")
    round_ = await storage.current_round(uow.conn, opinion_id)
    current = [a for a in await storage.assignments(uow.conn, opinion_id) if a["round"] == round_]
    return case, current, round_


async def _apply(uow: UnitOfWork, acting: Acting, actor: Actor, case, command: OpinionAction) -> dict:
    opinion_id, action = case["id"], command.action
    rules.check(action, Status(case["status"]), actor)
    new_status, detail = await ACTIONS[type(command)](uow, acting, case, command)
    if actor is Actor.STAFF and action != Action.ESCALATE and case["first_receiver"] != case["handling_unit"]:
        # 首接负责: the unit below stayed responsible until this level took the case up.
        await storage.update_opinion(uow.conn, opinion_id, {"first_receiver": case["handling_unit"]})
        detail = {**detail, "accepted_by": case["handling_unit"]}
    await storage.update_opinion(uow.conn, opinion_id, {"status": new_status.value} | (
        {"closed_at": now()} if new_status is Status.CLOSED else {}
    ))
    await settle_deadline(uow.conn, opinion_id)
    await storage.record(uow.conn, opinion_id, **acting.principal.actor, action=action.value,
                         from_status=case["status"], to_status=new_status.value, detail=detail)
    return dict(await storage.opinion(uow.conn, opinion_id))


# --- the actions ---------------------------------------------------------------------------------


async def answer_on_spot(uow: UnitOfWork, acting: Acting, case, command: AnswerOnSpot):
    await storage.update_opinion(uow.conn, case["id"], {"answer": command.text})
    uow.publish(events.OpinionAnswered(opinion_id=case["id"], org_unit=case["org_unit"],
                                       subject_id=subject_of(case)))
    await conversions.tell_merged(uow, case)
    return Status.ANSWERED, {"text": command.text}


async def assign(uow: UnitOfWork, acting: Acting, case, command: AssignCase):
    department_ids = list(dict.fromkeys(command.department_ids))
    proposal = None
    if not department_ids:  # confirm what the dispatch catalogue proposes
        proposal = await dispatch_proposal(uow.conn, case)
        if proposal is None:
            raise Unprocessable("assign needs department_ids: the dispatch catalogue has no rule for this case")
        department_ids = [proposal["lead_department"], *proposal["co_departments"]]
    await access.require_reachable(uow.conn, department_ids, case["handling_unit"], acting.principal)
    calendar_known = True
    deadline = command.deadline
    if deadline is None:
        computed = await default_deadline(uow.conn, acting.settings, case["urgency"])
        deadline, calendar_known = computed.due, computed.calendar_known
    if deadline <= today_in_china():
        raise Unprocessable("the deadline must be after today")
    lead = department_ids[0]
    await storage.insert_assignments(uow.conn, case["id"], department_ids, lead, deadline, acting.round + 1)
    await storage.update_opinion(uow.conn, case["id"], {"deadline": deadline})
    uow.publish(events.OpinionAssigned(
        opinion_id=case["id"], org_unit=case["org_unit"], handling_unit=case["handling_unit"],
        department_ids=department_ids, lead_department_id=lead, deadline=deadline.isoformat(),
        urgency=case["urgency"]))
    detail = {"department_ids": department_ids, "deadline": deadline.isoformat()}
    if proposal:
        detail["dispatch_rule"] = proposal["rule_id"]
    if not calendar_known:
        detail["warning"] = "no official calendar for this period: counted Monday to Friday"
    return Status.ASSIGNED, detail


async def recall(uow: UnitOfWork, acting: Acting, case, command: RecallCase):
    """召回: staff pull the assignment back (a wrong department, a case to escalate); the
    departments are told, and their access to the submitter ends with the assignment."""
    active = [a["department_id"] for a in acting.current if a["state"] == "active"]
    for department_id in active:
        await storage.set_assignment(uow.conn, case["id"], department_id, acting.round, state="recalled",
                                     return_reason=command.reason)
    uow.publish(events.OpinionRecalled(opinion_id=case["id"], org_unit=case["org_unit"],
                                       handling_unit=case["handling_unit"], department_ids=active,
                                       reason=command.reason))
    return Status.RECEIVED, {"department_ids": active, "reason": command.reason}


async def escalate(uow: UnitOfWork, acting: Acting, case, command: EscalateCase):
    """上报: to the parent, or in one step to any unit above the handling unit (``to_unit``)."""
    above = orgunits.ancestors_of(case["handling_unit"])
    if not above:
        raise Conflict("the city is the top level: there is nowhere to escalate to", code="illegal_transition")
    to_unit = command.to_unit or above[0]
    if to_unit not in above:
        raise Unprocessable(f"to_unit is a unit above the handling unit {case['handling_unit']}: "
                            f"one of {', '.join(above)}")
    await storage.update_opinion(uow.conn, case["id"], {"handling_unit": to_unit})
    uow.publish(events.OpinionEscalated(opinion_id=case["id"], org_unit=case["org_unit"],
                                        from_unit=case["handling_unit"], to_unit=to_unit, reason=command.reason))
    return Status.ESCALATED, {"from": case["handling_unit"], "to": to_unit, "reason": command.reason}


async def convert(uow: UnitOfWork, acting: Acting, case, command: ConvertCase):
    principal, target = acting.principal, command.target
    target_id = uuid.uuid4()
    if target == "topic" and command.topic_id:
        # linked to a topic already in the pool: it counts the people behind this case too
        target_id = command.topic_id
        topic_unit = await storage.topic_unit(uow.conn, str(target_id))
        if topic_unit is None:
            raise Unprocessable(f"no topic {target_id} in the pool: link a known topic, or leave topic_id out")
        if not principal.may_manage(topic_unit):
            raise NotFound(f"no topic {target_id} in your scope")
    title = command.title or f"群众意见：{case['category'] or '未分类'}"
    if target in ("public_opinion_report", "special_report"):
        # the draft report exists at once, with this case as its source
        await reports.compose(uow, principal, ReportIn(
            kind=target, title=short_title(case["content"]), body=case["content"], org_unit=case["handling_unit"],
            case_ids=[case["id"]], member_ids=[case["member_id"]] if case["member_id"] else [],
        ), report_id=target_id)
    if target == "plenary_speech":
        # a 大会发言 draft of the committee above the case, with this case as its source
        await storage.insert_plenary_speech(uow.conn, {
            "id": target_id, "org_unit": committee_of(case["handling_unit"]),
            "title": short_title(case["content"]), "body": case["content"], "source_kind": "opinion",
            "source_id": case["id"], "member_id": case["member_id"], "created_by": principal.sub})
    if target == "proposal":
        # a draft filed with the nearest committee, the source linked; the member who took the
        # opinion in is its proposer, else the committee's proposals committee (提案委员会)
        await proposals.draft(uow, principal, ProposalIn(
            committee=committee_of(case["handling_unit"]), year=today_in_china().year,
            title=short_title(case["content"]), body=case["content"],
            kind="member" if case["member_id"] else "special_committee", proposer_member_id=case["member_id"],
            proposer_name=None if case["member_id"] else "提案委员会",
        ), source={"kind": "opinion", "id": case["id"]}, proposal_id=target_id, converted=True)
    converted_to = {"kind": target, "id": str(target_id)}
    await storage.update_opinion(uow.conn, case["id"], {"converted_to": converted_to})
    uow.publish(events.OutcomeConverted(
        source=events.OutcomeRef(kind="opinion", id=case["id"]),
        target=events.OutcomeRef(kind=target, id=str(target_id)), org_unit=case["org_unit"],
        member_ids=[case["member_id"]] if case["member_id"] else [], title=title,
        people_count=case["people_count"],
        # the topic belongs to the unit that converts it (a county's conversion is the county's topic)
        converted_by_unit=principal.org if principal.role is Role.STAFF else case["handling_unit"]))
    return Status.CONVERTED, {"target": converted_to}


async def merge(uow: UnitOfWork, acting: Acting, case, command: MergeCase):
    into_id = str(command.into)
    if into_id == case["id"]:
        raise Unprocessable("a case cannot be merged into itself")
    into = await storage.opinion(uow.conn, into_id, for_update=True)
    if into is None or not acting.principal.may_manage(into["handling_unit"]):
        raise Unprocessable(f"no open case {into_id} in your scope to merge into")
    if into["status"] in (Status.MERGED.value, Status.CLOSED.value):
        raise Conflict(f"case {into_id} is {into['status']}", code="illegal_transition")
    people = into["people_count"] + case["people_count"]
    await storage.update_opinion(uow.conn, into_id, {"people_count": people})
    await storage.update_opinion(uow.conn, case["id"], {"merged_into": command.into})
    await storage.record(uow.conn, into_id, **acting.principal.actor, action="merged_in",
                         from_status=into["status"], to_status=into["status"],
                         detail={"from": case["id"], "people_count": people})
    uow.publish(events.OpinionMerged(opinion_id=case["id"], into=into_id, org_unit=case["org_unit"],
                                     people_count=people))
    return Status.MERGED, {"into": into_id, "people_count": people}


async def return_(uow: UnitOfWork, acting: Acting, case, command: ReturnCase):
    department_id = acting.principal.acting_dept
    mine = next(a for a in acting.current if a["department_id"] == department_id)
    await require_return_window(uow.conn, acting.settings, mine["assigned_at"])
    await storage.set_assignment(uow.conn, case["id"], department_id, acting.round, state="returned",
                                 return_reason=command.reason)
    uow.publish(events.OpinionReturned(opinion_id=case["id"], org_unit=case["org_unit"],
                                       handling_unit=case["handling_unit"], department_id=department_id,
                                       reason=command.reason))
    status = await _after_department_change(uow, case, acting.round)
    return status, {"department_id": department_id, "reason": command.reason}


async def rule_return(uow: UnitOfWork, acting: Acting, case, command: RuleOnReturn):
    """退单审核: a return staff disagree with is overruled — the department keeps the case, with a
    deadline — or upheld, and staff assign it anew. Both stay on the assignment for the figures."""
    returned = next((a for a in acting.current if a["department_id"] == command.department_id
                     and a["state"] == "returned" and a["return_ruling"] is None), None)
    if returned is None:
        raise Conflict(f"no return of this round by {command.department_id} waits for a ruling",
                       code="illegal_transition")
    ruling = "upheld" if command.ruling == "uphold" else "overruled"
    changes: dict[str, Any] = {"return_ruling": ruling, "return_ruling_reason": command.reason,
                               "return_ruled_at": now()}
    deadline = None
    if ruling == "overruled":
        deadline = command.deadline or (await default_deadline(uow.conn, acting.settings, case["urgency"])).due
        if deadline <= today_in_china():
            raise Unprocessable("the deadline must be after today")
        changes |= {"state": "active", "deadline": deadline}
    elif command.deadline is not None:
        raise Unprocessable("deadline goes with overrule only: an upheld return leaves the case to assign anew")
    await storage.set_assignment(uow.conn, case["id"], command.department_id, acting.round, **changes)
    uow.publish(events.OpinionReturnRuled(
        opinion_id=case["id"], org_unit=case["org_unit"], handling_unit=case["handling_unit"],
        department_id=command.department_id, ruling=ruling, reason=command.reason,
        deadline=deadline.isoformat() if deadline else None))
    status = Status.ASSIGNED if ruling == "overruled" else Status(case["status"])
    return status, {"department_id": command.department_id, "ruling": ruling, "reason": command.reason,
                    **({"deadline": deadline.isoformat()} if deadline else {})}


async def extend(uow: UnitOfWork, acting: Acting, case, command: ExtendCase):
    principal = acting.principal
    if principal.role is Role.DEPARTMENT:
        # a department asks, with days and a reason; staff decide
        if command.days is None:
            raise Unprocessable("days is a whole number of working days from 1 to 60")
        if command.reason is None:
            raise Unprocessable("reason is required")
        if await storage.pending_extension(uow.conn, case["id"], principal.acting_dept):
            raise Conflict("an extension request is already waiting for a decision")
        request_id = await storage.insert_extension(uow.conn, case["id"], principal.acting_dept, command.days,
                                                    command.reason)
        return Status.ASSIGNED, {"request": request_id, "days": command.days, "reason": command.reason}
    if command.decision is None:
        raise Unprocessable("staff answer an extension request with decision approve or refuse")
    pending = await storage.pending_extension(uow.conn, case["id"])
    if pending is None:
        raise Conflict("no extension request is waiting", code="illegal_transition")
    approved = command.decision == "approve"
    await storage.decide_extension(uow.conn, pending["id"], "approved" if approved else "refused", principal.sub)
    detail = {"request": pending["id"], "decision": command.decision}
    if approved:
        mine = next(a for a in acting.current if a["department_id"] == pending["department_id"])
        deadline = (await working_days_after(uow.conn, mine["deadline"], pending["days"])).due
        await storage.set_assignment(uow.conn, case["id"], pending["department_id"], acting.round,
                                     deadline=deadline)
        await storage.update_opinion(uow.conn, case["id"], {"deadline": max(deadline, case["deadline"])})
        uow.publish(events.OpinionDeadlineExtended(opinion_id=case["id"], org_unit=case["org_unit"],
                                                   department_id=pending["department_id"],
                                                   deadline=deadline.isoformat()))
        detail["deadline"] = deadline.isoformat()
    return Status.ASSIGNED, detail


async def reply(uow: UnitOfWork, acting: Acting, case, command: ReplyToCase):
    department_id = acting.principal.acting_dept
    await storage.set_assignment(uow.conn, case["id"], department_id, acting.round, state="replied",
                                 reply=command.text, replied_at=now())
    status = await _after_department_change(uow, case, acting.round)
    if status is Status.REPLIED:
        done = [a for a in await storage.assignments(uow.conn, case["id"]) if a["round"] == acting.round]
        replied = [a for a in done if a["state"] == "replied"]
        on_time = all(a["replied_at"].date() <= a["deadline"] for a in replied)
        uow.publish(events.OpinionReplied(
            opinion_id=case["id"], org_unit=case["org_unit"], department_ids=[a["department_id"] for a in replied],
            on_time=on_time, subject_id=subject_of(case), contact_consented=case["subject_id"] is not None))
        await conversions.tell_merged(uow, case)
    return status, {"department_id": department_id, "text": command.text}


async def rate(uow: UnitOfWork, acting: Acting, case, command: RateCase):
    return await _apply_rating(uow, acting.settings, case, command.rating, command.comment, acting.round,
                               acting.current)


async def supervise(uow: UnitOfWork, acting: Acting, case, command: SuperviseCase):
    await storage.insert_supervision(uow.conn, case["id"], command.form, command.note, acting.principal.sub)
    uow.publish(events.OpinionSupervised(opinion_id=case["id"], org_unit=case["org_unit"],
                                         handling_unit=case["handling_unit"], form=command.form))
    return Status(case["status"]), {"form": command.form, "note": command.note}


async def close(uow: UnitOfWork, acting: Acting, case, command: CloseCase):
    uow.publish(events.OpinionClosed(opinion_id=case["id"], org_unit=case["org_unit"],
                                     final_status=case["status"], rating=case["rating"]))
    return Status.CLOSED, {"reason": command.reason}


ACTIONS: dict[type, Callable[..., Awaitable[tuple[Status, dict]]]] = {
    AnswerOnSpot: answer_on_spot, AssignCase: assign, RecallCase: recall, EscalateCase: escalate,
    ConvertCase: convert, MergeCase: merge, ReturnCase: return_, RuleOnReturn: rule_return, ExtendCase: extend,
    ReplyToCase: reply,
    RateCase: rate, SuperviseCase: supervise, CloseCase: close,
}


# --- the submitter's rating, by tracking code ------------------------------------------------------


async def rate_by_code(uow: UnitOfWork, settings: Settings, code: str, rating: Rating, comment: str | None) -> dict:
    """The submitter's own rating, by tracking code (public)."""
    case = await storage.opinion_by_code(uow.conn, code, for_update=True)
    if case is None:
        raise NotFound("no case with this tracking code")
    if case["status"] == Status.MERGED.value:
        return await _rate_merged(uow, case, rating, comment)
    rules.check(Action.RATE, Status(case["status"]), Actor.PUBLIC)
    round_ = await storage.current_round(uow.conn, case["id"])
    current = [a for a in await storage.assignments(uow.conn, case["id"]) if a["round"] == round_]
    status, detail = await _apply_rating(uow, settings, case, rating, comment, round_, current)
    await storage.update_opinion(uow.conn, case["id"], {"status": status.value})
    await settle_deadline(uow.conn, case["id"])
    await storage.record(uow.conn, case["id"], actor_sub="public", actor_role="public", actor_org=None,
                         action=Action.RATE.value, from_status=case["status"], to_status=status.value, detail=detail)
    return dict(await storage.opinion(uow.conn, case["id"]))


async def _rate_merged(uow: UnitOfWork, case, rating: Rating, comment: str | None) -> dict:
    """合并: the citizen of a merged case rates the answer of the case it joined, once; not satisfied
    puts it under supervision (督办) — the case it joined is handled by then."""
    joined = await storage.opinion(uow.conn, await storage.merged_into_chain(uow.conn, case["id"]))
    answered = joined["answer"] or any(a["reply"] for a in await storage.assignments(uow.conn, joined["id"])) \
        or await storage.conversion_answers(uow.conn, joined["id"])
    if not answered or case["rating"] is not None:
        raise Conflict("the case this one was merged into has no answer to rate yet" if not answered
                       else "this answer was rated already", code="illegal_transition")
    status = rules.after_rating(rating, True, False)
    await storage.update_opinion(uow.conn, case["id"], {"rating": rating, "rating_comment": comment or None,
                                                        "status": status.value})
    uow.publish(events.OpinionRated(opinion_id=case["id"], org_unit=case["org_unit"], rating=rating,
                                    member_id=case["member_id"], supervised=status is Status.SUPERVISED))
    await storage.record(uow.conn, case["id"], actor_sub="public", actor_role="public", actor_org=None,
                         action=Action.RATE.value, from_status=case["status"], to_status=status.value,
                         detail={"rating": rating, "comment": comment, "answer_of": joined["id"]})
    return dict(await storage.opinion(uow.conn, case["id"]))


async def _apply_rating(uow: UnitOfWork, settings: Settings, case, rating: Rating, comment: str | None, round_: int,
                        current) -> tuple[Status, dict]:
    had_departments = bool(current)
    reopened_before = case["reopened"]
    if case["converted_to"] is not None:
        # what it became answered it: not satisfied is for supervision (督办), not for its old departments
        had_departments, reopened_before = False, True
    status = rules.after_rating(rating, reopened_before, had_departments)
    changes: dict[str, Any] = {"rating": rating, "rating_comment": (comment or None)}
    if status is Status.ASSIGNED:  # reopened once: back to the same departments, a new deadline
        deadline = (await default_deadline(uow.conn, settings, case["urgency"])).due
        departments = [a["department_id"] for a in current if a["state"] == "replied"] or \
            [a["department_id"] for a in current]
        lead = next((a["department_id"] for a in current if a["lead"]), departments[0])
        await storage.insert_assignments(uow.conn, case["id"], departments, lead, deadline, round_ + 1)
        changes |= {"reopened": True, "deadline": deadline}
    elif status is Status.RECEIVED:
        changes |= {"reopened": True}
    await storage.update_opinion(uow.conn, case["id"], changes)
    uow.publish(events.OpinionRated(
        opinion_id=case["id"], org_unit=case["org_unit"], rating=rating, member_id=case["member_id"],
        reopened=status in (Status.ASSIGNED, Status.RECEIVED), supervised=status is Status.SUPERVISED))
    return status, {"rating": rating, "comment": comment}


async def _after_department_change(uow: UnitOfWork, case, round_: int) -> Status:
    current = [a for a in await storage.assignments(uow.conn, case["id"]) if a["round"] == round_]
    active = sum(1 for a in current if a["state"] == "active")
    replied = sum(1 for a in current if a["state"] == "replied")
    return rules.after_department_change(active, replied)
