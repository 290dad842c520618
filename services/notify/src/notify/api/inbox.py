"""The caller's own inbox, and the delivery log of a subtree."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from liaison_shared.auth import Principal, Role, current_principal, require_roles
from liaison_shared.chinatime import ClockTime
from liaison_shared.errors import NotFound, Unprocessable
from liaison_shared.paging import Page, PageParams, page_params
from liaison_shared.service import runtime_of
from pydantic import BaseModel, ConfigDict, Field

from ..storage import notifications as storage

router = APIRouter()


class About(BaseModel):
    """What the item is about: open it with its link."""

    kind: str | None = Field(None, examples=["opinion"], description="opinion, proposal, topic, session, outcome, "
                             "report, member, department, …")
    id: str | None = None
    org_unit: str


class Link(BaseModel):
    """Where to open what an item is about."""

    service: str | None = Field(None, examples=["feedback"], description="The service that answers the API path.")
    api: str | None = Field(None, examples=["/api/v1/opinions/6f1c…"], description="API path of the thing.")
    page: str | None = Field(None, description="The portal's page of the thing, once the portal exists.")


class InboxItem(BaseModel):
    id: str
    event_type: str
    subject: str = Field(..., description="The message's subject line.")
    body: str
    about: About
    link: Link
    created_at: datetime
    read: bool


def _opened(row) -> dict:
    return {"about": About(kind=row["about_kind"], id=row["about_id"], org_unit=row["org_unit"]),
            "link": Link(service=row["link_service"], api=row["link_api"], page=row["link_page"])}


def _item(row) -> InboxItem:
    return InboxItem(id=row["id"], event_type=row["event_type"], subject=row["subject"], body=row["body"],
                     created_at=row["created_at"], read=row["read"], **_opened(row))


class UnreadCount(BaseModel):
    unread: int


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid")

    locale: Literal["zh-CN", "en"] = "zh-CN"
    quiet_from: ClockTime | None = Field(None, description="China time; with quiet_to, e.g. 22:00 to 07:30.")
    quiet_to: ClockTime | None = None
    digest: bool = Field(False, description="Non-urgent e-mail once a day (08:00) instead of at once.")


class DeliveryOut(BaseModel):
    id: str
    event_type: str
    event_id: str
    org_unit: str
    recipient_kind: str
    recipient_id: str
    channel: str
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    about: About
    link: Link


def _addressing(principal: Principal) -> dict:
    """What a caller's inbox holds: items to its member id, its department, its unit's staff or
    leaders, or to the person itself."""
    return {
        "member_id": principal.member_id if principal.role is Role.MEMBER else None,
        "dept": principal.dept if principal.role is Role.DEPARTMENT else None,
        "staff_unit": principal.org if principal.role in (Role.STAFF, Role.ADMIN) else None,
        "leader_unit": principal.org if principal.role is Role.LEADER else None,
        "sub": principal.sub,
    }


@router.get("/inbox", response_model=Page[InboxItem], tags=["inbox"], summary="The caller's own notifications")
async def inbox(request: Request, page: PageParams = Depends(page_params),
                unread: bool = Query(False), principal: Principal = Depends(current_principal)) -> Page[InboxItem]:
    rows, total = await storage.inbox_page(runtime_of(request).pool, **_addressing(principal), unread=unread,
                                           limit=page.limit, offset=page.offset)
    return Page(items=[_item(r) for r in rows], total=total)


def _recipient(principal: Principal) -> tuple[str, str]:
    """Whose preferences the caller sets: its own as a member, its department's, or its unit's staff."""
    if principal.role is Role.MEMBER:
        return "member", principal.member_id or ""
    if principal.role is Role.DEPARTMENT:
        return "department", principal.dept or ""
    if principal.role is Role.LEADER:
        return "leader", principal.org
    return "org_staff", principal.org


@router.get("/inbox/preferences", response_model=Preferences, tags=["inbox"])
async def get_preferences(request: Request, principal: Principal = Depends(current_principal)) -> Preferences:
    row = await storage.preferences(runtime_of(request).pool, *_recipient(principal))
    return Preferences(**dict(row)) if row else Preferences()


@router.put("/inbox/preferences", response_model=Preferences, tags=["inbox"],
            summary="Language, quiet hours and a daily digest for non-urgent messages")
async def put_preferences(request: Request, body: Preferences,
                          principal: Principal = Depends(current_principal)) -> Preferences:
    if (body.quiet_from is None) != (body.quiet_to is None):
        raise Unprocessable("quiet_from and quiet_to come together")
    async with runtime_of(request).uow() as uow:
        row = await storage.put_preferences(uow.conn, *_recipient(principal), body.model_dump())
    storage.PREFERENCES.invalidate(_recipient(principal))  # again once committed: nobody cached the old
    return Preferences(**dict(row))


@router.get("/inbox/unread-count", response_model=UnreadCount, tags=["inbox"])
async def unread(request: Request, principal: Principal = Depends(current_principal)) -> UnreadCount:
    return UnreadCount(unread=await storage.unread_count(runtime_of(request).pool, **_addressing(principal)))


@router.post("/inbox/{notification_id}/read", status_code=204, tags=["inbox"], summary="Mark read (for the caller)")
async def mark_read(request: Request, notification_id: str, principal: Principal = Depends(current_principal)) -> Response:
    async with runtime_of(request).uow() as uow:
        if not await storage.mark_read(uow.conn, notification_id, **_addressing(principal)):
            raise NotFound(f"no notification {notification_id} in your inbox")
    return Response(status_code=204)


@router.get("/deliveries", response_model=Page[DeliveryOut], tags=["deliveries"],
            summary="Delivery log of the caller's subtree: status per recipient and channel")
async def deliveries(request: Request, page: PageParams = Depends(page_params), status: str | None = None,
                     channel: str | None = None,
                     principal: Principal = Depends(require_roles(Role.STAFF, Role.ADMIN))) -> Page[DeliveryOut]:
    rows, total = await storage.deliveries_page(runtime_of(request).pool, pattern=principal.subtree_pattern,
                                                status=status, channel=channel, limit=page.limit, offset=page.offset)
    return Page(items=[DeliveryOut(**{k: r[k] for k in DeliveryOut.model_fields if k not in ("about", "link")},
                                   **_opened(r)) for r in rows], total=total)
