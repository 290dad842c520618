"""SMS through a gateway adapter (``SMS_GATEWAY``). The development adapter, the default, records
messages in the database and sends nothing; ``aliyun`` sends through Alibaba Cloud SMS
(``adapters.aliyun_sms``), which takes an approved template and its values, never our text.

A gateway is another system: it is called with no transaction open (``outside_transaction``),
after the delivery was claimed, and before its outcome is recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Protocol

from liaison_shared.settings import Settings
from liaison_shared.uow import outside_transaction

from ..storage import notifications as storage
from .aliyun_sms import AliyunGateway

log = logging.getLogger(__name__)


class SmsGateway(Protocol):
    async def send(self, db, *, phone: str, text: str, idempotency_key: str, template: str | None = None,
                   fields: Mapping[str, str] | None = None) -> None: ...


class DevelopmentGateway:
    """Records each message once per idempotency key, as a real gateway's dedupe would. Its
    "network" is a table, written with a statement of its own (``db``: a pool or a connection
    that holds no transaction)."""

    async def send(self, db, *, phone: str, text: str, idempotency_key: str, template: str | None = None,
                   fields: Mapping[str, str] | None = None) -> None:
        outside_transaction("an SMS")
        await storage.record_sms(db, idempotency_key=idempotency_key, phone=phone, body=text)


def gateway_for(settings: Settings) -> SmsGateway:
    return AliyunGateway(settings) if settings.sms_gateway == "aliyun" else DevelopmentGateway()


async def say_which_gateway(runtime) -> None:
    """Once at start, one line: whether SMS leave this process — and, for Alibaba Cloud, which
    templates that the rules send by SMS have no approved template code (they would fail)."""
    settings = runtime.settings
    if settings.sms_gateway == "development":
        log.warning("SMS are not sent: the development gateway writes them to notify's table sms_messages "
                    "(SMS_GATEWAY=development)")
        return
    async with runtime.uow() as uow:
        unmapped = sorted(set(await storage.sms_templates(uow.conn)) - set(settings.sms_aliyun_templates))
    log.log(logging.WARNING if unmapped else logging.INFO,
            "SMS go through Alibaba Cloud SendSms at %s%s", settings.sms_aliyun_endpoint,
            f"; no approved template for {', '.join(unmapped)} (those fail)" if unmapped else "")
