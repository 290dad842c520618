"""Routes for the other services' own use, not for people."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from liaison_shared.auth import Principal, notify_service
from liaison_shared.errors import NotFound
from liaison_shared.openapi import UuidStr
from liaison_shared.service import runtime_of

from ..schemas.people import MemberContact
from ..storage import people as storage

router = APIRouter()


@router.get("/internal/members/{member_id}/contact", response_model=MemberContact, tags=["internal"],
            summary="A member's e-mail and phone, for the notify service only")
async def member_contact(request: Request, member_id: UuidStr,
                         _: Principal = Depends(notify_service)) -> MemberContact:
    runtime = runtime_of(request)
    async with runtime.snapshot() as conn:
        row = await storage.member(conn, member_id)
    if row is None or row["status"] != "active" or not (row["email"] or row["phone"]):
        raise NotFound("no contact for this member")
    return MemberContact(email=row["email"], phone=row["phone"])
