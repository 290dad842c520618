"""SMS through a gateway adapter. The development adapter records messages in the database."""

from __future__ import annotations

from typing import Protocol


class SmsGateway(Protocol):
    async def send(self, conn, *, phone: str, text: str, idempotency_key: str) -> None: ...


class DevelopmentGateway:
    """Records each message once per idempotency key, as a real gateway's dedupe would."""

    async def send(self, conn, *, phone: str, text: str, idempotency_key: str) -> None:
        await conn.execute(
            "INSERT INTO sms_messages (idempotency_key, phone, body) VALUES ($1, $2, $3)"
            " ON CONFLICT (idempotency_key) DO NOTHING", idempotency_key, phone, text)


def gateway_for(name: str) -> SmsGateway:
    return {"development": DevelopmentGateway()}[name]
