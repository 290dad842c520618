"""Webhook subscriptions of other government systems, and redrive of a failed delivery."""

from __future__ import annotations

import secrets
import uuid

from liaison_shared.auth import Principal
from liaison_shared.db import as_uuid
from liaison_shared.errors import NotFound, Unprocessable
from liaison_shared.uow import UnitOfWork

from ..adapters import webhooks
from ..schemas.subscriptions import SecretRotation, SubscriptionIn
from ..storage import notifications as storage


async def subscribe(runtime, principal: Principal, command: SubscriptionIn) -> tuple[dict, str]:
    """The subscription and its signing secret (shown once). It takes the runtime, not a unit of
    work: the URL's host is looked up before any transaction opens, and the cached list of
    subscriptions is dropped again once the new one has committed."""
    if not principal.may_manage(command.org_unit):
        raise NotFound(f"no org unit {command.org_unit} in your scope")
    values = command.model_dump(mode="json")
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
    storage.SUBSCRIPTIONS.invalidate()  # nobody cached the old list in between
    return dict(row), secret


async def rotate_secret(runtime, principal: Principal, subscription_id: str,
                        command: SecretRotation) -> tuple[dict, str]:
    """A new signing secret (shown once); the old one keeps signing beside it for the overlap, so
    a receiver can change its secret any time within it without refusing a genuine delivery."""
    key = as_uuid(subscription_id)
    if key is None:
        raise NotFound(f"no subscription {subscription_id}")
    secret = secrets.token_urlsafe(32)
    sealed = webhooks.seal_secret(runtime.settings, key, secret)
    async with runtime.uow() as uow:
        row = await storage.rotate_secret(uow.conn, key, principal.subtree_pattern, sealed,
                                          command.overlap_hours * 3600.0)
        if row is None:
            raise NotFound(f"no subscription {subscription_id}")
    return dict(row), secret


async def unsubscribe(runtime, principal: Principal, subscription_id: str) -> None:
    async with runtime.uow() as uow:
        if not await storage.deactivate_subscription(uow.conn, subscription_id, principal.subtree_pattern):
            raise NotFound(f"no subscription {subscription_id}")
    storage.SUBSCRIPTIONS.invalidate()


async def redrive(uow: UnitOfWork, principal: Principal, notification_id: str) -> None:
    """A failed delivery of the caller's subtree goes out again, from its first attempt."""
    if not await storage.redrive(uow.conn, notification_id, principal.subtree_pattern):
        raise NotFound(f"no failed delivery {notification_id}")
