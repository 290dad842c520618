"""SMS through a gateway adapter. The development adapter records messages in the database.

A gateway is another system: it is called with no transaction open (``outside_transaction``),
after the delivery was claimed, and before its outcome is recorded.
"""

from __future__ import annotations

from typing import Protocol

from liaison_shared.db import outside_transaction

from ..storage import notifications as storage


class SmsGateway(Protocol):
    async def send(self, db, *, phone: str, text: str, idempotency_key: str) -> None: ...


class DevelopmentGateway:
    """Records each message once per idempotency key, as a real gateway's dedupe would. Its
    "network" is a table, written with a statement of its own (``db``: a pool or a connection
    that holds no transaction)."""

    async def send(self, db, *, phone: str, text: str, idempotency_key: str) -> None:
        outside_transaction("an SMS")
        await storage.record_sms(db, idempotency_key=idempotency_key, phone=phone, body=text)


def gateway_for(name: str) -> SmsGateway:
    return {"development": DevelopmentGateway()}[name]
