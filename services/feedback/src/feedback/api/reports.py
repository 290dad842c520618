"""Routes of reports (社情民意信息, 政协专报)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from liaison_shared.auth import Principal, Role, require_roles
from liaison_shared.contracts.feedback import ReportKind
from liaison_shared.errors import NotFound
from liaison_shared.openapi import UuidStr
from liaison_shared.paging import Page, PageParams, page_params
from liaison_shared.service import runtime_of

from ..handlers import reports as handlers
from ..schemas.reports import ReportAction, ReportIn, ReportOut, ReportPatch
from ..storage import reports as storage

router = APIRouter()
staff = require_roles(Role.STAFF, Role.ADMIN)
# a member drafts, reads and acts on (confirms, submits) its own reports only (handlers.can_read)
composers = require_roles(Role.STAFF, Role.ADMIN, Role.MEMBER)
readers = require_roles(Role.STAFF, Role.LEADER, Role.ADMIN, Role.MEMBER)


def report_out(row) -> ReportOut:
    values = dict(row)
    values["member_ids"], values["case_ids"] = list(values["member_ids"]), list(values["case_ids"])
    values["confirmed_member_ids"] = list(values["confirmed_member_ids"])
    return ReportOut(**{k: values[k] for k in ReportOut.model_fields})


@router.get("/reports", response_model=Page[ReportOut], tags=["reports"])
async def list_reports(request: Request, page: PageParams = Depends(page_params), kind: ReportKind | None = None,
                       status: str | None = None, principal: Principal = Depends(readers)) -> Page[ReportOut]:
    mine = principal.acting_member_id if principal.role is Role.MEMBER else None
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.reports_page(conn,
                                                 pattern=None if mine else principal.subtree_pattern, author=mine,
                                                 kind=kind, status=status, limit=page.limit, offset=page.offset)
    return Page(items=[report_out(r) for r in rows], total=total)


@router.post("/reports", response_model=ReportOut, status_code=201, tags=["reports"],
             summary="Compose a report from one or many cases; a member drafts one with co-authors (联名)")
async def create_report(request: Request, body: ReportIn, principal: Principal = Depends(composers)) -> ReportOut:
    async with runtime_of(request).uow() as uow:
        return report_out(await handlers.compose(uow, principal, body))


@router.get("/reports/{report_id}", response_model=ReportOut, tags=["reports"])
async def get_report(request: Request, report_id: UuidStr, principal: Principal = Depends(readers)) -> ReportOut:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.report(conn, report_id)
    if row is None or not handlers.can_read(principal, row):
        raise NotFound(f"no report {report_id}")
    return report_out(row)


@router.patch("/reports/{report_id}", response_model=ReportOut, tags=["reports"])
async def edit_report(request: Request, report_id: UuidStr, body: ReportPatch,
                      principal: Principal = Depends(staff)) -> ReportOut:
    async with runtime_of(request).uow() as uow:
        return report_out(await handlers.edit(uow, principal, report_id, body))


@router.post("/reports/{report_id}/actions", response_model=ReportOut, tags=["reports"],
             summary="confirm (a co-author), submit (upward), forward (one more level), adopt or reject (the "
                     "receiving level), instruct (a leader's 批示)")
async def act_on_report(request: Request, report_id: UuidStr, body: ReportAction,
                        principal: Principal = Depends(readers)) -> ReportOut:
    async with runtime_of(request).uow() as uow:
        return report_out(await handlers.act(uow, principal, report_id, body))
