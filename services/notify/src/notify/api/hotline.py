"""Routes of the cities' 12345 hotline endpoints (admins): where a hotline case's status changes go."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from liaison_shared.auth import Principal, Role, require_roles
from liaison_shared.service import runtime_of

from ..handlers import hotline as handlers
from ..schemas.hotline import HotlineEndpointIn, HotlineEndpointOut, HotlineEndpointSaved
from ..storage import hotline as storage

router = APIRouter()
admins = require_roles(Role.ADMIN)


@router.post("/hotline/endpoints", response_model=HotlineEndpointSaved, tags=["hotline"],
             summary="Create or replace a city's 12345 hotline endpoint: URL, key, field names and status codes")
async def configure_hotline(request: Request, body: HotlineEndpointIn,
                            principal: Principal = Depends(admins)) -> HotlineEndpointSaved:
    row, secret = await handlers.configure(runtime_of(request), principal, body)
    return HotlineEndpointSaved(**row, secret=secret)


@router.get("/hotline/endpoints", response_model=list[HotlineEndpointOut], tags=["hotline"],
            summary="Every city's hotline endpoint, with the mappings in force (never its key)")
async def hotline_endpoints(request: Request, principal: Principal = Depends(admins)) -> list[HotlineEndpointOut]:
    async with runtime_of(request).snapshot() as conn:
        return [HotlineEndpointOut(**handlers.shown(r)) for r in await storage.endpoints(conn)]
