"""Route of opinions members take in (委员收集的群众意见); they list them at GET /opinions?received_by=me."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from liaison_shared.auth import Principal, Role, require_roles
from liaison_shared.service import runtime_of

from ..handlers import taken_in
from ..schemas.opinions import OpinionCreated
from ..schemas.taken_in import TakenInIn

router = APIRouter()
recorders = require_roles(Role.MEMBER, Role.STAFF, Role.ADMIN)


@router.post("/opinions/taken-in", response_model=OpinionCreated, status_code=201, tags=["opinions"],
             summary="Record an opinion a member took in (委员收集), by the member or staff on its behalf")
async def take_in_opinion(request: Request, body: TakenInIn, principal: Principal = Depends(recorders)) -> OpinionCreated:
    runtime = runtime_of(request)
    async with runtime.uow() as uow:
        created = await taken_in.take_in(uow, runtime.settings, principal, body)
    return OpinionCreated(**created)
