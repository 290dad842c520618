"""Webhook subscriptions of other government systems, and redrive of failed deliveries."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from liaison_shared.auth import Principal, Role, require_roles
from liaison_shared.openapi import UuidStr
from liaison_shared.service import runtime_of

from ..handlers import subscriptions as handlers
from ..schemas.subscriptions import (
    SecretRotated,
    SecretRotation,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
)
from ..storage import notifications as storage

router = APIRouter()
managers = require_roles(Role.STAFF, Role.ADMIN)


@router.post("/subscriptions", response_model=SubscriptionCreated, status_code=201, tags=["webhooks"],
             summary="Subscribe a URL to event types of a subtree; answers the signing secret once")
async def subscribe(request: Request, body: SubscriptionIn, principal: Principal = Depends(managers)) -> SubscriptionCreated:
    row, secret = await handlers.subscribe(runtime_of(request), principal, body)
    return SubscriptionCreated(**row, secret=secret)


@router.get("/subscriptions", response_model=list[SubscriptionOut], tags=["webhooks"])
async def list_subscriptions(request: Request, principal: Principal = Depends(managers)) -> list[SubscriptionOut]:
    async with runtime_of(request).snapshot() as conn:
        return [SubscriptionOut(**dict(r)) for r in await storage.subscriptions(conn,
                                                                               principal.subtree_pattern)]


@router.post("/subscriptions/{subscription_id}/secret", response_model=SecretRotated, tags=["webhooks"],
             summary="Rotate the signing secret; the old one signs beside it for the overlap")
async def rotate_secret(request: Request, subscription_id: UuidStr, body: SecretRotation | None = None,
                        principal: Principal = Depends(managers)) -> SecretRotated:
    row, secret = await handlers.rotate_secret(runtime_of(request), principal, subscription_id,
                                               body or SecretRotation())
    return SecretRotated(**row, secret=secret)


@router.delete("/subscriptions/{subscription_id}", status_code=204, tags=["webhooks"])
async def unsubscribe(request: Request, subscription_id: UuidStr, principal: Principal = Depends(managers)) -> Response:
    await handlers.unsubscribe(runtime_of(request), principal, subscription_id)
    return Response(status_code=204)


@router.post("/deliveries/{notification_id}/redrive", status_code=204, tags=["deliveries"],
             summary="Send a failed delivery again, from its first attempt")
async def redrive(request: Request, notification_id: UuidStr, principal: Principal = Depends(managers)) -> Response:
    async with runtime_of(request).uow() as uow:
        await handlers.redrive(uow, principal, notification_id)
    return Response(status_code=204)
