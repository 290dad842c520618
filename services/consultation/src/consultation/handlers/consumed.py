"""Events of other services the consultation service keeps or acts on.

Venues come from members (the registry of org units, departments and members is the shared
projection), and so do members' check-ins at sessions; converted opinions come from feedback and
feed the topic pool.
"""

from __future__ import annotations

from liaison_shared.contracts.feedback import OutcomeConverted
from liaison_shared.contracts.members import AttendanceRecorded, VenueChanged
from liaison_shared.events import Envelope
from liaison_shared.uow import UnitOfWork

from ..storage import sessions as session_storage
from . import topics


async def apply_venue(uow: UnitOfWork, envelope: Envelope, event: VenueChanged) -> None:
    await session_storage.keep_venue(uow.conn, event.id, kind=event.kind, name=event.name, org_unit=event.org_unit,
                                     active=event.active, source_time=envelope.time)


async def take_check_in(uow: UnitOfWork, envelope: Envelope, event: AttendanceRecorded) -> None:
    """A member checked in at a session (扫码签到, kept by members): present, as staff's `attend` would
    say — so the conclusion credits who was there."""
    if event.occasion == "session":
        await session_storage.add_attendee(uow.conn, event.occasion_id, event.member_id)


async def take_converted_opinion(uow: UnitOfWork, envelope: Envelope, event: OutcomeConverted) -> None:
    """An opinion staff converted into a topic (群众意见转议题) enters the pool of the unit that
    converted it (a county's conversion is the county's topic), or joins a topic."""
    if event.target.kind != "topic" or event.source.kind != "opinion":
        return
    await topics.from_opinion(uow, topic_id=event.target.id, opinion_id=event.source.id, org_unit=event.org_unit,
                              pool_unit=event.converted_by_unit or event.org_unit, title=event.title,
                              people=event.people_count, by=envelope.source)
