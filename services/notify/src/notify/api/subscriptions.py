"""Webhook subscriptions of other government systems, and redrive of failed deliveries."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from fastapi import APIRouter, Depends, Request, Response
from liaison_shared.auth import Principal, Role, require_roles
from liaison_shared.contracts.common import OrgCode
from liaison_shared.errors import NotFound, Unprocessable
from liaison_shared.service import runtime_of
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from ..adapters import webhooks
from ..storage import notifications as storage

router = APIRouter()
managers = require_roles(Role.STAFF, Role.ADMIN)


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=100, examples=["市12345热线平台"])
    url: HttpUrl = Field(..., description="https, at a public address (an address the operator allows in "
                                          "WEBHOOK_ALLOWLIST may be http and internal). Redirects are not followed.")
    event_types: list[str] = Field(..., min_length=1, max_length=50,
                                   examples=[["cppcc.feedback.opinion.submitted", "cppcc.feedback.opinion.replied"]],
                                   description="Types without their version, or '*' for every event.")
    org_unit: OrgCode = Field(..., description="Events of this unit and the units under it.")


class SubscriptionOut(BaseModel):
    id: str
    name: str
    url: str
    event_types: list[str]
    org_unit: str
    active: bool
    created_at: datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(..., description="The HMAC-SHA256 key of the signatures. Shown once.")


@router.post("/subscriptions", response_model=SubscriptionCreated, status_code=201, tags=["webhooks"],
             summary="Subscribe a URL to event types of a subtree; answers the signing secret once")
async def subscribe(request: Request, body: SubscriptionIn, principal: Principal = Depends(managers)) -> SubscriptionCreated:
    if not principal.may_manage(body.org_unit):
        raise NotFound(f"no org unit {body.org_unit} in your scope")
    runtime = runtime_of(request)
    values = body.model_dump(mode="json")
    try:
        await webhooks.checked_addresses(values["url"], runtime.settings)
    except webhooks.RefusedDestination as refused:
        raise Unprocessable(f"url: {refused}", code="webhook_url_refused") from None
    except webhooks.Unresolved:
        pass  # not in DNS yet: no address to refuse now, and each sending checks again
    secret, subscription_id = secrets.token_urlsafe(32), uuid.uuid4()
    async with runtime.uow() as uow:
        row = await storage.insert_subscription(
            uow.conn, subscription_id, values, webhooks.seal_secret(runtime.settings, subscription_id, secret),
            principal.sub)
    storage.SUBSCRIPTIONS.invalidate()  # again once committed: nobody cached the old list
    return SubscriptionCreated(**dict(row), secret=secret)


@router.get("/subscriptions", response_model=list[SubscriptionOut], tags=["webhooks"])
async def list_subscriptions(request: Request, principal: Principal = Depends(managers)) -> list[SubscriptionOut]:
    return [SubscriptionOut(**dict(r)) for r in await storage.subscriptions(runtime_of(request).pool,
                                                                           principal.subtree_pattern)]


@router.delete("/subscriptions/{subscription_id}", status_code=204, tags=["webhooks"])
async def unsubscribe(request: Request, subscription_id: str, principal: Principal = Depends(managers)) -> Response:
    async with runtime_of(request).uow() as uow:
        if not await storage.deactivate_subscription(uow.conn, subscription_id, principal.subtree_pattern):
            raise NotFound(f"no subscription {subscription_id}")
    storage.SUBSCRIPTIONS.invalidate()
    return Response(status_code=204)


@router.post("/deliveries/{notification_id}/redrive", status_code=204, tags=["deliveries"],
             summary="Send a failed delivery again, from its first attempt")
async def redrive(request: Request, notification_id: str, principal: Principal = Depends(managers)) -> Response:
    async with runtime_of(request).uow() as uow:
        if not await storage.redrive(uow.conn, notification_id, principal.subtree_pattern):
            raise NotFound(f"no failed delivery {notification_id}")
    return Response(status_code=204)
