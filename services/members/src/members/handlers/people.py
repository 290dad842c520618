"""Commands on sectors, special committees, bridges, members and 下沉 assignments."""

from __future__ import annotations

from typing import Any

from liaison_shared import orgunits
from liaison_shared.auth import Principal, Role
from liaison_shared.contracts.members import MemberAssigned, MemberRegistered, MemberUpdated
from liaison_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from liaison_shared.uow import UnitOfWork

from ..domain.people import check_committee, check_contact_point
from ..domain.sectors import duty_emphasis_of
from ..storage import people as storage
from ..storage import registry as registry_storage
from .registry import require_manager

# What a member may change on its own card; everything else is staff work.
CARD_FIELDS = {"photo_url", "public_contact", "occupation", "work_unit"}
MEMBER_FIELDS = {
    "name", "sector_id", "special_committee_id", "occupation", "work_unit", "region", "term",
    "status", "photo_url", "public_contact", "email", "phone",
}


def can_see_member(principal: Principal, row) -> bool:
    if principal.role is Role.MEMBER:
        return principal.member_id == row["id"]
    if principal.role is Role.DEPARTMENT:
        return False
    return principal.may_manage(row["org_unit"]) or any(
        principal.covers(code) for code in row["contact_points"]
    )


def member_payload(row) -> dict[str, Any]:
    return {
        "id": row["id"], "name": row["name"], "sector_id": row["sector_id"],
        "sector_name": row["sector_name"], "org_unit": row["org_unit"],
        "special_committee_id": row["special_committee_id"], "region": row["region"],
        "status": row["status"], "contact_points": list(row["contact_points"]),
    }


async def register_sector(uow: UnitOfWork, principal: Principal, data: dict) -> dict:
    require_manager(principal, data["org_unit"])
    check_committee(data["org_unit"])
    await _require_unit(uow, data["org_unit"])
    row = await storage.insert_sector(uow.conn, {**data, "duty_emphasis": duty_emphasis_of(data["category"])})
    if row is None:
        raise Conflict(f"sector {data['name']} already exists at {data['org_unit']}", code="duplicate")
    return dict(row)


async def register_special_committee(uow: UnitOfWork, principal: Principal, data: dict) -> dict:
    require_manager(principal, data["org_unit"])
    check_committee(data["org_unit"])
    await _require_unit(uow, data["org_unit"])
    await _require_sectors(uow, data.get("sector_ids", []), data["org_unit"])
    created = await storage.insert_special_committee(uow.conn, data)
    if created is None:
        raise Conflict(f"{data['name']} already exists at {data['org_unit']}", code="duplicate")
    return dict(await storage.special_committee(uow.conn, created))


async def add_plan_item(uow: UnitOfWork, principal: Principal, committee_id: str, data: dict) -> dict:
    committee = await storage.special_committee(uow.conn, committee_id)
    if committee is None or not visible(principal, committee["org_unit"]):
        raise NotFound(f"no special committee {committee_id}")
    require_manager(principal, committee["org_unit"])
    if data.get("sector_id") and data["sector_id"] not in committee["sector_ids"]:
        raise Unprocessable("a plan item's sector must be one the committee links")
    return dict(await storage.insert_plan_item(uow.conn, committee_id, data))


async def add_bridge(uow: UnitOfWork, principal: Principal, sector_id: str, data: dict) -> dict:
    sector = await storage.sector(uow.conn, sector_id)
    if sector is None:
        raise NotFound(f"no sector {sector_id}")
    require_manager(principal, sector["org_unit"])
    if data["kind"] == "department" and not data.get("department_id"):
        raise Unprocessable("a department bridge names a registered department_id")
    if data.get("department_id"):
        department = await registry_storage.department(uow.conn, data["department_id"])
        if department is None or not _of_committee(department["org_unit"], sector["org_unit"]):
            raise Unprocessable("department_id names no registered department of the sector's "
                                "committee, or of a level above it")
        data = {**data, "name": data.get("name") or department["name"]}
    row = await storage.insert_bridge(uow.conn, sector_id, data)
    if row is None:
        raise Conflict("this bridge already exists", code="duplicate")
    return dict(row)


async def register_member(uow: UnitOfWork, principal: Principal, data: dict) -> dict:
    require_manager(principal, data["org_unit"])
    check_committee(data["org_unit"])
    await _require_unit(uow, data["org_unit"])
    await _require_sectors(uow, [data["sector_id"]], data["org_unit"])
    await _check_references(uow, data, data["org_unit"])
    member_id = await storage.insert_member(uow.conn, data)
    row = await storage.member(uow.conn, member_id)
    uow.publish(MemberRegistered(**member_payload(row)))
    return dict(row)


async def change_member(uow: UnitOfWork, principal: Principal, member_id: str, changes: dict) -> dict:
    row = await storage.member(uow.conn, member_id, for_update=True)
    if row is None or not can_see_member(principal, row):
        raise NotFound(f"no member {member_id}")
    if principal.role is Role.MEMBER:
        if set(changes) - CARD_FIELDS:
            raise Forbidden("a member edits only its own card: " + ", ".join(sorted(CARD_FIELDS)))
    else:
        require_manager(principal, row["org_unit"])
    if "sector_id" in changes and changes["sector_id"]:
        await _require_sectors(uow, [changes["sector_id"]], row["org_unit"])
    await _check_references(uow, changes, row["org_unit"])
    columns = {k: v for k, v in changes.items() if k in MEMBER_FIELDS}
    if not columns:
        return dict(row)
    await storage.update_member(uow.conn, member_id, columns)
    row = await storage.member(uow.conn, member_id)
    uow.publish(MemberUpdated(**member_payload(row)))
    return dict(row)


async def assign_member(
    uow: UnitOfWork, principal: Principal, member_id: str, contact_point: str, *, assigned: bool
) -> dict:
    row = await storage.member(uow.conn, member_id, for_update=True)
    if row is None or not can_see_member(principal, row):
        raise NotFound(f"no member {member_id}")
    require_manager(principal, row["org_unit"] if assigned else contact_point)
    if assigned:
        check_contact_point(row["org_unit"], contact_point)
        if row["status"] != "active":
            raise Conflict("a member whose term ended is not assigned")
        await _require_unit(uow, contact_point)
        changed = await storage.assign(uow.conn, member_id, contact_point)
    else:
        changed = await storage.unassign(uow.conn, member_id, contact_point)
        if not changed:
            raise NotFound(f"member {member_id} is not assigned to {contact_point}")
    row = await storage.member(uow.conn, member_id)
    if changed:
        uow.publish(
            MemberAssigned(member_id=member_id, contact_point=contact_point, assigned=assigned,
                           contact_points=list(row["contact_points"])),
        )
    return dict(row)


def _of_committee(org_unit: str, committee: str) -> bool:
    """Within the committee's subtree, or a unit above it (a city department for a county sector)."""
    return orgunits.is_within(org_unit, committee) or org_unit in orgunits.ancestors_of(committee)


def visible(principal: Principal, org_unit: str) -> bool:
    """Reference data of the caller's subtree and of the units above it."""
    return (principal.may_manage(org_unit)
            or org_unit in orgunits.ancestors_of(principal.org))


async def _require_unit(uow: UnitOfWork, code: str) -> None:
    if await registry_storage.org_unit(uow.conn, code) is None:
        raise Unprocessable(f"org unit {code} is not registered")


async def _require_sectors(uow: UnitOfWork, sector_ids: list[str], org_unit: str) -> None:
    for sector_id in sector_ids:
        sector = await storage.sector(uow.conn, sector_id)
        if sector is None or sector["org_unit"] != org_unit:
            raise Unprocessable(f"sector {sector_id} is not a sector of {org_unit}")


async def _check_references(uow: UnitOfWork, data: dict, org_unit: str) -> None:
    if data.get("special_committee_id"):
        committee = await storage.special_committee(uow.conn, data["special_committee_id"])
        if committee is None or committee["org_unit"] != org_unit:
            raise Unprocessable("special_committee_id is not a committee of the member's CPPCC")
    if data.get("region") and await registry_storage.org_unit(uow.conn, data["region"]) is None:
        raise Unprocessable(f"region {data['region']} is not a registered org unit")
