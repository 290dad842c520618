"""Opinions members take in (委员收集的群众意见): recorded by the member itself or by staff on its
behalf, at its reception day (委员接待日), during a liaison activity (履职活动) or on a visit; and
the consumed events feedback checks them against. The member reads what it took in, nothing else
(``access.can_read``)."""

from __future__ import annotations

from liaison_shared.auth import Principal, Role
from liaison_shared.contracts.members import ActivityLogged, ReceptionDayScheduled
from liaison_shared.errors import Forbidden, Unprocessable
from liaison_shared.events import Envelope
from liaison_shared.settings import Settings
from liaison_shared.uow import UnitOfWork

from ..schemas.taken_in import TakenInIn
from ..storage import taken_in as storage
from . import access, intake


def receiver_of(principal: Principal, body: TakenInIn) -> str:
    """Whom the opinion is recorded for: a member records its own; staff of the place, a member's."""
    if principal.role is Role.MEMBER:
        own = principal.acting_member_id
        if body.received_by not in (None, own):
            raise Forbidden("a member records only the opinions it took in itself; staff record them for others")
        return own
    if principal.role not in (Role.STAFF, Role.ADMIN):
        raise Forbidden("only a member, or staff on its behalf, records an opinion taken in")
    if not principal.may_manage(body.org_unit):
        raise Forbidden(f"staff record opinions taken in within their own subtree, not in {body.org_unit}")
    if body.received_by is None:
        raise Unprocessable("received_by: name the member who took the opinion in")
    return body.received_by


async def take_in(uow: UnitOfWork, settings: Settings, principal: Principal, body: TakenInIn) -> dict:
    """A case whose ``received_by`` is the member, checked against feedback's projections of the
    registry: an active member serving the place, its own reception day (whose venue it was) or an
    activity it took part in. Unknown or unfitting ids are 422, naming the field."""
    member_id = receiver_of(principal, body)
    data = body.model_dump()
    member = await storage.member(uow.conn, member_id)
    if member is None or member["status"] != "active":
        raise Unprocessable(f"received_by: no active member {member_id} in the registry")
    if not access.on_the_line(member["org_unit"], body.org_unit):
        raise Unprocessable(f"received_by: member {member_id} does not serve org unit {body.org_unit}")
    if body.reception_day_id:
        day = await storage.reception_day(uow.conn, body.reception_day_id)
        if day is None or day["member_id"] != member_id:
            raise Unprocessable(f"reception_day_id: no reception day {body.reception_day_id} of member {member_id}")
        if body.venue_id not in (None, day["venue_id"]):
            raise Unprocessable(f"venue_id: reception day {body.reception_day_id} is held at venue {day['venue_id']}")
        data["venue_id"] = day["venue_id"]
    if body.activity_id:
        activity = await storage.activity(uow.conn, body.activity_id)
        if activity is None or member_id not in activity["member_ids"]:
            raise Unprocessable(f"activity_id: no activity {body.activity_id} that member {member_id} took part in")
    # the member is credited as the public intake's member_id would credit it
    data.update(member_id=member_id, received_by=member_id)
    return await intake.submit(uow, settings, data, actor=principal)


async def keep_reception_day(uow: UnitOfWork, envelope: Envelope, event: ReceptionDayScheduled) -> None:
    await storage.upsert_reception_day(uow.conn, event.model_dump(), envelope.time)


async def keep_activity(uow: UnitOfWork, envelope: Envelope, event: ActivityLogged) -> None:
    await storage.upsert_activity(uow.conn, event.model_dump(), envelope.time)


def keep_casework_projection(consumer) -> None:
    """Subscribe ``consumer`` to what opinions taken in are checked against."""
    consumer.on(ReceptionDayScheduled, rebuildable=True)(keep_reception_day)
    consumer.on(ActivityLogged, rebuildable=True)(keep_activity)
