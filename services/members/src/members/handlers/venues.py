"""Commands on venues (履职平台) and reception days (委员接待日)."""

from __future__ import annotations

from liaison_shared import orgunits
from liaison_shared.auth import Principal, Role
from liaison_shared.chinatime import CHINA, today_in_china
from liaison_shared.contracts.members import ReceptionDayScheduled, VenueChanged
from liaison_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from liaison_shared.uow import UnitOfWork

from ..storage import people as people_storage
from ..storage import registry as registry_storage
from ..storage import venues as storage
from .people import can_see_member
from .registry import require_manager


def venue_event(row) -> VenueChanged:
    return VenueChanged(
        id=row["id"], kind=row["kind"], name=row["name"], org_unit=row["org_unit"],
        address=row["address"], opening_hours=row["opening_hours"], active=row["active"],
    )


async def register_venue(uow: UnitOfWork, principal: Principal, data: dict) -> dict:
    require_manager(principal, data["org_unit"])
    if await registry_storage.org_unit(uow.conn, data["org_unit"]) is None:
        raise Unprocessable(f"org unit {data['org_unit']} is not registered")
    if data["kind"] == "sector_studio" and not data.get("sector_id"):
        raise Unprocessable("a sector studio names its sector_id")
    if data.get("sector_id"):
        sector = await people_storage.sector(uow.conn, data["sector_id"])
        if sector is None or not orgunits.is_within(data["org_unit"], sector["org_unit"]):
            raise Unprocessable(f"sector {data['sector_id']} is not a sector of the venue's committee")
    row = await storage.insert_venue(uow.conn, data)
    if row is None:
        raise Conflict(f"{data['name']} already exists at {data['org_unit']}", code="duplicate")
    uow.publish(venue_event(row))
    return dict(row)


async def change_venue(uow: UnitOfWork, principal: Principal, venue_id: str, changes: dict) -> dict:
    row = await storage.venue(uow.conn, venue_id)
    if row is None or not principal.may_manage(row["org_unit"]):
        raise NotFound(f"no venue {venue_id}")
    require_manager(principal, row["org_unit"])
    columns = {k: v for k, v in changes.items() if k in {"name", "address", "opening_hours", "active"}}
    if not columns:
        return dict(row)
    row = await storage.update_venue(uow.conn, venue_id, columns)
    uow.publish(venue_event(row))
    return dict(row)


async def schedule_reception_day(uow: UnitOfWork, principal: Principal, data: dict) -> dict:
    # The one door of every reception day (API, demo data): none is announced for a day gone by.
    if data["starts_at"].astimezone(CHINA).date() < today_in_china():
        raise Unprocessable(f"a reception day is not scheduled in the past (before {today_in_china()}, China time)")
    member = await people_storage.member(uow.conn, data["member_id"], for_update=True)
    venue = await storage.venue(uow.conn, data["venue_id"])
    if member is None:
        raise Unprocessable(f"no member {data['member_id']}")
    if venue is None or not venue["active"]:
        raise Unprocessable(f"no active venue {data['venue_id']}")
    if principal.role is Role.MEMBER:
        if principal.member_id != member["id"]:
            raise Forbidden("a member schedules only its own reception days")
        if not orgunits.is_within(venue["org_unit"], member["org_unit"]):
            raise Forbidden("a member receives the public at venues of its own committee")
    elif principal.role not in (Role.STAFF, Role.ADMIN):
        raise Forbidden("only staff or the member schedule reception days")
    else:
        require_manager(principal, venue["org_unit"])
        if not can_see_member(principal, member):
            raise Forbidden(f"member {member['id']} is neither of this committee nor of its contact points")
    if not orgunits.is_within(venue["org_unit"], member["org_unit"]):
        raise Unprocessable("a member receives the public at venues of its own committee")
    if member["status"] != "active":
        raise Conflict("a member whose term ended holds no reception day")
    if await storage.overlapping_reception(uow.conn, member["id"], data["starts_at"], data["ends_at"]):
        raise Conflict("the member already receives the public at that time")
    row = await storage.insert_reception_day(uow.conn, {**data, "org_unit": venue["org_unit"]})
    if row is None:
        raise Conflict("the member already has a reception day starting then", code="duplicate")
    uow.publish(
        ReceptionDayScheduled(
            id=row["id"], member_id=row["member_id"], venue_id=row["venue_id"], org_unit=row["org_unit"],
            starts_at=row["starts_at"].isoformat(), ends_at=row["ends_at"].isoformat(),
            capacity=row["capacity"],
        ),
    )
    return dict(row)
