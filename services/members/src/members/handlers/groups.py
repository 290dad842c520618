"""界别活动组 — sector activity groups: formed and staffed by staff of the committee, planned and
recorded by staff or the group's convener (召集人), read by its members; and their ranking.

Outside a caller's reach a group is not there (404); within it, a change the caller may not make
is 403. A group activity is a liaison activity (履职活动) like any other — in its participants'
records and scores, announced as activity.logged — that also names the group.
"""

from __future__ import annotations

import uuid

from liaison_shared import orgunits
from liaison_shared.auth import Principal, Role
from liaison_shared.chinatime import today_in_china
from liaison_shared.contracts.feedback import OutcomeConverted, ReportSubmitted
from liaison_shared.contracts.members import ActivityLogged
from liaison_shared.errors import Conflict, Forbidden, NotFound, Unprocessable
from liaison_shared.events import Envelope
from liaison_shared.inbox import EventConsumer
from liaison_shared.uow import UnitOfWork

from ..domain.groups import WEIGHTS, GroupWork, rank_groups
from ..domain.people import check_committee
from ..schemas.groups import GroupActivityIn, GroupIn, GroupMembersIn, GroupPatch, GroupPlanItemIn
from ..storage import groups as storage
from ..storage import people as people_storage
from ..storage import registry as registry_storage
from ..storage import work as work_storage
from .registry import require_manager
from .work import compute


def member_ids_of(group) -> list[str]:
    return [m["member_id"] for m in group["members"]]


def may_read_group(principal: Principal, group) -> bool:
    """Staff and leaders of the group's unit or above, admins, and the group's own members."""
    if principal.role is Role.MEMBER:
        return principal.member_id in member_ids_of(group)
    if principal.role is Role.DEPARTMENT:
        return False
    return principal.may_manage(group["org_unit"])


def may_manage_group(principal: Principal, group) -> bool:
    return principal.role is Role.ADMIN or (principal.role is Role.STAFF and principal.covers(group["org_unit"]))


def may_record_for(principal: Principal, group) -> bool:
    """Staff of the unit, admins, and the group's convener record its plan and activities."""
    return may_manage_group(principal, group) or (
        principal.role is Role.MEMBER and principal.member_id is not None
        and principal.member_id == group["convener_id"])


async def visible_group(conn, principal: Principal, group_id: str, *, for_update: bool = False):
    group = await storage.group(conn, group_id, for_update=for_update)
    if group is None or not may_read_group(principal, group):
        raise NotFound(f"no sector group {group_id}")
    return group


async def _managed_group(conn, principal: Principal, group_id: str):
    group = await visible_group(conn, principal, group_id, for_update=True)
    if not may_manage_group(principal, group):
        raise Forbidden("only staff of the group's committee or above manage a sector group")
    return group


def canonical(ids: list[str]) -> list[str]:
    """Ids as the database spells them (a UUID in capitals is the same member), each once."""
    spelt = []
    for value in ids:
        try:
            spelt.append(str(uuid.UUID(value)))
        except ValueError:
            spelt.append(value)  # no UUID: found nowhere, refused as unknown
    return list(dict.fromkeys(spelt))


async def _of_sector(conn, sector_id: str, member_ids: list[str]) -> list[str]:
    """The ids, once every one is an active member of the sector; else 422 and nothing written."""
    for member_id in member_ids:
        member = await people_storage.member(conn, member_id)
        if member is None:
            raise Unprocessable(f"no member {member_id}")
        if member["sector_id"] != sector_id:
            raise Unprocessable(f"member {member_id} is not of the group's sector: a group takes its own sector's members")
        if member["status"] != "active":
            raise Unprocessable(f"member {member_id} is no longer an active member")
    return member_ids


async def form_group(uow: UnitOfWork, principal: Principal, command: GroupIn) -> dict:
    sector = await people_storage.sector(uow.conn, command.sector_id)
    if sector is None:
        raise Unprocessable(f"no sector {command.sector_id}")
    require_manager(principal, sector["org_unit"])
    check_committee(sector["org_unit"])
    convener = canonical([command.convener_id]) if command.convener_id else []
    joining = await _of_sector(uow.conn, sector["id"], canonical([*convener, *command.member_ids]))
    group_id = await storage.insert_group(uow.conn, {
        "org_unit": sector["org_unit"], "sector_id": sector["id"], "name": command.name,
        "convener_id": convener[0] if convener else None, "created_by": principal.sub,
    })
    if group_id is None:
        raise Conflict("the sector has a group already, or its committee has a group of that name")
    await storage.add_members(uow.conn, group_id, joining)
    return dict(await storage.group(uow.conn, group_id))


async def change_group(uow: UnitOfWork, principal: Principal, group_id: str, patch: GroupPatch) -> dict:
    group = await _managed_group(uow.conn, principal, group_id)
    changes = patch.model_dump(exclude_unset=True)
    if "convener_id" in changes:
        convener = await _of_sector(uow.conn, group["sector_id"], canonical([changes["convener_id"]]))
        await storage.add_members(uow.conn, group["id"], convener)
        await storage.set_convener(uow.conn, group["id"], convener[0])
    if "name" in changes and not await storage.rename(uow.conn, group["id"], changes["name"]):
        raise Conflict("the committee has another group of that name")
    return dict(await storage.group(uow.conn, group["id"]))


async def add_members(uow: UnitOfWork, principal: Principal, group_id: str, command: GroupMembersIn) -> dict:
    group = await _managed_group(uow.conn, principal, group_id)
    joining = await _of_sector(uow.conn, group["sector_id"], canonical(command.member_ids))
    await storage.add_members(uow.conn, group["id"], joining)
    return dict(await storage.group(uow.conn, group["id"]))


async def remove_member(uow: UnitOfWork, principal: Principal, group_id: str, member_id: str) -> dict:
    group = await _managed_group(uow.conn, principal, group_id)
    member_id = canonical([member_id])[0]
    if member_id == group["convener_id"]:
        raise Conflict("the convener stays in the group: name another convener first")
    if not await storage.remove_member(uow.conn, group["id"], member_id):
        raise NotFound(f"member {member_id} is not in the group")
    return dict(await storage.group(uow.conn, group["id"]))


async def _recordable_group(conn, principal: Principal, group_id: str):
    group = await visible_group(conn, principal, group_id)
    if not may_record_for(principal, group):
        raise Forbidden("the group's convener, or staff of its committee, record its plan and activities")
    return group


async def plan_activity(uow: UnitOfWork, principal: Principal, group_id: str, command: GroupPlanItemIn) -> dict:
    group = await _recordable_group(uow.conn, principal, group_id)
    values = {**command.model_dump(), "created_by": principal.sub}
    return dict(await storage.insert_plan_item(uow.conn, group["id"], values))


async def hold_activity(uow: UnitOfWork, principal: Principal, group_id: str, command: GroupActivityIn) -> dict:
    """A group activity: where the group's committee reaches, attended by members of the group."""
    group = await _recordable_group(uow.conn, principal, group_id)
    if command.occurred_on > today_in_china():
        raise Unprocessable("an activity is recorded once it took place: occurred_on is in the future")
    if not orgunits.is_within(command.org_unit, group["org_unit"]):
        raise Unprocessable("a group activity takes place at the group's committee or a unit under it")
    if await registry_storage.org_unit(uow.conn, command.org_unit) is None:
        raise Unprocessable(f"org unit {command.org_unit} is not registered")
    attending = canonical(command.member_ids)
    if principal.role is Role.MEMBER and attending != canonical([principal.member_id or ""]):
        # As for any activity (handlers/work.py): a member credits only itself. The others are
        # credited by staff, or by checking in with the code staff show (扫码签到).
        raise Forbidden("the convener records a group activity naming only itself; staff record joint work, "
                        "or the members check in with the code staff show")
    outsiders = [m for m in attending if m not in member_ids_of(group)]
    if outsiders:
        raise Unprocessable(f"not members of the group: {', '.join(outsiders)}")
    if command.plan_item_id is not None:
        item = await storage.plan_item(uow.conn, command.plan_item_id)
        if item is None or item["group_id"] != group["id"]:
            raise Unprocessable(f"plan_item_id: no item {command.plan_item_id} in the group's plan")
        if item["year"] != command.occurred_on.year:
            raise Unprocessable("plan_item_id: the plan item is of another year's plan")
    activity_id = await work_storage.insert_activity(uow.conn, {
        "type": command.type, "title": command.title, "org_unit": command.org_unit,
        "occurred_on": command.occurred_on, "people_reached": command.people_reached, "opinion_ids": [],
        "description": command.description, "logged_by": principal.sub, "member_ids": attending,
    })
    await storage.link_activity(uow.conn, activity_id, group["id"], command.plan_item_id)
    row = await storage.group_activity(uow.conn, activity_id)
    uow.publish(ActivityLogged(
        id=row["id"], type=row["type"], title=row["title"], org_unit=row["org_unit"],
        occurred_on=row["occurred_on"].isoformat(), member_ids=list(row["member_ids"]),
        people_reached=row["people_reached"], opinion_ids=list(row["opinion_ids"]), group_id=group["id"],
    ))
    return dict(row)


async def plan_of(conn, principal: Principal, group_id: str, year: int | None) -> list[dict]:
    group = await visible_group(conn, principal, group_id)
    return [dict(r) for r in await storage.plan(conn, group["id"], year)]


async def activities_of(conn, principal: Principal, group_id: str, year: int | None) -> list[dict]:
    group = await visible_group(conn, principal, group_id)
    return [dict(r) for r in await storage.group_activities(conn, group["id"], year)]


async def ranking(conn, principal: Principal, org_unit: str, year: int) -> dict:
    """Every group of a committee's year, ranked by its own work (domain.groups)."""
    if not principal.may_manage(org_unit):
        raise NotFound(f"no committee {org_unit} in scope")
    check_committee(org_unit)
    scores = {s["member_id"]: s["total"] for s in (await compute(conn, org_unit, year))["scores"]}
    works = []
    for row in await storage.work_of_groups(conn, org_unit, year):
        members = list(row["member_ids"])
        average = sum(scores.get(m, 0.0) for m in members) / len(members) if members else 0.0
        works.append(GroupWork(
            group_id=row["group_id"], name=row["name"], sector_id=row["sector_id"], members=len(members),
            planned=int(row["planned"]), plan_items_held=int(row["plan_items_held"]),
            activities_held=int(row["activities_held"]), attendances=int(row["attendances"]),
            opinions_taken_in=int(row["opinions_taken_in"]), reports=int(row["reports"]),
            proposals=int(row["proposals"]), member_average=average,
        ))
    return {"org_unit": org_unit, "year": year, "weights": WEIGHTS,
            "groups": [r.__dict__ for r in rank_groups(works)]}


# --- what the opinions taken in at group activities led to (consumed; rebuildable) ------------


async def report_submitted(uow: UnitOfWork, envelope: Envelope, event: ReportSubmitted) -> None:
    for case_id in event.case_ids:
        await storage.add_follow_up(uow.conn, case_id, "report", event.report_id, envelope.time)


async def opinion_made_proposal(uow: UnitOfWork, envelope: Envelope, event: OutcomeConverted) -> None:
    if event.source.kind == "opinion" and event.target.kind == "proposal":
        await storage.add_follow_up(uow.conn, event.source.id, "proposal", event.target.id, envelope.time)


def keep_group_projection(consumer: EventConsumer) -> None:
    consumer.on(ReportSubmitted, rebuildable=True)(report_submitted)
    consumer.on(OutcomeConverted, rebuildable=True)(opinion_made_proposal)
