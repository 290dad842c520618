"""Routes of the dispatch catalogue (派单目录) and the working-day calendar (as data)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from liaison_shared.auth import Principal, Role, current_principal, require_roles
from liaison_shared.errors import NotFound
from liaison_shared.openapi import UuidStr
from liaison_shared.paging import Page
from liaison_shared.service import runtime_of

from ..handlers import access
from ..handlers import catalogue as handlers
from ..schemas.catalogue import CalendarDay, DispatchProposal, DispatchRuleIn, DispatchRuleOut
from ..storage import catalogue as storage
from ..storage import opinions as opinion_storage

router = APIRouter()
staff = require_roles(Role.STAFF, Role.ADMIN)


@router.get("/dispatch-rules", response_model=Page[DispatchRuleOut], tags=["dispatch catalogue"],
            summary="The rules of the caller's subtree, as every list answers: {items, total}")
async def list_rules(request: Request, principal: Principal = Depends(staff)) -> Page[DispatchRuleOut]:
    async with runtime_of(request).snapshot() as conn:
        rows = await storage.dispatch_rules(conn, principal.subtree_pattern)
    items = [DispatchRuleOut(**{**dict(r), "co_departments": list(r["co_departments"])}) for r in rows]
    return Page(items=items, total=len(items))


@router.post("/dispatch-rules", response_model=DispatchRuleOut, status_code=201, tags=["dispatch catalogue"],
             summary="Add or replace the rule of a category at a unit")
async def put_rule(request: Request, body: DispatchRuleIn, principal: Principal = Depends(staff)) -> DispatchRuleOut:
    async with runtime_of(request).uow() as uow:
        row = await handlers.put_rule(uow, principal, body)
    return DispatchRuleOut(**{**row, "co_departments": list(row["co_departments"])})


@router.delete("/dispatch-rules/{rule_id}", status_code=204, tags=["dispatch catalogue"])
async def delete_rule(request: Request, rule_id: UuidStr, principal: Principal = Depends(staff)) -> None:
    async with runtime_of(request).uow() as uow:
        await handlers.delete_rule(uow, principal, rule_id)


@router.get("/opinions/{opinion_id}/dispatch-proposal", response_model=DispatchProposal | None,
            tags=["dispatch catalogue"], summary="What the catalogue proposes for a case (null: no rule)")
async def proposal(request: Request, opinion_id: UuidStr, principal: Principal = Depends(current_principal)):
    async with runtime_of(request).snapshot() as conn:
        case = await opinion_storage.opinion(conn, opinion_id)
        if case is None or principal.role not in (Role.STAFF, Role.ADMIN) or not access.handles(principal, case):
            raise NotFound(f"no opinion {opinion_id}")
        found = await handlers.dispatch_proposal(conn, case)
    return DispatchProposal(**found) if found else None


@router.get("/calendar/{year}", response_model=list[CalendarDay], tags=["calendar"],
            summary="Working-day schedule entered for a year (overrides the packaged calendar)")
async def get_calendar(request: Request, year: int = Path(..., ge=2000, le=2100),
                       principal: Principal = Depends(current_principal)) -> list[CalendarDay]:
    async with runtime_of(request).snapshot() as conn:
        return [CalendarDay(**dict(r)) for r in await storage.calendar_year(conn, year)]


@router.put("/calendar/{year}", response_model=list[CalendarDay], tags=["calendar"],
            summary="Enter a year's holidays and adjusted working days as the State Council announced them")
async def put_calendar(request: Request, body: list[CalendarDay], year: int = Path(..., ge=2000, le=2100),
                       principal: Principal = Depends(require_roles(Role.ADMIN, Role.STAFF))) -> list[CalendarDay]:
    async with runtime_of(request).uow() as uow:
        await handlers.put_calendar(uow, principal, year, body)
    return sorted(body, key=lambda d: d.day)
