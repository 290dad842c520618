"""Routes of consultation sessions (协商议事) and the opinions residents raise in them."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from liaison_shared.auth import Principal, Role, current_principal
from liaison_shared.errors import NotFound
from liaison_shared.openapi import UuidStr
from liaison_shared.paging import Page, PageParams, page_params
from liaison_shared.service import runtime_of

from ..handlers import sessions as handlers
from ..schemas.common import SessionStatus
from ..schemas.sessions import (
    SessionAction,
    SessionIn,
    SessionOpinionIn,
    SessionOpinionOut,
    SessionOut,
)
from ..storage import sessions as storage

router = APIRouter()


def session_out(row) -> SessionOut:
    values = dict(row)
    return SessionOut(**{k: values[k] for k in SessionOut.model_fields})


@router.get("/sessions", response_model=Page[SessionOut], tags=["sessions"],
            summary="Sessions of the caller's units; for a member or department, those they are invited to")
async def list_sessions(request: Request, page: PageParams = Depends(page_params), topic_id: str | None = None,
                        status: SessionStatus | None = None,
                        principal: Principal = Depends(current_principal)) -> Page[SessionOut]:
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.sessions_page(
            conn, pattern=principal.managed_pattern,
            topic_id=topic_id, status=status,
            member=principal.member_id or "" if principal.role is Role.MEMBER else None,
            department=principal.dept or "" if principal.role is Role.DEPARTMENT else None,
            limit=page.limit, offset=page.offset)
    return Page(items=[session_out(r) for r in rows], total=total)


@router.post("/sessions", response_model=SessionOut, status_code=201, tags=["sessions"],
             summary="Schedule a session of an approved topic (or a selected 小事简议); participants are invited")
async def schedule_session(request: Request, body: SessionIn,
                           principal: Principal = Depends(current_principal)) -> SessionOut:
    async with runtime_of(request).uow() as uow:
        return session_out(await handlers.schedule(uow, principal, body))


@router.get("/sessions/{session_id}", response_model=SessionOut, tags=["sessions"])
async def get_session(request: Request, session_id: UuidStr,
                      principal: Principal = Depends(current_principal)) -> SessionOut:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.session(conn, session_id)
    if row is None or not handlers.can_read(principal, row):
        raise NotFound(f"no session {session_id}")
    return session_out(row)


@router.post("/sessions/{session_id}/actions", response_model=SessionOut, tags=["sessions"],
             summary="attend (who was there), conclude (minutes, outcomes agreed), cancel")
async def act_on_session(request: Request, session_id: UuidStr, body: SessionAction,
                         principal: Principal = Depends(current_principal)) -> SessionOut:
    async with runtime_of(request).uow() as uow:
        return session_out(await handlers.act(uow, principal, session_id, body))


@router.post("/sessions/{session_id}/opinions", response_model=SessionOpinionOut, status_code=201,
             tags=["sessions"], summary="A resident's opinion raised in the session, handed to the opinion process")
async def raise_opinion(request: Request, session_id: UuidStr, body: SessionOpinionIn,
                        principal: Principal = Depends(current_principal)) -> SessionOpinionOut:
    async with runtime_of(request).uow() as uow:
        return SessionOpinionOut(**await handlers.raise_opinion(uow, principal, session_id, body))
