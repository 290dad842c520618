"""Proposals (提案): drafting, filing, review, assignment, reply, evaluation, supervision."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from liaison_shared import orgunits
from liaison_shared.auth import Principal, Role
from liaison_shared.contracts import feedback as events
from liaison_shared.db import UnitOfWork
from liaison_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from liaison_shared.settings import Settings

from ..domain import proposal as rules
from ..domain.deadlines import today_in_china
from ..storage import opinions as opinion_storage
from ..storage import proposals as storage
from . import conversions
from .actions import required_text, working_days_after
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
    return principal.role is Role.ADMIN or (principal.role is Role.STAFF and principal.covers(committee))


async def sits_on(conn, member_id: str, committee: str) -> bool:
    """A member acts in the committee it sits on, as the registry says, whatever its token's org."""
    return (await storage.sitting_members(conn, [member_id])).get(member_id) == committee


async def require_members(conn, member_ids: list[str], fits: Callable[[str], bool], where: str) -> None:
    """Every member named is active in the registry and sits on a committee that ``fits``; else 422
    naming those who do not. Signatures and credit go to real members in scope only."""
    named = list(dict.fromkeys(member_ids))
    seats = await storage.sitting_members(conn, named)
    strangers = [m for m in named if m not in seats or not fits(seats[m])]
    if strangers:
        raise Unprocessable(f"not active members {where}: {', '.join(strangers)}")


def can_read(principal: Principal, row, departments: set[str]) -> bool:
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.MEMBER:
        return principal.member_id in signer_ids(row)
    if principal.role is Role.DEPARTMENT:
        return principal.dept in departments
    return principal.covers(row["committee"])


async def draft(uow: UnitOfWork, principal: Principal, data: dict, *, source: dict | None = None,
                proposal_id=None, converted: bool = False) -> dict:
    """A new draft. Its signers sit on its committee; a member drafts only in its own.

    ``converted``: staff converting a case they handle draft it for the committee above them,
    which their own scope does not cover; when the member who took the case in does not sit on
    that committee, the proposals committee (提案委员会) proposes it instead."""
    committee = data["committee"]
    if rules.committee_of(committee) != committee:
        raise Unprocessable("proposals belong to a city or county committee")
    kind = data["kind"]
    lead = data.get("proposer_member_id")
    if principal.role is Role.MEMBER:
        if not await sits_on(uow.conn, principal.member_id, committee):
            raise NotFound(f"no committee {committee} in your scope")
        lead = principal.member_id
        if kind not in ("member", "joint"):
            raise Forbidden("a member drafts its own or a joint proposal")
    elif not converted and not manages_committee(principal, committee):
        raise NotFound(f"no committee {committee} in your scope")
    if converted and lead and not await sits_on(uow.conn, lead, committee):
        kind, lead, data = "special_committee", None, {**data, "kind": "special_committee", "proposer_name": "提案委员会"}
    if kind in ("member", "joint") and not lead:
        raise Unprocessable("a member's proposal names proposer_member_id")
    if kind in ("sector", "special_committee", "party_group") and not data.get("proposer_name"):
        raise Unprocessable("a proposal of a sector, special committee or party group names proposer_name")
    co = [m for m in data.get("co_signers", []) if m != lead]
    if kind == "joint" and not co:
        raise Unprocessable("a joint proposal (联名) has co-signers")
    await require_members(uow.conn, [*([lead] if lead else []), *co], lambda seat: seat == committee,
                          f"of committee {committee}")
    proposal_id = await storage.insert(uow.conn, {**data, "proposer_member_id": lead, "source": source,
                                                  "created_by": principal.sub, "id": proposal_id}, co)
    await storage.record(uow.conn, proposal_id, principal, "draft", None, "draft", {"source": source})
    return dict(await storage.proposal(uow.conn, proposal_id))


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


async def act(uow: UnitOfWork, settings: Settings, principal: Principal, proposal_id: str, body: dict) -> dict:
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
    if actor == "member" and not await sits_on(uow.conn, principal.member_id, row["committee"]):
        raise NotFound(f"no proposal {proposal_id}")  # it moved to another committee, or left
    action = body["action"]
    rules.check(action, row["status"], actor)
    status, detail = await ACTIONS[action](uow, settings, principal, row, body, current, round_)
    if status != row["status"]:
        await storage.update(uow.conn, proposal_id, {"status": status})
    await storage.record(uow.conn, proposal_id, principal, action, row["status"], status, detail)
    return dict(await storage.proposal(uow.conn, proposal_id))


def _ids(row) -> dict:
    return {"proposal_id": row["id"], "org_unit": row["committee"]}


async def _sign(uow, settings, principal, row, body, current, round_):
    if not await storage.confirm_signer(uow.conn, row["id"], principal.member_id):
        raise Conflict("already confirmed")
    return "draft", {"member_id": principal.member_id}


async def _file(uow, settings, principal, row, body, current, round_):
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


async def _accept(uow, settings, principal, row, body, current, round_):
    uow.publish(events.ProposalAccepted(**_ids(row), number=row["number"], proposer_member_ids=proposer_ids(row)))
    return "accepted", {}


async def _reject(uow, settings, principal, row, body, current, round_):
    reason = required_text(body, "reason")
    turned_into = body.get("turn_into") or "members_letter"
    if turned_into not in ("members_letter", "opinion"):
        raise Unprocessable("turn_into is members_letter or opinion")
    detail = {"reason": reason, "turned_into": turned_into}
    if turned_into == "opinion":  # the matter still gets handled, as a case
        import uuid

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
    await storage.update(uow.conn, row["id"], {"not_accepted_reason": reason, "turned_into": turned_into})
    return "not_accepted", detail


async def _merge(uow, settings, principal, row, body, current, round_):
    into = await storage.proposal(uow.conn, str(body.get("into") or ""), for_update=True)
    if into is None or into["id"] == row["id"] or into["committee"] != row["committee"]:
        raise Unprocessable("merge names another proposal of the same committee")
    if into["status"] not in ("filed", "accepted", "assigned"):
        raise Conflict(f"proposal {into['id']} is {into['status']}", code="illegal_transition")
    await storage.add_signers(uow.conn, into["id"], proposer_ids(row))  # 并案 keeps every proposer
    await storage.update(uow.conn, row["id"], {"merged_into": into["id"]})
    return "merged", {"into": into["id"]}


async def _assign(uow, settings, principal, row, body, current, round_):
    lead = body.get("lead_department")
    if not lead:
        raise Unprocessable("assign names lead_department")
    co = [d for d in dict.fromkeys(body.get("co_departments") or []) if d != lead]
    # departments of the committee's own area only: a county's proposal is not another county's work
    within = await storage.departments_within(uow.conn, [lead, *co], orgunits.sql_subtree_pattern(row["committee"]))
    strangers = [d for d in [lead, *co] if d not in within]
    if strangers:
        raise Unprocessable(f"no active department under committee {row['committee']}: {', '.join(strangers)}")
    today = today_in_china()
    deadline = rules.add_months(today, rules.DEFAULT_MONTHS)
    await storage.insert_units(uow.conn, row["id"], lead, co, round_ + 1)
    await storage.update(uow.conn, row["id"], {"assigned_at": today, "deadline": deadline})
    uow.publish(events.ProposalAssigned(**_ids(row), number=row["number"], lead_department_id=lead,
                                        co_department_ids=co, deadline=deadline.isoformat()))
    return "assigned", {"lead": lead, "co": co, "deadline": deadline.isoformat()}


async def _return(uow, settings, principal, row, body, current, round_):
    reason = required_text(body, "reason")
    mine = next(u for u in current if u["department_id"] == principal.dept)
    window = (await working_days_after(uow.conn, mine["assigned_at"].date(), settings.return_window_days)).due
    if today_in_china() > window:
        raise Conflict(f"the return window closed on {window}", code="illegal_transition")
    await storage.set_unit(uow.conn, row["id"], principal.dept, round_, state="returned", return_reason=reason)
    # the lead unit returning sends the proposal back to staff for a new assignment
    return ("accepted" if mine["lead"] else "assigned"), {"department_id": principal.dept, "reason": reason}


async def _extend(uow, settings, principal, row, body, current, round_):
    if principal.role is Role.DEPARTMENT:
        raise Conflict("ask staff for an extension: they set it with action extend and months")
    months = body.get("months")
    if not isinstance(months, int) or months < 1:
        raise Unprocessable("months is a whole number of months")
    deadline = rules.add_months(row["deadline"], months)
    latest = rules.add_months(row["assigned_at"], rules.MAX_MONTHS)
    if deadline > latest:
        raise Conflict(f"a proposal is answered within six months: by {latest} at the latest")
    await storage.update(uow.conn, row["id"], {"deadline": deadline})
    return "assigned", {"deadline": deadline.isoformat(), "reason": body.get("reason")}


async def _opinion(uow, settings, principal, row, body, current, round_):
    mine = next(u for u in current if u["department_id"] == principal.dept)
    if mine["lead"]:
        raise Conflict("the lead unit replies; co-handling units send it their opinions")
    await storage.set_unit(uow.conn, row["id"], principal.dept, round_, opinion=required_text(body, "text"))
    return "assigned", {"department_id": principal.dept}


async def _reply(uow, settings, principal, row, body, current, round_):
    mine = next(u for u in current if u["department_id"] == principal.dept)
    if not mine["lead"]:
        raise Conflict("co-handling units send their opinion to the lead unit, which replies")
    missing = [u["department_id"] for u in current if not u["lead"] and u["state"] == "active" and not u["opinion"]]
    if missing:
        raise Conflict(f"co-handling units have not sent their opinions yet: {', '.join(missing)}")
    reply_class = body.get("reply_class")
    if reply_class not in rules.REPLY_CLASSES:
        raise Unprocessable("reply_class is A, B, C or D")
    text = required_text(body, "text")
    now = datetime.now(UTC)
    await storage.set_unit(uow.conn, row["id"], principal.dept, round_, state="replied")
    for unit in current:  # 协办: their part ends with the lead unit's reply
        if not unit["lead"] and unit["state"] == "active":
            await storage.set_unit(uow.conn, row["id"], unit["department_id"], round_, state="done")
    await storage.update(uow.conn, row["id"], {"reply_class": reply_class, "reply_text": text, "replied_at": now})
    uow.publish(events.ProposalReplied(**_ids(row), number=row["number"], reply_class=reply_class,
                                       on_time=today_in_china() <= row["deadline"],
                                       proposer_member_ids=proposer_ids(row), department_id=principal.dept))
    await conversions.proposal_replied(uow, row, reply_class, text)
    return "replied", {"reply_class": reply_class}


async def _evaluate(uow, settings, principal, row, body, current, round_):
    evaluation = body.get("evaluation")
    if evaluation not in ("satisfied", "basically_satisfied", "unsatisfied"):
        raise Unprocessable("evaluation is satisfied, basically_satisfied or unsatisfied")
    status = rules.after_evaluation(evaluation, row["rehandled"])
    changes = {"evaluation": evaluation}
    if status == "assigned":  # re-handled once by the same units, three more months
        lead = next(u["department_id"] for u in current if u["lead"])
        await storage.insert_units(uow.conn, row["id"], lead, [u["department_id"] for u in current if not u["lead"]],
                                   round_ + 1)
        today = today_in_china()
        changes |= {"rehandled": True, "assigned_at": today, "deadline": rules.add_months(today, rules.DEFAULT_MONTHS),
                    "replied_at": None}
    await storage.update(uow.conn, row["id"], changes)
    uow.publish(events.ProposalEvaluated(**_ids(row), number=row["number"], evaluation=evaluation,
                                         rehandling=status == "assigned", supervised=status == "supervised"))
    await conversions.proposal_evaluated(uow, row, evaluation)
    return status, {"evaluation": evaluation}


async def _mark_key(uow, settings, principal, row, body, current, round_):
    await storage.update(uow.conn, row["id"], {"key_proposal": True, "key_leader": principal.sub})
    return row["status"], {"leader": principal.sub}


async def _progress(uow, settings, principal, row, body, current, round_):
    if not row["key_proposal"]:
        raise Conflict("progress reports and visits are recorded for key proposals (重点提案)")
    kind = body.get("kind")
    if kind not in ("report", "visit"):
        raise Unprocessable("kind is report or visit")
    return row["status"], {"kind": kind, "text": required_text(body, "text")}


async def _close(uow, settings, principal, row, body, current, round_):
    return "closed", {"reason": body.get("reason")}


ACTIONS = {
    "sign": _sign, "file": _file, "accept": _accept, "reject": _reject, "merge": _merge, "assign": _assign,
    "return": _return, "extend": _extend, "opinion": _opinion, "reply": _reply, "evaluate": _evaluate,
    "mark_key": _mark_key, "progress": _progress, "close": _close,
}

