"""Routes staff use to issue and revoke the api_keys of civic apps speaking Open311."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from liaison_shared.auth import Principal, Role, require_roles
from liaison_shared.openapi import UuidStr
from liaison_shared.paging import Page
from liaison_shared.service import runtime_of

from ..handlers import open311 as handlers
from ..schemas.open311 import ClientIn, ClientIssued, ClientOut
from ..storage import open311 as storage

router = APIRouter()
staff = require_roles(Role.STAFF, Role.ADMIN)


@router.post("/open311/clients", response_model=ClientIssued, status_code=201, tags=["open311"],
             summary="Issue an api_key to a civic app for a unit of the caller's scope; the key is shown once")
async def issue_open311_client(request: Request, body: ClientIn, principal: Principal = Depends(staff)) -> ClientIssued:
    async with runtime_of(request).uow() as uow:
        return ClientIssued(**await handlers.issue_client(uow, principal, body))


@router.get("/open311/clients", response_model=Page[ClientOut], tags=["open311"],
            summary="The civic apps holding a key for a unit of the caller's scope (never the keys)")
async def list_open311_clients(request: Request, principal: Principal = Depends(staff)) -> Page[ClientOut]:
    async with runtime_of(request).snapshot() as conn:
        rows = await storage.clients(conn, principal.managed_pattern)
    return Page(items=[ClientOut(**dict(r)) for r in rows], total=len(rows))


@router.delete("/open311/clients/{client_id}", response_model=ClientOut, tags=["open311"],
               summary="Revoke a civic app's key: its requests are refused from now on (403)")
async def revoke_open311_client(request: Request, client_id: UuidStr,
                                principal: Principal = Depends(staff)) -> ClientOut:
    async with runtime_of(request).uow() as uow:
        return ClientOut(**await handlers.revoke_client(uow, principal, client_id))
