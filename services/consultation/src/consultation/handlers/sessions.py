"""Research and sessions: field visits and materials, sessions scheduled with their participants,
attendance, minutes, the opinions residents raise, and the conclusion."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from liaison_shared import orgunits
from liaison_shared.auth import Principal, Role
from liaison_shared.chinatime import today_in_china
from liaison_shared.contracts import consultation as events
from liaison_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from liaison_shared.uow import UnitOfWork

from ..domain import topic as rules
from ..domain.topic import Stage, Track
from ..schemas.sessions import (
    Attend,
    CancelSession,
    ConcludeSession,
    SessionAction,
    SessionIn,
    SessionOpinionIn,
)
from ..schemas.topics import ResearchIn
from ..storage import outcomes as outcome_storage
from ..storage import sessions as storage
from ..storage import topics as topic_storage
from . import reach
from .topics import actor_of, concluded_due, publish_stage, topic_for


def can_read(principal: Principal, session) -> bool:
    """Staff and leaders of the unit or above; a member or department only when invited —
    being of the same county is not an invitation."""
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.DEPARTMENT:
        return principal.dept in session["department_ids"]
    if principal.role is Role.MEMBER:
        return principal.member_id in session["member_ids"]
    return principal.covers(session["org_unit"])


async def record_research(uow: UnitOfWork, principal: Principal, topic_id: str, command: ResearchIn) -> dict:
    topic = await topic_for(uow, principal, topic_id)
    if actor_of(principal, topic) not in ("staff", "member"):
        raise NotFound(f"no topic {topic_id}")
    if Stage(topic["stage"]) not in rules.RESEARCH_STAGES:
        raise Conflict(f"research belongs to a selected topic before its conclusion; this one is {topic['stage']}",
                       code="illegal_transition")
    if command.happened_on is not None and command.happened_on > today_in_china():
        raise Unprocessable("happened_on is in the future: research is recorded once done")
    member_ids = await reach.credited(uow.conn, principal, command.member_ids, topic["org_unit"])
    research_id = uuid.uuid4()
    await storage.insert_research(uow.conn, {**command.model_dump(), "id": research_id, "topic_id": topic_id,
                                             "member_ids": member_ids, "created_by": principal.sub})
    await topic_storage.record(uow.conn, topic_id, principal_cols=principal.actor, action="research",
                               from_stage=topic["stage"], to_stage=topic["stage"], org_unit=topic["org_unit"],
                               detail={"research_id": str(research_id), "kind": command.kind})
    # the members who did it are credited in their 履职档案 and score (members keeps it)
    uow.publish(events.ResearchRecorded(
        research_id=str(research_id), topic_id=topic_id, org_unit=topic["org_unit"], kind=command.kind,
        title=command.title, happened_on=command.happened_on.isoformat() if command.happened_on else None,
        member_ids=member_ids))
    return next(dict(r) for r in await storage.research_of(uow.conn, topic_id) if r["id"] == str(research_id))


async def schedule(uow: UnitOfWork, principal: Principal, command: SessionIn) -> dict:
    topic = await topic_for(uow, principal, command.topic_id)
    if actor_of(principal, topic) != "staff":
        raise NotFound(f"no topic {command.topic_id}")
    stage, track = Stage(topic["stage"]), Track(topic["track"])
    rules.may_schedule(stage, track)
    forms = await topic_storage.forms_of(uow.conn, topic["level"])
    if command.form not in forms:
        raise Unprocessable(f"form at a {topic['level']} platform is one of: {', '.join(forms)}")
    if command.venue_id:
        await reach.venue(uow.conn, command.venue_id, topic["org_unit"])
    if command.member_ids is None:
        member_ids = await storage.default_invitees(uow.conn, topic["org_unit"], topic["level"],
                                                    orgunits.sql_subtree_pattern(topic["org_unit"]))
    else:
        member_ids = await reach.members(uow.conn, command.member_ids, topic["org_unit"])
    department_ids = await reach.departments(
        uow.conn, command.department_ids if command.department_ids is not None else topic["department_ids"],
        topic["org_unit"])
    session_id = uuid.uuid4()
    await storage.insert(uow.conn, {**command.model_dump(), "id": session_id, "org_unit": topic["org_unit"],
                                    "member_ids": member_ids, "department_ids": department_ids,
                                    "created_by": principal.sub})
    if stage is not Stage.CONSULTING:
        await topic_storage.update(uow.conn, topic["id"], {"stage": Stage.CONSULTING.value})
        publish_stage(uow, topic, Stage.CONSULTING)
    await topic_storage.record(uow.conn, topic["id"], principal_cols=principal.actor, action="schedule_session",
                               from_stage=stage.value, to_stage=Stage.CONSULTING.value, org_unit=topic["org_unit"],
                               detail={"session_id": str(session_id), "form": command.form,
                                       "invited_members": len(member_ids)})
    uow.publish(events.SessionScheduled(
        session_id=str(session_id), topic_id=topic["id"], org_unit=topic["org_unit"], title=command.title,
        starts_at=command.starts_at.isoformat(), venue_id=command.venue_id, member_ids=member_ids,
        department_ids=department_ids, form=command.form, urgency=rules.urgency(track),
        ends_at=command.ends_at.isoformat() if command.ends_at else None))
    return dict(await storage.session(uow.conn, str(session_id)))


async def act(uow: UnitOfWork, principal: Principal, session_id: str, command: SessionAction) -> dict:
    session = await storage.session(uow.conn, session_id, for_update=True)
    if session is None or not can_read(principal, session):
        raise NotFound(f"no session {session_id}")
    if principal.role not in (Role.STAFF, Role.ADMIN):
        raise Forbidden("only staff of the session's unit run it")
    topic = await topic_storage.topic(uow.conn, session["topic_id"], for_update=True)
    if session["status"] != "scheduled":
        raise Conflict(f"cannot {command.action} a session that is {session['status']}; allowed when: scheduled",
                       code="illegal_transition")
    if isinstance(command, Attend):
        members = await reach.members(uow.conn, command.member_ids, session["org_unit"])
        departments = await reach.departments(uow.conn, command.department_ids, session["org_unit"])
        changes = {"attended_member_ids": sorted(set(session["attended_member_ids"]) | set(members)),
                   "attended_department_ids": sorted(set(session["attended_department_ids"]) | set(departments)),
                   "residents_attended": command.residents if command.residents is not None
                   else session["residents_attended"]}
        await storage.update(uow.conn, session_id, changes)
    elif isinstance(command, CancelSession):
        await storage.update(uow.conn, session_id, {"status": "cancelled", "minutes": f"取消：{command.reason}"})
        # members stops issuing its check-in codes on this, and the invited hear of it
        uow.publish(events.SessionCancelled(
            session_id=session["id"], topic_id=session["topic_id"], org_unit=session["org_unit"],
            title=session["title"], starts_at=session["starts_at"].isoformat(), reason=command.reason,
            member_ids=list(session["member_ids"]), department_ids=list(session["department_ids"]),
            urgency=rules.urgency(topic["track"])))
    else:
        await _conclude(uow, principal, session, topic, command)
    return dict(await storage.session(uow.conn, session_id))


async def _conclude(uow, principal, session, topic, command: ConcludeSession) -> None:
    if session["starts_at"] > datetime.now(UTC):
        raise Unprocessable("the session has not started yet: it concludes after its start")
    await storage.update(uow.conn, session["id"], {"status": "concluded", "minutes": command.minutes,
                                                   "concluded_at": datetime.now(UTC)})
    for item in command.outcomes:
        await outcome_storage.insert(uow.conn, {"id": uuid.uuid4(), "topic_id": topic["id"],
                                                "session_id": session["id"], "kind": item.kind,
                                                "text": item.text, "created_by": principal.sub})
    stage = Stage(topic["stage"])
    if Track(topic["track"]) is Track.SMALL_MATTER and stage is Stage.CONSULTING:
        # 小事简议: one sitting concludes it
        await topic_storage.update(uow.conn, topic["id"], {"stage": Stage.CONCLUDED.value,
                                                           "due": await concluded_due(uow, topic)})
        publish_stage(uow, topic, Stage.CONCLUDED)
        await topic_storage.record(uow.conn, topic["id"], principal_cols=principal.actor, action="conclude",
                                   from_stage=stage.value, to_stage=Stage.CONCLUDED.value,
                                   org_unit=topic["org_unit"], detail={"session_id": session["id"],
                                                                       "in_one_sitting": True})
    present = list(session["attended_member_ids"]) or list(session["member_ids"])
    uow.publish(events.SessionConcluded(
        session_id=session["id"], topic_id=topic["id"], org_unit=topic["org_unit"], title=session["title"],
        member_ids=present, department_ids=list(session["department_ids"]),
        urgency=rules.urgency(topic["track"])))


async def raise_opinion(uow: UnitOfWork, principal: Principal, session_id: str, command: SessionOpinionIn) -> dict:
    """A resident's opinion, handed to the opinion process (feedback keeps it as a case)."""
    session = await storage.session(uow.conn, session_id, for_update=True)
    if session is None or not can_read(principal, session):
        raise NotFound(f"no session {session_id}")
    if principal.role not in (Role.STAFF, Role.ADMIN, Role.MEMBER):
        raise Forbidden("staff or an invited member records a resident's opinion")
    if session["status"] == "cancelled":
        raise Conflict("the session was cancelled", code="illegal_transition")
    topic = await topic_storage.topic(uow.conn, session["topic_id"])
    disposition, deadline = command.disposition, command.deadline
    if disposition == "answered" and not command.answer:
        raise Unprocessable("an opinion answered on the spot needs the answer")
    department_ids = await reach.departments(uow.conn, command.department_ids, session["org_unit"])
    if disposition == "assigned":
        if not department_ids:
            raise Unprocessable("an assigned opinion needs department_ids")
        if deadline is None:
            days = (await topic_storage.step_days(uow.conn, topic["track"]))["department_task"]
            deadline = today_in_china() + timedelta(days=days)
    if deadline is not None and deadline < today_in_china():
        raise Unprocessable("the deadline is in the past")
    credited = await reach.credited(uow.conn, principal, [command.member_id] if command.member_id else [],
                                    session["org_unit"])
    member_id = credited[0] if credited else None
    opinion_id = uuid.uuid4()
    await storage.insert_opinion(uow.conn, {**command.model_dump(), "id": opinion_id, "session_id": session_id,
                                            "disposition": disposition, "deadline": deadline,
                                            "department_ids": department_ids, "member_id": member_id,
                                            "created_by": principal.sub})
    uow.publish(events.OpinionRaised(
        opinion_id=str(opinion_id), session_id=session_id, topic_id=session["topic_id"],
        org_unit=session["org_unit"], content=command.content, category=command.category,
        disposition=disposition, answer=command.answer, department_ids=department_ids,
        deadline=deadline.isoformat() if deadline else None, member_id=member_id,
        urgency=rules.urgency(topic["track"])))
    return {"id": str(opinion_id), "session_id": session_id, "disposition": disposition,
            "deadline": deadline.isoformat() if deadline else None}

