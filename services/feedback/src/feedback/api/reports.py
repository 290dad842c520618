"""Routes of reports (社情民意信息, 政协专报)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from liaison_shared.auth import Principal, Role, require_roles
from liaison_shared.contracts.common import OrgCode
from liaison_shared.errors import NotFound
from liaison_shared.paging import Page, PageParams, page_params
from liaison_shared.service import runtime_of
from pydantic import BaseModel, ConfigDict, Field

from ..handlers import reports as handlers
from ..storage import reports as storage

router = APIRouter()
staff = require_roles(Role.STAFF, Role.ADMIN)
readers = require_roles(Role.STAFF, Role.LEADER, Role.ADMIN)
Kind = Literal["public_opinion_report", "special_report"]
Id = Annotated[str, Field(min_length=1, max_length=64)]


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: Kind
    title: str = Field(..., min_length=1, max_length=200)
    body: str = Field("", max_length=50_000)
    org_unit: OrgCode | None = Field(None, description="The composing unit; the caller's by default.")
    case_ids: list[Id] = Field(default_factory=list, max_length=200)
    member_ids: list[Id] = Field(default_factory=list, max_length=50,
                                 description="Authors: active members of the composing unit's committee or below.")


class ReportPatch(BaseModel):
    """Only the fields sent change. None here means "not sent": a field is never nulled, so an
    explicit null fails its type (422) and the schema says so."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(None, min_length=1, max_length=200)
    body: str = Field(None, max_length=50_000)
    member_ids: list[Id] = Field(None, max_length=50,
                                 description="Authors: active members of the composing unit's committee or below.")


class ReportAction(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["submit", "adopt", "reject", "instruct"]
    adopted_by: Literal["city", "province", "national"] | None = None
    text: str | None = Field(None, max_length=4000, description="The leader's instruction (批示).")


class Instruction(BaseModel):
    text: str
    leader_org: str
    at: datetime


class ReportOut(BaseModel):
    id: str
    kind: Kind
    title: str
    body: str
    org_unit: str
    member_ids: list[str]
    case_ids: list[str]
    status: str
    submitted_to: str | None
    adopted_by: str | None
    instructions: list[Instruction]
    created_at: datetime
    updated_at: datetime


def report_out(row) -> ReportOut:
    values = dict(row)
    values["member_ids"], values["case_ids"] = list(values["member_ids"]), list(values["case_ids"])
    return ReportOut(**{k: values[k] for k in ReportOut.model_fields})


@router.get("/reports", response_model=Page[ReportOut], tags=["reports"])
async def list_reports(request: Request, page: PageParams = Depends(page_params), kind: Kind | None = None,
                       status: str | None = None, principal: Principal = Depends(readers)) -> Page[ReportOut]:
    rows, total = await storage.reports_page(runtime_of(request).pool, pattern=principal.subtree_pattern,
                                             kind=kind, status=status, limit=page.limit, offset=page.offset)
    return Page(items=[report_out(r) for r in rows], total=total)


@router.post("/reports", response_model=ReportOut, status_code=201, tags=["reports"],
             summary="Compose a report from one or many cases")
async def create_report(request: Request, body: ReportIn, principal: Principal = Depends(staff)) -> ReportOut:
    async with runtime_of(request).uow() as uow:
        return report_out(await handlers.compose(uow, principal, body.model_dump()))


@router.get("/reports/{report_id}", response_model=ReportOut, tags=["reports"])
async def get_report(request: Request, report_id: str, principal: Principal = Depends(readers)) -> ReportOut:
    row = await storage.report(runtime_of(request).pool, report_id)
    if row is None or not handlers.can_read(principal, row):
        raise NotFound(f"no report {report_id}")
    return report_out(row)


@router.patch("/reports/{report_id}", response_model=ReportOut, tags=["reports"])
async def edit_report(request: Request, report_id: str, body: ReportPatch,
                      principal: Principal = Depends(staff)) -> ReportOut:
    async with runtime_of(request).uow() as uow:
        return report_out(await handlers.edit(uow, principal, report_id, body.model_dump(exclude_unset=True)))


@router.post("/reports/{report_id}/actions", response_model=ReportOut, tags=["reports"],
             summary="submit (upward), adopt or reject (the receiving level), instruct (a leader's 批示)")
async def act_on_report(request: Request, report_id: str, body: ReportAction,
                        principal: Principal = Depends(readers)) -> ReportOut:
    async with runtime_of(request).uow() as uow:
        return report_out(await handlers.act(uow, principal, report_id, body.model_dump(exclude_none=True)))
