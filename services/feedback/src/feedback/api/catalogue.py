"""Routes of the dispatch catalogue (派单目录) and the working-day calendar (as data)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Path, Request
from liaison_shared.auth import Principal, Role, current_principal, require_roles
from liaison_shared.contracts.common import OrgCode
from liaison_shared.errors import NotFound, Unprocessable
from liaison_shared.orgunits import Level, level_of
from liaison_shared.paging import Page
from liaison_shared.service import runtime_of
from pydantic import BaseModel, ConfigDict, Field

from ..handlers import access, actions
from ..schemas.opinions import Day
from ..storage import opinions as storage

router = APIRouter()
staff = require_roles(Role.STAFF, Role.ADMIN)


class DispatchRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(..., min_length=1, max_length=50, examples=["水利"])
    org_unit: OrgCode = Field(..., description="Applies to cases arising in this unit and below.")
    lead_department: str
    co_departments: list[str] = Field(default_factory=list, max_length=10)


class DispatchRuleOut(BaseModel):
    id: str
    category: str
    org_unit: str
    lead_department: str
    co_departments: list[str]
    created_by: str
    created_at: datetime


class DispatchProposal(BaseModel):
    rule_id: str
    org_unit: str
    lead_department: str
    co_departments: list[str]


class CalendarDay(BaseModel):
    model_config = ConfigDict(extra="forbid")

    day: Day
    workday: bool
    note: str | None = Field(None, max_length=100, examples=["国庆节调休上班"])


@router.get("/dispatch-rules", response_model=Page[DispatchRuleOut], tags=["dispatch catalogue"],
            summary="The rules of the caller's subtree, as every list answers: {items, total}")
async def list_rules(request: Request, principal: Principal = Depends(staff)) -> Page[DispatchRuleOut]:
    rows = await storage.dispatch_rules(runtime_of(request).pool, principal.subtree_pattern)
    items = [DispatchRuleOut(**{**dict(r), "co_departments": list(r["co_departments"])}) for r in rows]
    return Page(items=items, total=len(items))


@router.post("/dispatch-rules", response_model=DispatchRuleOut, status_code=201, tags=["dispatch catalogue"],
             summary="Add or replace the rule of a category at a unit")
async def put_rule(request: Request, body: DispatchRuleIn, principal: Principal = Depends(staff)) -> DispatchRuleOut:
    if not principal.may_manage(body.org_unit):
        raise NotFound(f"no org unit {body.org_unit} in your scope")
    async with runtime_of(request).uow() as uow:
        await access.require_reachable(uow.conn, [body.lead_department, *body.co_departments], body.org_unit,
                                       principal)
        row = await storage.upsert_dispatch_rule(uow.conn, body.model_dump(), principal.sub)
    return DispatchRuleOut(**{**dict(row), "co_departments": list(row["co_departments"])})


@router.delete("/dispatch-rules/{rule_id}", status_code=204, tags=["dispatch catalogue"])
async def delete_rule(request: Request, rule_id: str, principal: Principal = Depends(staff)) -> None:
    async with runtime_of(request).uow() as uow:
        if not await storage.delete_dispatch_rule(uow.conn, rule_id, principal.subtree_pattern):
            raise NotFound(f"no dispatch rule {rule_id}")


@router.get("/opinions/{opinion_id}/dispatch-proposal", response_model=DispatchProposal | None,
            tags=["dispatch catalogue"], summary="What the catalogue proposes for a case (null: no rule)")
async def proposal(request: Request, opinion_id: str, principal: Principal = Depends(current_principal)):
    pool = runtime_of(request).pool
    case = await storage.opinion(pool, opinion_id)
    if case is None or principal.role not in (Role.STAFF, Role.ADMIN) or not access.handles(principal, case):
        raise NotFound(f"no opinion {opinion_id}")
    found = await actions.dispatch_proposal(pool, case)
    return DispatchProposal(**found) if found else None


@router.get("/calendar/{year}", response_model=list[CalendarDay], tags=["calendar"],
            summary="Working-day schedule entered for a year (overrides the packaged calendar)")
async def get_calendar(request: Request, year: int = Path(..., ge=2000, le=2100),
                       principal: Principal = Depends(current_principal)) -> list[CalendarDay]:
    return [CalendarDay(**dict(r)) for r in await storage.calendar_year(runtime_of(request).pool, year)]


@router.put("/calendar/{year}", response_model=list[CalendarDay], tags=["calendar"],
            summary="Enter a year's holidays and adjusted working days as the State Council announced them")
async def put_calendar(request: Request, body: list[CalendarDay], year: int = Path(..., ge=2000, le=2100),
                       principal: Principal = Depends(require_roles(Role.ADMIN, Role.STAFF))) -> list[CalendarDay]:
    if principal.role is Role.STAFF and level_of(principal.org) is not Level.CITY:
        raise NotFound("only city staff or admins keep the calendar")
    if any(d.day.year != year for d in body):
        raise Unprocessable(f"every day must be in {year}")
    async with runtime_of(request).uow() as uow:
        await storage.replace_calendar_year(uow.conn, year, [d.model_dump() for d in body])
    return sorted(body, key=lambda d: d.day)
