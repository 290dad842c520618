"""Routes of sector activity groups (界别活动组) and their ranking."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from liaison_shared.auth import Principal, Role, current_principal
from liaison_shared.contracts.common import OrgCode
from liaison_shared.openapi import UuidStr
from liaison_shared.paging import Page, PageParams, page_params
from liaison_shared.service import runtime_of

from ..handlers import groups as handlers
from ..schemas.groups import (
    GroupActivityIn,
    GroupActivityOut,
    GroupIn,
    GroupMembersIn,
    GroupOut,
    GroupPatch,
    GroupPlanItemIn,
    GroupPlanItemOut,
    GroupRankingOut,
)
from ..storage import groups as storage
from . import managers, overseers

router = APIRouter()


def group_activity_out(row) -> GroupActivityOut:
    values = {**dict(row), "member_ids": list(row["member_ids"]), "opinion_ids": list(row["opinion_ids"])}
    return GroupActivityOut(**{k: values[k] for k in GroupActivityOut.model_fields})


def plan_item_out(row) -> GroupPlanItemOut:
    return GroupPlanItemOut(**{**dict(row), "carried_out_by": list(row["carried_out_by"])})


# Before /sector-groups/{group_id}, which would take "ranking" for an id.
@router.get("/sector-groups/ranking", response_model=GroupRankingOut, tags=["sector groups"],
            summary="先进界别活动组: a committee's groups ranked by their own year of work, each figure shown")
async def rank_sector_groups(
    request: Request, org_unit: OrgCode, year: int = Query(..., ge=2000, le=2100),
    principal: Principal = Depends(overseers),
) -> GroupRankingOut:
    async with runtime_of(request).snapshot() as conn:
        return GroupRankingOut(**await handlers.ranking(conn, principal, org_unit, year))


@router.post("/sector-groups", response_model=GroupOut, status_code=201, tags=["sector groups"],
             summary="Form a sector's activity group, with its convener and members")
async def form_sector_group(request: Request, body: GroupIn, principal: Principal = Depends(managers)) -> GroupOut:
    async with runtime_of(request).uow() as uow:
        return GroupOut(**await handlers.form_group(uow, principal, body))


@router.get("/sector-groups", response_model=Page[GroupOut], tags=["sector groups"],
            summary="Sector groups of the caller's subtree; a member's own")
async def list_sector_groups(
    request: Request, page: PageParams = Depends(page_params), sector_id: UuidStr | None = None,
    principal: Principal = Depends(current_principal),
) -> Page[GroupOut]:
    if principal.role is Role.DEPARTMENT:
        return Page(items=[], total=0)
    pattern: str | None = principal.managed_pattern
    member_id = None
    if principal.role is Role.MEMBER:
        pattern, member_id = None, principal.member_id
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.groups_page(conn, pattern=pattern, member_id=member_id,
                                                sector_id=sector_id, limit=page.limit, offset=page.offset)
    return Page(items=[GroupOut(**dict(r)) for r in rows], total=total)


@router.get("/sector-groups/{group_id}", response_model=GroupOut, tags=["sector groups"])
async def get_sector_group(
    request: Request, group_id: UuidStr, principal: Principal = Depends(current_principal)
) -> GroupOut:
    async with runtime_of(request).snapshot() as conn:
        return GroupOut(**dict(await handlers.visible_group(conn, principal, group_id)))


@router.patch("/sector-groups/{group_id}", response_model=GroupOut, tags=["sector groups"],
              summary="Rename a group or name its convener")
async def change_sector_group(
    request: Request, group_id: UuidStr, body: GroupPatch, principal: Principal = Depends(managers)
) -> GroupOut:
    async with runtime_of(request).uow() as uow:
        return GroupOut(**await handlers.change_group(uow, principal, group_id, body))


@router.post("/sector-groups/{group_id}/members", response_model=GroupOut, tags=["sector groups"],
             summary="Members of the group's sector join it (all or none)")
async def add_sector_group_members(
    request: Request, group_id: UuidStr, body: GroupMembersIn, principal: Principal = Depends(managers)
) -> GroupOut:
    async with runtime_of(request).uow() as uow:
        return GroupOut(**await handlers.add_members(uow, principal, group_id, body))


@router.delete("/sector-groups/{group_id}/members/{member_id}", response_model=GroupOut, tags=["sector groups"],
               summary="A member leaves the group (not its convener)")
async def remove_sector_group_member(
    request: Request, group_id: UuidStr, member_id: UuidStr, principal: Principal = Depends(managers)
) -> GroupOut:
    async with runtime_of(request).uow() as uow:
        return GroupOut(**await handlers.remove_member(uow, principal, group_id, member_id))


@router.get("/sector-groups/{group_id}/plan-items", response_model=list[GroupPlanItemOut], tags=["sector groups"],
            summary="活动计划: the group's plan, each item with the activities that carried it out")
async def list_sector_group_plan(
    request: Request, group_id: UuidStr, year: int | None = Query(None, ge=2000, le=2100), principal: Principal = Depends(current_principal),
) -> list[GroupPlanItemOut]:
    async with runtime_of(request).snapshot() as conn:
        rows = await handlers.plan_of(conn, principal, group_id, year)
    return [plan_item_out(r) for r in rows]


@router.post("/sector-groups/{group_id}/plan-items", response_model=GroupPlanItemOut, status_code=201, tags=["sector groups"],
             summary="Plan a group activity (the convener or staff)")
async def plan_sector_group_activity(
    request: Request, group_id: UuidStr, body: GroupPlanItemIn, principal: Principal = Depends(current_principal),
) -> GroupPlanItemOut:
    async with runtime_of(request).uow() as uow:
        return plan_item_out(await handlers.plan_activity(uow, principal, group_id, body))


@router.get("/sector-groups/{group_id}/activities", response_model=list[GroupActivityOut], tags=["sector groups"],
            summary="The activities the group held, with who attended")
async def list_sector_group_activities(
    request: Request, group_id: UuidStr, year: int | None = Query(None, ge=2000, le=2100), principal: Principal = Depends(current_principal),
) -> list[GroupActivityOut]:
    async with runtime_of(request).snapshot() as conn:
        rows = await handlers.activities_of(conn, principal, group_id, year)
    return [group_activity_out(r) for r in rows]


@router.post("/sector-groups/{group_id}/activities", response_model=GroupActivityOut, status_code=201, tags=["sector groups"],
             summary="Record an activity the group held (the convener or staff); announced as activity.logged")
async def record_sector_group_activity(
    request: Request, group_id: UuidStr, body: GroupActivityIn, principal: Principal = Depends(current_principal),
) -> GroupActivityOut:
    async with runtime_of(request).uow() as uow:
        return group_activity_out(await handlers.hold_activity(uow, principal, group_id, body))
