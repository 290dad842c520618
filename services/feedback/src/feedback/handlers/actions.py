"""Triage actions on a case (docs/api.md): each checks the state machine, changes the case,
records who did what and why in its history, and publishes what happened."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from liaison_shared import orgunits
from liaison_shared.auth import Principal, Role
from liaison_shared.contracts import feedback as events
from liaison_shared.db import UnitOfWork
from liaison_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from liaison_shared.settings import Settings

from ..domain import opinion as rules
from ..domain.deadlines import add_working_days, today_in_china
from ..domain.opinion import Actor, Status
from ..schemas.opinions import ActionIn
from ..storage import opinions as storage
from . import access, conversions

CONVERSION_TARGETS = {"proposal", "public_opinion_report", "special_report", "plenary_speech", "topic"}
SUPERVISION_FORMS = {"督办", "专题视察", "电视问政", "专项评议", "协商监督建议书"}


def actor_of(principal: Principal, case, active_departments: set[str]) -> Actor:
    """Who the caller is to this case — or 404 when the case is not theirs to see."""
    if principal.role in (Role.STAFF, Role.ADMIN) and access.handles(principal, case):
        return Actor.STAFF
    if principal.role is Role.DEPARTMENT and principal.dept in active_departments:
        return Actor.DEPARTMENT
    if access.can_read(principal, case, active_departments):
        raise Forbidden("you may read this case but not act on it")
    raise NotFound(f"no opinion {case['id']}")


async def working_days_after(conn, start: date, days: int):
    """A deadline on the official calendar, with the schedules staff entered taken first."""
    overrides = await storage.calendar_overrides(conn, start, start + timedelta(days=days * 3 + 40))
    return add_working_days(start, days, overrides)


async def default_deadline(conn, settings: Settings, urgency: str):
    days = settings.deadline_urgent_days if urgency == "urgent" else settings.deadline_normal_days
    return await working_days_after(conn, today_in_china(), days)


async def dispatch_proposal(conn, case) -> dict | None:
    """What the dispatch catalogue proposes for a case: staff confirm or change it."""
    units = [case["org_unit"], *orgunits.ancestors_of(case["org_unit"])]
    rule = await storage.matching_rule(conn, case["category"], units)
    if rule is None:
        return None
    return {"rule_id": rule["id"], "lead_department": rule["lead_department"],
            "co_departments": list(rule["co_departments"]), "org_unit": rule["org_unit"]}


async def act(uow: UnitOfWork, settings: Settings, principal: Principal, opinion_id: str, body: dict) -> dict:
    case, current, round_ = await _locked(uow, opinion_id)
    active = {a["department_id"] for a in current if a["state"] == "active"}
    actor = actor_of(principal, case, {a["department_id"] for a in current} | active)
    if actor is Actor.DEPARTMENT and principal.dept not in active:
        raise Conflict("this department has no open assignment on the case", code="illegal_transition")
    return await _apply(uow, settings, principal, actor, case, body, current, round_)


async def act_for_session(uow: UnitOfWork, settings: Settings, session: Principal, opinion_id: str,
                          body: dict) -> dict:
    """What a consultation session decided for a case it raised (a consumed command), taken as
    the session itself: a ``service`` principal, so the state machine is staff's but the reach is
    the case's own line — nobody's scope widens it — and the history names the session."""
    if session.role is not Role.SERVICE:
        raise ValueError("a session acts with a service principal, never as staff")
    case, current, round_ = await _locked(uow, opinion_id)
    return await _apply(uow, settings, session, Actor.STAFF, case, body, current, round_)


async def _locked(uow: UnitOfWork, opinion_id: str):
    case = await storage.opinion(uow.conn, opinion_id, for_update=True)
    if case is None:
        raise NotFound(f"no opinion {opinion_id}")
    round_ = await storage.current_round(uow.conn, opinion_id)
    current = [a for a in await storage.assignments(uow.conn, opinion_id) if a["round"] == round_]
    return case, current, round_


async def _apply(uow, settings, principal, actor, case, body, current, round_) -> dict:
    opinion_id, action = case["id"], body["action"]
    rules.check(action, Status(case["status"]), actor)
    handler = ACTIONS[action]
    new_status, detail = await handler(uow, settings, principal, case, body, current, round_)
    if actor is Actor.STAFF and action != "escalate" and case["first_receiver"] != case["handling_unit"]:
        # 首接负责: the unit below stayed responsible until this level took the case up.
        await storage.update_opinion(uow.conn, opinion_id, {"first_receiver": case["handling_unit"]})
        detail = {**detail, "accepted_by": case["handling_unit"]}
    await storage.update_opinion(uow.conn, opinion_id, {"status": new_status.value} | (
        {"closed_at": _now()} if new_status is Status.CLOSED else {}
    ))
    await settle_deadline(uow.conn, opinion_id)
    await storage.record(uow.conn, opinion_id, **principal.actor, action=action,
                         from_status=case["status"], to_status=new_status.value, detail=detail)
    return dict(await storage.opinion(uow.conn, opinion_id))


async def settle_deadline(conn, opinion_id: str) -> None:
    """Every change of a case leaves the deadline in force on it (or none): a return, a recall, an
    escalation or a conversion ends the one that ran before."""
    case = await storage.opinion(conn, opinion_id)
    round_ = await storage.current_round(conn, opinion_id)
    active = [a["deadline"] for a in await storage.assignments(conn, opinion_id)
              if a["round"] == round_ and a["state"] == "active"]
    deadline, _ = rules.deadline_in_force(Status(case["status"]), case["converted_to"], active)
    if deadline != case["deadline"]:
        await storage.update_opinion(conn, opinion_id, {"deadline": deadline})


def _now() -> datetime:
    return datetime.now(UTC)



# --- the actions ---------------------------------------------------------------------------------


async def answer_on_spot(uow, settings, principal, case, body, current, round_):
    text = required_text(body, "text")
    await storage.update_opinion(uow.conn, case["id"], {"answer": text})
    uow.publish(events.OpinionAnswered(opinion_id=case["id"], org_unit=case["org_unit"],
                                       subject_id=_subject(case)))
    await conversions.tell_merged(uow, case)
    return Status.ANSWERED, {"text": text}


async def assign(uow, settings, principal, case, body, current, round_):
    department_ids = list(dict.fromkeys(body.get("department_ids") or []))
    proposal = None
    if not department_ids:  # confirm what the dispatch catalogue proposes
        proposal = await dispatch_proposal(uow.conn, case)
        if proposal is None:
            raise Unprocessable("assign needs department_ids: the dispatch catalogue has no rule for this case")
        department_ids = [proposal["lead_department"], *proposal["co_departments"]]
    await access.require_reachable(uow.conn, department_ids, case["handling_unit"], principal)
    calendar_known = True
    deadline = deadline_from(body)
    if deadline is None:
        computed = await default_deadline(uow.conn, settings, case["urgency"])
        deadline, calendar_known = computed.due, computed.calendar_known
    if deadline <= today_in_china():
        raise Unprocessable("the deadline must be after today")
    lead = department_ids[0]
    await storage.insert_assignments(uow.conn, case["id"], department_ids, lead, deadline, round_ + 1)
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


async def recall(uow, settings, principal, case, body, current, round_):
    """召回: staff pull the assignment back (a wrong department, a case to escalate); the
    departments are told, and their access to the submitter ends with the assignment."""
    reason = required_text(body, "reason")
    active = [a["department_id"] for a in current if a["state"] == "active"]
    for department_id in active:
        await storage.set_assignment(uow.conn, case["id"], department_id, round_, state="recalled",
                                     return_reason=reason)
    uow.publish(events.OpinionRecalled(opinion_id=case["id"], org_unit=case["org_unit"],
                                       handling_unit=case["handling_unit"], department_ids=active, reason=reason))
    return Status.RECEIVED, {"department_ids": active, "reason": reason}


async def escalate(uow, settings, principal, case, body, current, round_):
    """上报: to the parent, or in one step to any unit above the handling unit (``to_unit``)."""
    reason = required_text(body, "reason")
    above = orgunits.ancestors_of(case["handling_unit"])
    if not above:
        raise Conflict("the city is the top level: there is nowhere to escalate to", code="illegal_transition")
    to_unit = body.get("to_unit") or above[0]
    if to_unit not in above:
        raise Unprocessable(f"to_unit is a unit above the handling unit {case['handling_unit']}: "
                            f"one of {', '.join(above)}")
    await storage.update_opinion(uow.conn, case["id"], {"handling_unit": to_unit})
    uow.publish(events.OpinionEscalated(opinion_id=case["id"], org_unit=case["org_unit"],
                                        from_unit=case["handling_unit"], to_unit=to_unit, reason=reason))
    return Status.ESCALATED, {"from": case["handling_unit"], "to": to_unit, "reason": reason}


async def convert(uow, settings, principal, case, body, current, round_):
    target = body.get("target")
    if target not in CONVERSION_TARGETS:
        raise Unprocessable(f"target is one of {', '.join(sorted(CONVERSION_TARGETS))}")
    target_id = str(uuid.uuid4())
    if target == "topic" and body.get("topic_id"):
        # linked to a topic already in the pool: it counts the people behind this case too
        target_id = str(body["topic_id"])
        try:
            uuid.UUID(target_id)
        except ValueError:
            raise Unprocessable("topic_id is a topic's id (a UUID)") from None
        topic_unit = await storage.topic_unit(uow.conn, target_id)
        if topic_unit is None:
            raise Unprocessable(f"no topic {target_id} in the pool: link a known topic, or leave topic_id out")
        if not principal.may_manage(topic_unit):
            raise NotFound(f"no topic {target_id} in your scope")
    title = str(body.get("title") or "").strip()[:200] or f"群众意见：{case['category'] or '未分类'}"
    if target in ("public_opinion_report", "special_report"):
        # the draft report exists at once, with this case as its source
        from . import reports

        await reports.compose(uow, principal, {
            "kind": target, "title": short_title(case["content"]), "body": case["content"],
            "org_unit": case["handling_unit"], "case_ids": [case["id"]],
            "member_ids": [case["member_id"]] if case["member_id"] else [],
        }, report_id=uuid.UUID(target_id))
    if target == "plenary_speech":
        # a 大会发言 draft of the committee above the case, with this case as its source
        await storage.insert_plenary_speech(uow.conn, {
            "id": uuid.UUID(target_id), "org_unit": _committee_of(case["handling_unit"]),
            "title": short_title(case["content"]), "body": case["content"], "source_kind": "opinion",
            "source_id": case["id"], "member_id": case["member_id"], "created_by": principal.sub})
    if target == "proposal":
        # a draft filed with the nearest committee, the source linked; the member who took the
        # opinion in is its proposer, else the committee's proposals committee (提案委员会)
        from . import proposals

        committee = _committee_of(case["handling_unit"])
        await proposals.draft(uow, principal, {
            "committee": committee, "year": today_in_china().year, "title": short_title(case["content"]),
            "body": case["content"], "kind": "member" if case["member_id"] else "special_committee",
            "proposer_member_id": case["member_id"], "proposer_name": None if case["member_id"] else "提案委员会",
        }, source={"kind": "opinion", "id": case["id"]}, proposal_id=uuid.UUID(target_id), converted=True)
    await storage.update_opinion(uow.conn, case["id"], {"converted_to": {"kind": target, "id": target_id}})
    uow.publish(events.OutcomeConverted(
        source=events.OutcomeRef(kind="opinion", id=case["id"]),
        target=events.OutcomeRef(kind=target, id=target_id), org_unit=case["org_unit"],
        member_ids=[case["member_id"]] if case["member_id"] else [], title=title,
        people_count=case["people_count"],
        # the topic belongs to the unit that converts it (a county's conversion is the county's topic)
        converted_by_unit=principal.org if principal.role is Role.STAFF else case["handling_unit"]))
    return Status.CONVERTED, {"target": {"kind": target, "id": target_id}}


def _committee_of(unit: str) -> str:
    """The nearest committee (a county's or the city's) at or above a unit."""
    return next(u for u in [unit, *orgunits.ancestors_of(unit)] if orgunits.level_of(u).value in ("city", "county"))


def short_title(text: str, limit: int = 40) -> str:
    """A title from a text: its first sentence, at most ``limit`` characters (…when cut)."""
    first = text.strip()
    for stop in "。！？!?\n；;":
        first = first.split(stop, 1)[0]
    first = first.strip() or text.strip()
    return first if len(first) <= limit else first[: limit - 1] + "…"


async def merge(uow, settings, principal, case, body, current, round_):
    into_id = str(body.get("into") or "")
    if into_id == case["id"]:
        raise Unprocessable("a case cannot be merged into itself")
    into = await storage.opinion(uow.conn, into_id, for_update=True)
    if into is None or not principal.may_manage(into["handling_unit"]):
        raise Unprocessable(f"no open case {into_id} in your scope to merge into")
    if into["status"] in (Status.MERGED.value, Status.CLOSED.value):
        raise Conflict(f"case {into_id} is {into['status']}", code="illegal_transition")
    people = into["people_count"] + case["people_count"]
    await storage.update_opinion(uow.conn, into_id, {"people_count": people})
    await storage.update_opinion(uow.conn, case["id"], {"merged_into": uuid.UUID(into_id)})
    await storage.record(uow.conn, into_id, **principal.actor, action="merged_in",
                         from_status=into["status"], to_status=into["status"],
                         detail={"from": case["id"], "people_count": people})
    uow.publish(events.OpinionMerged(opinion_id=case["id"], into=into_id, org_unit=case["org_unit"],
                                     people_count=people))
    return Status.MERGED, {"into": into_id, "people_count": people}


async def return_(uow, settings, principal, case, body, current, round_):
    reason = required_text(body, "reason")
    mine = next(a for a in current if a["department_id"] == principal.dept)
    window_end = (await working_days_after(uow.conn, mine["assigned_at"].date(), settings.return_window_days)).due
    if today_in_china() > window_end:
        raise Conflict(f"the return window closed on {window_end.isoformat()}", code="illegal_transition")
    await storage.set_assignment(uow.conn, case["id"], principal.dept, round_, state="returned",
                                 return_reason=reason)
    uow.publish(events.OpinionReturned(opinion_id=case["id"], org_unit=case["org_unit"],
                                       handling_unit=case["handling_unit"], department_id=principal.dept,
                                       reason=reason))
    return await _after_department_change(uow, case, round_), {"department_id": principal.dept, "reason": reason}


async def extend(uow, settings, principal, case, body, current, round_):
    if principal.role is Role.DEPARTMENT:
        days = body.get("days")
        if not isinstance(days, int) or not 1 <= days <= 60:
            raise Unprocessable("days is a whole number of working days from 1 to 60")
        if await storage.pending_extension(uow.conn, case["id"], principal.dept):
            raise Conflict("an extension request is already waiting for a decision")
        request_id = await storage.insert_extension(uow.conn, case["id"], principal.dept, days, required_text(body, "reason"))
        return Status.ASSIGNED, {"request": request_id, "days": days, "reason": body["reason"]}
    decision = body.get("decision")
    if decision not in ("approve", "refuse"):
        raise Unprocessable("staff answer an extension request with decision approve or refuse")
    pending = await storage.pending_extension(uow.conn, case["id"])
    if pending is None:
        raise Conflict("no extension request is waiting", code="illegal_transition")
    await storage.decide_extension(uow.conn, pending["id"], "approved" if decision == "approve" else "refused",
                                   principal.sub)
    detail = {"request": pending["id"], "decision": decision}
    if decision == "approve":
        mine = next(a for a in current if a["department_id"] == pending["department_id"])
        deadline = (await working_days_after(uow.conn, mine["deadline"], pending["days"])).due
        await storage.set_assignment(uow.conn, case["id"], pending["department_id"], round_, deadline=deadline)
        await storage.update_opinion(uow.conn, case["id"], {"deadline": max(deadline, case["deadline"])})
        uow.publish(events.OpinionDeadlineExtended(opinion_id=case["id"], org_unit=case["org_unit"],
                                                   department_id=pending["department_id"],
                                                   deadline=deadline.isoformat()))
        detail["deadline"] = deadline.isoformat()
    return Status.ASSIGNED, detail


async def reply(uow, settings, principal, case, body, current, round_):
    text = required_text(body, "text")
    await storage.set_assignment(uow.conn, case["id"], principal.dept, round_, state="replied",
                                 reply=text, replied_at=_now())
    status = await _after_department_change(uow, case, round_)
    if status is Status.REPLIED:
        done = [a for a in await storage.assignments(uow.conn, case["id"]) if a["round"] == round_]
        replied = [a for a in done if a["state"] == "replied"]
        on_time = all(a["replied_at"].date() <= a["deadline"] for a in replied)
        uow.publish(events.OpinionReplied(
            opinion_id=case["id"], org_unit=case["org_unit"], department_ids=[a["department_id"] for a in replied],
            on_time=on_time, subject_id=_subject(case), contact_consented=case["subject_id"] is not None))
        await conversions.tell_merged(uow, case)
    return status, {"department_id": principal.dept, "text": text}


async def rate(uow, settings, principal, case, body, current, round_):
    return await apply_rating(uow, settings, case, body.get("rating"), body.get("comment"), round_, current)


async def rate_by_code(uow: UnitOfWork, settings: Settings, code: str, rating: str, comment: str | None) -> dict:
    """The submitter's own rating, by tracking code (public)."""
    case = await storage.opinion_by_code(uow.conn, code, for_update=True)
    if case is None:
        raise NotFound("no case with this tracking code")
    if case["status"] == Status.MERGED.value:
        return await _rate_merged(uow, case, rating, comment)
    rules.check("rate", Status(case["status"]), Actor.PUBLIC)
    round_ = await storage.current_round(uow.conn, case["id"])
    current = [a for a in await storage.assignments(uow.conn, case["id"]) if a["round"] == round_]
    status, detail = await apply_rating(uow, settings, case, rating, comment, round_, current)
    await storage.update_opinion(uow.conn, case["id"], {"status": status.value})
    await settle_deadline(uow.conn, case["id"])
    await storage.record(uow.conn, case["id"], actor_sub="public", actor_role="public", actor_org=None,
                         action="rate", from_status=case["status"], to_status=status.value, detail=detail)
    return dict(await storage.opinion(uow.conn, case["id"]))


async def _rate_merged(uow: UnitOfWork, case, rating: str, comment: str | None) -> dict:
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
                         action="rate", from_status=case["status"], to_status=status.value,
                         detail={"rating": rating, "comment": comment, "answer_of": joined["id"]})
    return dict(await storage.opinion(uow.conn, case["id"]))


async def apply_rating(uow, settings, case, rating, comment, round_, current):
    if rating not in ("satisfied", "basically_satisfied", "unsatisfied"):
        raise Unprocessable("rating is satisfied, basically_satisfied or unsatisfied")
    had_departments = bool(current)
    reopened_before = case["reopened"]
    if case["converted_to"] is not None:
        # what it became answered it: not satisfied is for supervision (督办), not for its old departments
        had_departments, reopened_before = False, True
    status = rules.after_rating(rating, reopened_before, had_departments)
    changes = {"rating": rating, "rating_comment": (comment or None)}
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


async def supervise(uow, settings, principal, case, body, current, round_):
    form = body.get("form") or "督办"
    if form not in SUPERVISION_FORMS:
        raise Unprocessable(f"form is one of {', '.join(sorted(SUPERVISION_FORMS))}")
    await storage.insert_supervision(uow.conn, case["id"], form, body.get("note"), principal.sub)
    uow.publish(events.OpinionSupervised(opinion_id=case["id"], org_unit=case["org_unit"],
                                         handling_unit=case["handling_unit"], form=form))
    return Status(case["status"]), {"form": form, "note": body.get("note")}


async def close(uow, settings, principal, case, body, current, round_):
    uow.publish(events.OpinionClosed(opinion_id=case["id"], org_unit=case["org_unit"],
                                     final_status=case["status"], rating=case["rating"]))
    return Status.CLOSED, {"reason": body.get("reason")}


ACTIONS = {
    "answer_on_spot": answer_on_spot, "assign": assign, "recall": recall, "escalate": escalate, "convert": convert,
    "merge": merge, "return": return_, "extend": extend, "reply": reply, "rate": rate,
    "supervise": supervise, "close": close,
}


async def _after_department_change(uow, case, round_) -> Status:
    current = [a for a in await storage.assignments(uow.conn, case["id"]) if a["round"] == round_]
    active = sum(1 for a in current if a["state"] == "active")
    replied = sum(1 for a in current if a["state"] == "replied")
    return rules.after_department_change(active, replied)


def required_text(body: dict, field: str) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise Unprocessable(f"{field} is required")
    if len(value) > 10_000:
        raise Unprocessable(f"{field} is longer than 10000 characters")
    return value.strip()


def _subject(case) -> str | None:
    return str(case["subject_id"]) if case["subject_id"] else None


def deadline_from(body: dict) -> date | None:
    value = body.get("deadline")
    if value is None or isinstance(value, date):
        return value
    try:
        return ActionIn.model_validate({"action": body["action"], "deadline": value}).deadline
    except (TypeError, ValueError):
        raise Unprocessable("deadline is a date, YYYY-MM-DD, from 2000 to 2100") from None

