"""Routes of the 12345 hotline's cases: the batch import, and finding a case by its number."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from liaison_shared.auth import Principal, Role, require_roles
from liaison_shared.errors import Unprocessable
from liaison_shared.paging import Page, PageParams, page_params
from liaison_shared.service import runtime_of

from ..domain import hotline as rows_of
from ..handlers import hotline
from ..schemas.hotline import HotlineCaseOut, HotlineImportReport
from ..storage import hotline as storage

router = APIRouter()
importers = require_roles(Role.STAFF, Role.ADMIN)
readers = require_roles(Role.STAFF, Role.LEADER, Role.ADMIN)
KINDS = {"text/csv": "csv", "text/plain": "csv", "application/json": "json"}

CSV_EXAMPLE = ("工单号,来电时间,问题分类,诉求内容,来电人,联系电话,同意留存个人信息,区划代码,紧急程度\n"
               "SZS2026120600123,2026-12-06 09:30,水利,村口灌溉渠堵塞，影响春灌,张三,13812345678,是,640221100201,一般\n")


@router.post(
    "/hotline/imports", response_model=HotlineImportReport, tags=["hotline"],
    summary="Import 12345 hotline cases (CSV or JSON); row by row, idempotent on the case number (工单号)",
    openapi_extra={"requestBody": {"required": True, "content": {
        "text/csv": {"schema": {"type": "string", "format": "binary"}, "example": CSV_EXAMPLE},
        # read row by row, so that a bad case is reported and the others still imported: a schema
        # on the route would refuse them all. The fields are HotlineCaseIn's (docs/hotline.md).
        "application/json": {"schema": {
            "type": "array", "items": {"type": "object", "additionalProperties": True},
            "description": "The cases, each with the fields of docs/hotline.md; {\"cases\": [...]} is read the same."}},
    }}},
)
async def import_hotline_cases(request: Request, principal: Principal = Depends(importers)) -> HotlineImportReport:
    runtime = runtime_of(request)
    kind = KINDS.get(request.headers.get("content-type", "").split(";", 1)[0].strip().lower())
    if kind is None:
        raise Unprocessable("send the cases as text/csv or application/json")
    try:
        rows = rows_of.file_rows(await request.body(), kind, max_rows=runtime.settings.hotline_import_max_rows)
    except rows_of.BadFile as bad:
        raise Unprocessable(str(bad)) from None
    return HotlineImportReport(**await hotline.import_cases(runtime, principal, rows))


@router.get("/hotline/cases", response_model=Page[HotlineCaseOut], tags=["hotline"],
            summary="Cases imported from the hotline in the caller's subtree, newest first; by case number")
async def hotline_cases(
    request: Request, page: PageParams = Depends(page_params),
    case_number: str | None = Query(None, max_length=64, description="The hotline's case number (工单号)."),
    principal: Principal = Depends(readers),
) -> Page[HotlineCaseOut]:
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.cases_page(conn, pattern=principal.managed_pattern,
                                               case_number=case_number, limit=page.limit, offset=page.offset)
    return Page(items=[HotlineCaseOut(**dict(r)) for r in rows], total=total)
