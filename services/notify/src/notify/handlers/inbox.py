"""Commands on the caller's own inbox: its preferences, and what it has read."""

from __future__ import annotations

from liaison_shared.auth import Principal
from liaison_shared.errors import NotFound
from liaison_shared.uow import UnitOfWork

from ..domain.inbox import addressing, recipient
from ..schemas.inbox import Preferences
from ..storage import notifications as storage


async def set_preferences(runtime, principal: Principal, command: Preferences) -> dict:
    """Language, quiet hours and the digest of the caller's recipient. It takes the runtime, not a
    unit of work: the cached preferences are dropped again once the change has committed."""
    kind, recipient_id = recipient(principal)
    async with runtime.uow() as uow:
        row = await storage.put_preferences(uow.conn, kind, recipient_id, command.model_dump())
    storage.PREFERENCES.invalidate((kind, recipient_id))  # nobody cached the old one in between
    return dict(row)


async def mark_read(uow: UnitOfWork, principal: Principal, notification_id: str) -> None:
    if not await storage.mark_read(uow.conn, notification_id, **addressing(principal)):
        raise NotFound(f"no notification {notification_id} in your inbox")
