"""Routes of proposals (提案), their sessions and figures."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from liaison_shared.auth import Principal, Role, current_principal, require_roles
from liaison_shared.contracts.common import OrgCode
from liaison_shared.errors import NotFound
from liaison_shared.openapi import UuidStr
from liaison_shared.orgunits import sql_subtree_pattern
from liaison_shared.paging import Page, PageParams, page_params
from liaison_shared.service import runtime_of

from ..handlers import proposals as handlers
from ..schemas.proposals import (
    HandlingUnit,
    HistoryEntry,
    ProposalAction,
    ProposalFigures,
    ProposalIn,
    ProposalOut,
    SessionIn,
    SessionOut,
)
from ..storage import proposals as storage

router = APIRouter()
staff = require_roles(Role.STAFF, Role.ADMIN)
overseers = require_roles(Role.STAFF, Role.LEADER, Role.ADMIN)


async def _detail(request: Request, row) -> ProposalOut:
    pool = runtime_of(request).pool
    return ProposalOut(
        **{k: row[k] for k in ProposalOut.model_fields if k not in ("units", "history")},
        units=[HandlingUnit(**{k: u[k] for k in HandlingUnit.model_fields}) for u in await storage.units(pool, row["id"])],
        history=[HistoryEntry(**dict(h)) for h in await storage.history(pool, row["id"])],
    )


@router.put("/proposal-sessions/{committee}/{year}", response_model=SessionOut, tags=["proposals"],
            summary="The filing window of a committee's session year")
async def put_session(request: Request, body: SessionIn, committee: OrgCode,
                      year: int = Path(..., ge=2000, le=2100), principal: Principal = Depends(staff)) -> SessionOut:
    async with runtime_of(request).uow() as uow:
        row = await handlers.put_session(uow, principal, committee, year, body.filing_opens, body.filing_closes)
    return SessionOut(**row)


@router.get("/proposals", response_model=Page[ProposalOut], tags=["proposals"],
            summary="A member's own and co-signed; a department's assigned; staff and leaders their committees'")
async def list_proposals(request: Request, page: PageParams = Depends(page_params), status: str | None = None,
                         year: int | None = Query(None, ge=2000, le=2100),
                         principal: Principal = Depends(current_principal)) -> Page[ProposalOut]:
    pattern = member = department = None
    if principal.role is Role.MEMBER:
        member = principal.member_id
    elif principal.role is Role.DEPARTMENT:
        department = principal.dept
    elif principal.role is not Role.ADMIN:
        pattern = principal.subtree_pattern
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.proposals_page(conn, pattern=pattern, member_id=member,
                                                   department_id=department, status=status, year=year,
                                                   limit=page.limit, offset=page.offset)
    return Page(items=[ProposalOut(**{k: r[k] for k in ProposalOut.model_fields if k not in ("units", "history")})
                       for r in rows], total=total)


@router.post("/proposals", response_model=ProposalOut, status_code=201, tags=["proposals"],
             summary="Draft a proposal (a member's own or joint; staff for a sector, committee or party group)")
async def create_proposal(request: Request, body: ProposalIn, principal: Principal = Depends(current_principal)) -> ProposalOut:
    async with runtime_of(request).uow() as uow:
        row = await handlers.draft(uow, principal, body)
    return await _detail(request, row)


@router.get("/proposals/stats", response_model=list[ProposalFigures], tags=["proposals"],
            summary="Filing, reply, on-time, A/B and satisfaction rates by committee, sector, unit or year")
async def proposal_stats(request: Request, committee: OrgCode | None = None,
                         year: int | None = Query(None, ge=2000, le=2100),
                         group_by: Literal["committee", "sector", "unit", "year"] = "committee",
                         principal: Principal = Depends(overseers)) -> list[ProposalFigures]:
    unit = committee or principal.org
    if not principal.may_manage(unit):
        raise NotFound(f"no committee {unit} in your scope")
    async with runtime_of(request).snapshot() as conn:
        rows = await storage.figures(conn, pattern=sql_subtree_pattern(unit), year=year,
                                     group_by=group_by)

    def rate(a, b):
        return round(a / b, 4) if b else None

    return [ProposalFigures(key=r["key"], filed=r["filed"], accepted=r["accepted"],
                            filing_rate=rate(r["accepted"], r["filed"]), reply_rate=rate(r["replied"], r["assigned"]),
                            on_time_rate=rate(r["on_time"], r["timed"]), ab_share=rate(r["class_ab"], r["replied"]),
                            satisfaction_rate=rate(r["satisfied"], r["evaluated"])) for r in rows]


@router.get("/proposals/{proposal_id}", response_model=ProposalOut, tags=["proposals"])
async def get_proposal(request: Request, proposal_id: UuidStr, principal: Principal = Depends(current_principal)) -> ProposalOut:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.proposal(conn, proposal_id)
        units = await storage.units(conn, proposal_id) if row else []
    if row is None or not handlers.can_read(principal, row, handlers.handling_departments(units)):
        raise NotFound(f"no proposal {proposal_id}")
    return await _detail(request, row)


@router.post("/proposals/{proposal_id}/actions", response_model=ProposalOut, tags=["proposals"],
             summary="sign, file, accept, reject, merge, assign, return, extend, opinion, reply, evaluate, mark_key, progress, close")
async def act_on_proposal(request: Request, proposal_id: UuidStr, body: ProposalAction,
                          principal: Principal = Depends(current_principal)) -> ProposalOut:
    runtime = runtime_of(request)
    async with runtime.uow() as uow:
        row = await handlers.act(uow, runtime.settings, principal, proposal_id, body)
    return await _detail(request, row)
