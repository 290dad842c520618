"""Routes of the member performance file (委员履职档案) and its print view (履职报告)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse
from liaison_shared.auth import Principal, current_principal
from liaison_shared.openapi import UuidStr
from liaison_shared.service import runtime_of

from ..domain.record import print_view
from ..handlers import record as handlers
from ..schemas.record import MemberRecordOut

router = APIRouter()
# The print view is a page, not API: left out of the OpenAPI document; its JSON twin is the record.
pages = APIRouter(include_in_schema=False)
HEADERS = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
           "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


@router.get("/members/{member_id}/record", response_model=MemberRecordOut, tags=["members"],
            summary="委员履职档案: a member's year — activities, reception days, opinions taken in and how they "
                    "ended, reports, proposals, sessions attended")
async def get_member_record(
    request: Request, member_id: UuidStr, year: int = Query(..., ge=2000, le=2100, description="The year."),
    principal: Principal = Depends(current_principal),
) -> MemberRecordOut:
    async with runtime_of(request).snapshot() as conn:
        return MemberRecordOut(**await handlers.record(conn, principal, member_id, year))


@pages.get("/members/{member_id}/record/{year}/print", response_class=HTMLResponse)
async def print_member_record(
    request: Request, member_id: UuidStr, year: int = Path(..., ge=2000, le=2100),
    principal: Principal = Depends(current_principal),
) -> HTMLResponse:
    async with runtime_of(request).snapshot() as conn:
        record = await handlers.record(conn, principal, member_id, year)
    return HTMLResponse(print_view(record), headers=HEADERS)
