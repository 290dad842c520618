"""Routes of check-in (扫码签到): the organiser's code and QR, a member's check-in, who checked in."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from liaison_shared.auth import Principal, current_principal
from liaison_shared.openapi import UuidStr
from liaison_shared.paging import Page, PageParams, page_params
from liaison_shared.service import runtime_of

from ..handlers import checkins as handlers
from ..schemas.checkins import AttendeeOut, CheckInCodeOut, CheckInIn, CheckInOut, Occasion
from . import managers, overseers

router = APIRouter()


@router.get("/check-in-codes/{occasion}/{occasion_id}", response_model=CheckInCodeOut, tags=["check-in"],
            summary="A fresh signed check-in code of an activity, reception day or session whose window is open, "
                    "with its link and QR code (SVG) for the organiser's screen; 409 outside the window")
async def get_check_in_code(request: Request, response: Response, occasion: Occasion, occasion_id: UuidStr,
                            principal: Principal = Depends(managers)) -> CheckInCodeOut:
    runtime = runtime_of(request)
    response.headers["Cache-Control"] = "no-store"  # a capability: never kept by a cache
    async with runtime.snapshot() as conn:
        return CheckInCodeOut(**await handlers.code_for(conn, runtime.settings, principal, occasion, occasion_id))


@router.post("/check-ins", response_model=CheckInOut, status_code=201, tags=["check-in"],
             summary="A member checks in with the code it scanned: 201 recorded present; 200 already recorded "
                     "(nothing changed); 409 expired code or outside the window; 403 not a genuine code",
             responses={200: {"model": CheckInOut, "description": "Already recorded: nothing changed."}})
async def check_in(request: Request, response: Response, body: CheckInIn,
                   principal: Principal = Depends(current_principal)) -> CheckInOut:
    runtime = runtime_of(request)
    async with runtime.uow() as uow:
        answer, created = await handlers.check_in(uow, runtime.settings, principal, body.code)
    if not created:
        response.status_code = 200
    return CheckInOut(**answer)


@router.get("/check-ins", response_model=Page[AttendeeOut], tags=["check-in"],
            summary="Who checked in at an occasion (staff and leaders of its unit or above)")
async def list_check_ins(request: Request, occasion: Occasion, occasion_id: UuidStr = Query(...),
                         page: PageParams = Depends(page_params),
                         principal: Principal = Depends(overseers)) -> Page[AttendeeOut]:
    runtime = runtime_of(request)
    async with runtime.snapshot() as conn:
        rows, total = await handlers.attendance(conn, runtime.settings, principal, occasion, occasion_id,
                                                limit=page.limit, offset=page.offset)
    return Page(items=[AttendeeOut(**r) for r in rows], total=total)
