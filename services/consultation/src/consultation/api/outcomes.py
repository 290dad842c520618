"""Routes of outcomes (成果) and the dashboard of the four levels."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from liaison_shared.auth import Principal, Role, current_principal, require_roles
from liaison_shared.contracts.members import Level
from liaison_shared.errors import NotFound
from liaison_shared.openapi import UuidStr
from liaison_shared.paging import Page, PageParams, page_params
from liaison_shared.service import runtime_of

from ..domain.outcome import satisfaction_rate
from ..handlers import outcomes as handlers
from ..schemas.common import OutcomeStatus
from ..schemas.outcomes import DashboardRow, OutcomeAction, OutcomeIn, OutcomeOut
from ..storage import outcomes as storage

router = APIRouter()
overseers = require_roles(Role.STAFF, Role.LEADER, Role.ADMIN)


def outcome_out(row) -> OutcomeOut:
    values = dict(row)
    values["satisfaction_rate"] = satisfaction_rate(row["satisfied"], row["basically_satisfied"], row["unsatisfied"])
    return OutcomeOut(**{k: values[k] for k in OutcomeOut.model_fields})


@router.get("/outcomes", response_model=Page[OutcomeOut], tags=["outcomes"],
            summary="Outcomes of the caller's units; for a department, those given to it")
async def list_outcomes(request: Request, page: PageParams = Depends(page_params), topic_id: str | None = None,
                        status: OutcomeStatus | None = None,
                        principal: Principal = Depends(current_principal)) -> Page[OutcomeOut]:
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.outcomes_page(
            conn, pattern=principal.managed_pattern,
            topic_id=topic_id, status=status,
            department=principal.dept or "" if principal.role is Role.DEPARTMENT else None,
            limit=page.limit, offset=page.offset)
    return Page(items=[outcome_out(r) for r in rows], total=total)


@router.post("/outcomes", response_model=OutcomeOut, status_code=201, tags=["outcomes"],
             summary="Record a consensus point or suggestion of a consultation")
async def create_outcome(request: Request, body: OutcomeIn,
                         principal: Principal = Depends(current_principal)) -> OutcomeOut:
    async with runtime_of(request).uow() as uow:
        return outcome_out(await handlers.record(uow, principal, body))


@router.get("/outcomes/{outcome_id}", response_model=OutcomeOut, tags=["outcomes"])
async def get_outcome(request: Request, outcome_id: UuidStr,
                      principal: Principal = Depends(current_principal)) -> OutcomeOut:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.outcome(conn, outcome_id)
    if row is None or not handlers.can_read(principal, row):
        raise NotFound(f"no outcome {outcome_id}")
    return outcome_out(row)


@router.post("/outcomes/{outcome_id}/actions", response_model=OutcomeOut, tags=["outcomes"],
             summary="convert (staff), instruct (a leader's 批示 on a party report), evaluate (staff), publish (staff: 公开)")
async def act_on_outcome(request: Request, outcome_id: UuidStr, body: OutcomeAction,
                         principal: Principal = Depends(current_principal)) -> OutcomeOut:
    async with runtime_of(request).uow() as uow:
        return outcome_out(await handlers.act(uow, principal, outcome_id, body))


@router.get("/dashboard", response_model=list[DashboardRow], tags=["outcomes"],
            summary="Per level and org unit: topics by stage, conversion rate, days from formation to close")
async def dashboard(request: Request, level: Level | None = None,
                    principal: Principal = Depends(overseers)) -> list[DashboardRow]:
    async with runtime_of(request).snapshot() as conn:
        rows = await storage.dashboard(conn,
                                       pattern=principal.managed_pattern,
                                       level=level)
    return [DashboardRow(**dict(r), conversion_rate=round(r["converted"] / r["outcomes"], 4) if r["outcomes"]
                         else None) for r in rows]
