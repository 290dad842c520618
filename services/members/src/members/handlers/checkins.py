"""扫码签到 — check-in codes for activities, reception days and consultation sessions, and a member's
check-in from one: recorded present with its time, and its 履职 record written from it (a
participant of the activity, a session attended) instead of by self-report.

The organiser — staff of the occasion's unit or above, never an attendee, so no one attests its
own presence — is given a short-lived signed code and its QR; a member signed in posts the code.
A code outside its span or its occasion's window, or one not signed here, changes nothing; a
second check-in of the same member answers what the first recorded and changes nothing either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from liaison_shared import checkin, orgunits, qr
from liaison_shared.auth import Principal, Role
from liaison_shared.chinatime import CHINA
from liaison_shared.contracts.consultation import (
    ResearchRecorded,
    SessionCancelled,
    SessionConcluded,
    SessionScheduled,
)
from liaison_shared.contracts.members import ActivityLogged, AttendanceRecorded
from liaison_shared.errors import Conflict, Forbidden, NotFound
from liaison_shared.events import Envelope
from liaison_shared.inbox import EventConsumer
from liaison_shared.settings import Settings
from liaison_shared.uow import UnitOfWork

from ..domain.checkin import (
    OCCASIONS,
    Window,
    WindowClosed,
    activity_window,
    code_span,
    session_over,
    timed_window,
)
from ..storage import checkins as storage
from ..storage import people as people_storage
from ..storage import record as record_storage
from ..storage import work as work_storage


@dataclass(frozen=True)
class Occasion:
    kind: str
    id: str
    title: str
    org_unit: str
    window: Window
    row: Any


async def occasion_of(conn, settings: Settings, kind: str, occasion_id: str) -> Occasion | None:
    grace = timedelta(minutes=settings.checkin_grace_minutes)
    if kind == "activity":
        row = await storage.activity(conn, occasion_id)
        window = activity_window(row["occurred_on"]) if row else None
    elif kind == "reception_day":
        row = await storage.reception_day(conn, occasion_id)
        window = timed_window(row["starts_at"], row["ends_at"], grace) if row else None
    elif kind == "session":
        row = await storage.session(conn, occasion_id)
        window = timed_window(row["starts_at"], row["ends_at"], grace) if row else None
    else:
        return None
    if row is None or window is None:
        return None
    return Occasion(kind, row["id"], row["title"], row["org_unit"], window, row)


def _refuse_if_over(occasion: Occasion) -> None:
    """A session consultation cancelled or concluded: 409, so members credits no attendance that
    consultation would not count."""
    if occasion.kind != "session":
        return
    why = session_over(occasion.row["status"])
    if why:
        raise Conflict(why, code=f"session_{occasion.row['status']}")


def link_of(settings: Settings, code: str) -> str:
    return f"{settings.checkin_page()}?code={code}"


async def code_for(conn, settings: Settings, principal: Principal, kind: str, occasion_id: str) -> dict:
    """A fresh code of an occasion whose check-in window is open, with its link and QR code."""
    occasion = await occasion_of(conn, settings, kind, occasion_id)
    if occasion is None or not principal.is_staff_over(occasion.org_unit):
        raise NotFound(f"no {kind} {occasion_id}")
    _refuse_if_over(occasion)
    try:
        valid_from, expires = code_span(occasion.window, datetime.now(UTC),
                                        timedelta(seconds=settings.checkin_code_ttl_s))
    except WindowClosed as closed:
        raise Conflict(str(closed), code="outside_window") from None
    code = checkin.issue(checkin.key_of(settings), kind, occasion.id, not_before=valid_from, expires=expires)
    link = link_of(settings, code)
    return {"occasion": kind, "occasion_id": occasion.id, "title": occasion.title, "org_unit": occasion.org_unit,
            "code": code, "link": link, "svg": qr.svg(link, title=f"{OCCASIONS[kind]}签到：{occasion.title}"),
            "valid_from": valid_from, "expires_at": expires,
            "window_opens": occasion.window.opens, "window_closes": occasion.window.closes}


def _refusal(occasion: Occasion, member) -> str | None:
    """Why the member may not check in here, or None. A session: the members it invited; a sector
    group's activity: the group's members. Any other activity or a reception day: members of the
    committee over the place (a city member anywhere in the city, a county member in its county)."""
    if occasion.kind == "session":
        return None if member["id"] in occasion.row["member_ids"] else "session: only invited members check in"
    if occasion.kind == "activity" and occasion.row["group_id"] is not None:
        return (None if member["id"] in occasion.row["group_member_ids"]
                else "a sector group's activity: only the group's members check in")
    return (None if orgunits.is_within(occasion.org_unit, member["org_unit"])
            else "only members of the committee over the place check in")


async def check_in(uow: UnitOfWork, settings: Settings, principal: Principal, code: str) -> tuple[dict, bool]:
    """The member recorded present (True), or what an earlier check-in recorded (False)."""
    if principal.role is not Role.MEMBER:
        raise Forbidden("only a member checks in, with its own token")
    member_id = principal.acting_member_id
    try:
        read = checkin.read(checkin.key_of(settings), code)
    except checkin.CodeOutOfTime as stale:
        raise Conflict(str(stale), code="code_expired") from None
    except checkin.InvalidCode as forged:
        raise Forbidden(str(forged), code="invalid_code") from None
    occasion = await occasion_of(uow.conn, settings, read.occasion, read.occasion_id)
    if occasion is None:
        raise NotFound(f"no {read.occasion} {read.occasion_id}")
    _refuse_if_over(occasion)  # cancelled or concluded since the code was shown
    now = datetime.now(UTC)
    if not occasion.window.holds(now):  # moved since the code was shown
        raise Conflict(f"check-in at this {OCCASIONS[occasion.kind]} is open from {occasion.window.opens.isoformat()} "
                       f"to {occasion.window.closes.isoformat()}", code="outside_window")
    member = await people_storage.member(uow.conn, member_id)
    if member is None or member["status"] != "active":
        raise Forbidden("only an active member checks in")
    refusal = _refusal(occasion, member)
    if refusal:
        raise Forbidden(refusal)
    at = await storage.insert(uow.conn, occasion.kind, occasion.id, member_id, occasion.org_unit)
    answer = {"occasion": occasion.kind, "occasion_id": occasion.id, "title": occasion.title,
              "org_unit": occasion.org_unit, "member_id": member_id}
    if at is None:
        earlier = await storage.checked_in_at(uow.conn, occasion.kind, occasion.id, member_id)
        return {**answer, "checked_in_at": earlier, "already_recorded": True}, False
    await _write_record(uow, occasion, member_id, at)
    uow.publish(AttendanceRecorded(occasion=occasion.kind, occasion_id=occasion.id,  # type: ignore[arg-type]
                                   member_id=member_id, org_unit=occasion.org_unit, checked_in_at=at.isoformat()))
    return {**answer, "checked_in_at": at, "already_recorded": False}, True


async def _write_record(uow: UnitOfWork, occasion: Occasion, member_id: str, at: datetime) -> None:
    """The 履职 record the check-in stands for. A reception day's is the check-in itself (the file
    reads it)."""
    if occasion.kind == "activity":
        await storage.add_participant(uow.conn, occasion.id, member_id)
        row = await work_storage.activity(uow.conn, occasion.id)
        # the activity's state with its participants, as when logged: feedback checks the opinions
        # taken in there against them
        uow.publish(ActivityLogged(
            id=row["id"], type=row["type"], title=row["title"], org_unit=row["org_unit"],
            occurred_on=row["occurred_on"].isoformat(), member_ids=list(row["member_ids"]),
            people_reached=row["people_reached"], opinion_ids=list(row["opinion_ids"]),
            group_id=occasion.row["group_id"]))
    elif occasion.kind == "session":
        await record_storage.keep_work(uow.conn, member_id, "session", occasion.id, org_unit=occasion.org_unit,
                                       state="attended", at=at, title=occasion.title,
                                       detail={"topic_id": occasion.row["topic_id"], "checked_in_at": at.isoformat()})


async def attendance(conn, settings: Settings, principal: Principal, kind: str, occasion_id: str, *,
                     limit: int, offset: int) -> tuple[list[dict], int]:
    """Who checked in: for staff and leaders of the occasion's unit or above."""
    occasion = await occasion_of(conn, settings, kind, occasion_id)
    if occasion is None or not principal.may_manage(occasion.org_unit):
        raise NotFound(f"no {kind} {occasion_id}")
    rows, total = await storage.attendance_page(conn, kind, occasion.id, limit=limit, offset=offset)
    return [dict(r) for r in rows], total


# --- what members learns from consultation (rebuildable projections) -------------------------


async def keep_session(uow: UnitOfWork, envelope: Envelope, event: SessionScheduled) -> None:
    await storage.keep_session(uow.conn, event.model_dump(), envelope.time)


async def end_session(uow: UnitOfWork, envelope: Envelope, event: SessionCancelled | SessionConcluded) -> None:
    """A session cancelled or concluded: no code and no check-in there from now on."""
    status = "cancelled" if isinstance(event, SessionCancelled) else "concluded"
    await storage.end_session(uow.conn, event.session_id, status)


async def keep_research(uow: UnitOfWork, envelope: Envelope, event: ResearchRecorded) -> None:
    """学习调研 the members did: in their file, and credited by the score's research points."""
    at = (datetime.combine(datetime.fromisoformat(event.happened_on).date(), datetime.min.time(), CHINA)
          if event.happened_on else envelope.time)
    for member_id in event.member_ids:
        await record_storage.keep_work(uow.conn, member_id, "research", event.research_id, org_unit=event.org_unit,
                                       state="recorded", at=at, title=event.title,
                                       detail={"kind": event.kind, "topic_id": event.topic_id})


def keep_checkin_projection(consumer: EventConsumer) -> None:
    consumer.on(SessionScheduled, rebuildable=True)(keep_session)
    consumer.on(SessionCancelled, rebuildable=True)(end_session)
    consumer.on(SessionConcluded, rebuildable=True)(end_session)
    consumer.on(ResearchRecorded, rebuildable=True)(keep_research)
