"""The caller's own inbox, and the delivery log of a subtree."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from liaison_shared.auth import Principal, Role, current_principal, require_roles
from liaison_shared.openapi import UuidStr
from liaison_shared.paging import Page, PageParams, page_params
from liaison_shared.service import runtime_of

from ..domain.inbox import addressing, recipient
from ..handlers import inbox as handlers
from ..schemas.inbox import About, DeliveryOut, InboxItem, Link, Preferences, UnreadCount
from ..storage import notifications as storage

router = APIRouter()


def _opened(row) -> dict:
    return {"about": About(kind=row["about_kind"], id=row["about_id"], org_unit=row["org_unit"]),
            "link": Link(service=row["link_service"], api=row["link_api"], page=row["link_page"])}


def _item(row) -> InboxItem:
    return InboxItem(id=row["id"], event_type=row["event_type"], subject=row["subject"], body=row["body"],
                     created_at=row["created_at"], read=row["read"], **_opened(row))


@router.get("/inbox", response_model=Page[InboxItem], tags=["inbox"], summary="The caller's own notifications")
async def inbox(request: Request, page: PageParams = Depends(page_params),
                unread: bool = Query(False), principal: Principal = Depends(current_principal)) -> Page[InboxItem]:
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.inbox_page(conn, **addressing(principal), unread=unread,
                                               limit=page.limit, offset=page.offset)
    return Page(items=[_item(r) for r in rows], total=total)


@router.get("/inbox/preferences", response_model=Preferences, tags=["inbox"])
async def get_preferences(request: Request, principal: Principal = Depends(current_principal)) -> Preferences:
    async with runtime_of(request).snapshot() as conn:
        row = await storage.preferences(conn, *recipient(principal))
    return Preferences(**dict(row)) if row else Preferences()


@router.put("/inbox/preferences", response_model=Preferences, tags=["inbox"],
            summary="Language, quiet hours and a daily digest for non-urgent messages")
async def put_preferences(request: Request, body: Preferences,
                          principal: Principal = Depends(current_principal)) -> Preferences:
    return Preferences(**await handlers.set_preferences(runtime_of(request), principal, body))


@router.get("/inbox/unread-count", response_model=UnreadCount, tags=["inbox"])
async def unread(request: Request, principal: Principal = Depends(current_principal)) -> UnreadCount:
    async with runtime_of(request).snapshot() as conn:
        return UnreadCount(unread=await storage.unread_count(conn, **addressing(principal)))


@router.post("/inbox/{notification_id}/read", status_code=204, tags=["inbox"], summary="Mark read (for the caller)")
async def mark_read(request: Request, notification_id: UuidStr, principal: Principal = Depends(current_principal)) -> Response:
    async with runtime_of(request).uow() as uow:
        await handlers.mark_read(uow, principal, notification_id)
    return Response(status_code=204)


@router.get("/deliveries", response_model=Page[DeliveryOut], tags=["deliveries"],
            summary="Delivery log of the caller's subtree: status per recipient and channel")
async def deliveries(request: Request, page: PageParams = Depends(page_params), status: str | None = None,
                     channel: str | None = None,
                     principal: Principal = Depends(require_roles(Role.STAFF, Role.ADMIN))) -> Page[DeliveryOut]:
    async with runtime_of(request).snapshot() as conn:
        rows, total = await storage.deliveries_page(conn, pattern=principal.subtree_pattern,
                                                    status=status, channel=channel, limit=page.limit, offset=page.offset)
    return Page(items=[DeliveryOut(**{k: r[k] for k in DeliveryOut.model_fields if k not in ("about", "link")},
                                   **_opened(r)) for r in rows], total=total)
