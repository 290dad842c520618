"""Routes of venues and reception days."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from liaison_shared.auth import Principal, current_principal
from liaison_shared.chinatime import day_range
from liaison_shared.contracts.common import OrgCode
from liaison_shared.contracts.members import VenueKind
from liaison_shared.errors import NotFound
from liaison_shared.openapi import UuidStr
from liaison_shared.orgunits import sql_subtree_pattern
from liaison_shared.paging import Page, PageParams, page_params
from liaison_shared.service import runtime_of

from ..handlers import venues as handlers
from ..schemas.common import Day
from ..schemas.venues import (
    ReceptionDayIn,
    ReceptionDayOut,
    VenueIn,
    VenueOut,
    VenuePatch,
)
from ..storage import venues as storage
from . import managers

router = APIRouter()


@router.get("/venues", response_model=Page[VenueOut], tags=["venues"], summary="履职平台 (public)")
async def list_venues(
    request: Request, page: PageParams = Depends(page_params),
    org_unit: OrgCode | None = None, kind: VenueKind | None = None,
) -> Page[VenueOut]:
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.venues_page(
            conn, pattern=sql_subtree_pattern(org_unit) if org_unit else "%",
            kind=kind, limit=page.limit, offset=page.offset,
        )
    return Page(items=[VenueOut(**dict(r)) for r in rows], total=total)


@router.get("/venues/{venue_id}", response_model=VenueOut, tags=["venues"], summary="One venue (public)")
async def get_venue(request: Request, venue_id: UuidStr) -> VenueOut:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.venue(conn, venue_id)
    if row is None:
        raise NotFound(f"no venue {venue_id}")
    return VenueOut(**dict(row))


@router.post("/venues", response_model=VenueOut, status_code=201, tags=["venues"])
async def create_venue(request: Request, body: VenueIn, principal: Principal = Depends(managers)) -> VenueOut:
    async with runtime_of(request).uow() as uow:
        return VenueOut(**await handlers.register_venue(uow, principal, body.model_dump(mode="json")))


@router.patch("/venues/{venue_id}", response_model=VenueOut, tags=["venues"])
async def patch_venue(
    request: Request, venue_id: UuidStr, body: VenuePatch, principal: Principal = Depends(managers)
) -> VenueOut:
    async with runtime_of(request).uow() as uow:
        row = await handlers.change_venue(uow, principal, venue_id, body.model_dump(mode="json", exclude_unset=True))
    return VenueOut(**row)


@router.get("/reception-days", response_model=Page[ReceptionDayOut], tags=["reception days"],
            summary="委员接待日, filterable by org unit and date (public)")
async def list_reception_days(
    request: Request, page: PageParams = Depends(page_params),
    org_unit: OrgCode | None = None, member_id: str | None = None, venue_id: str | None = None,
    date_from: Day | None = None, date_to: Day | None = None,
) -> Page[ReceptionDayOut]:
    """Dates are China time; ``date_to`` is inclusive."""
    start, end = day_range(date_from, date_to)
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.reception_days_page(
            conn, pattern=sql_subtree_pattern(org_unit) if org_unit else "%",
            member_id=member_id, venue_id=venue_id, date_from=start, date_to=end,
            limit=page.limit, offset=page.offset,
        )
    return Page(items=[ReceptionDayOut(**dict(r)) for r in rows], total=total)


@router.post("/reception-days", response_model=ReceptionDayOut, status_code=201, tags=["reception days"])
async def create_reception_day(
    request: Request, body: ReceptionDayIn, principal: Principal = Depends(current_principal)
) -> ReceptionDayOut:
    async with runtime_of(request).uow() as uow:
        return ReceptionDayOut(**await handlers.schedule_reception_day(uow, principal, body.model_dump()))
