"""Turning events into notifications (in the inbox transaction), and sending e-mail.

Each (event, recipient, channel) is one row under a unique key, written in the same
transaction as the inbox row of the event: a redelivered event finds both and sends
nothing twice. Inbox items are delivered by being written; e-mail goes out from a worker
that retries with exponential backoff and marks what it sent. A crash between the SMTP
send and the mark resends that one message — with the same Message-ID (the notification
id), which mail systems use to drop the duplicate.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from datetime import UTC, datetime, timedelta
from email.utils import formatdate

import aiosmtplib
import httpx
from liaison_shared import orgunits
from liaison_shared.chinatime import CHINA
from liaison_shared.contracts.notify import NotificationFailed, NotificationSent
from liaison_shared.db import UnitOfWork
from liaison_shared.events import Envelope, Event
from liaison_shared.servicetoken import ServiceToken, TokenRefused

from .. import webhooks
from ..domain import labels
from ..domain.about import about
from ..domain.rules import DEFAULT_LOCALE, Rule, is_urgent, quiet_until, recipients, render
from ..sms import gateway_for
from ..storage import notifications as storage
from ..webhooks import DeliveryRefused

log = logging.getLogger(__name__)


def _unversioned(type_name: str) -> str:
    return type_name.rsplit(".", 1)[0]


async def _address(conn, kind: str, recipient_id: str, settings=None, channel: str = "email") -> str | None:
    """E-mail and SMS go to the duty contact of a department or an org unit (projected from
    members' events), or to a member's own address, which members gives notify for the message."""
    field = "duty_phone" if channel == "sms" else "duty_email"
    if kind == "department":
        row = await storage.department(conn, recipient_id)
    elif kind == "org_staff":
        row = await storage.org_unit(conn, recipient_id)
    elif kind == "member" and settings is not None:
        contact = await _service_get(settings, settings.members_url or settings.base_url_of("members"),
                                     f"/api/v1/internal/members/{recipient_id}/contact")
        return contact.get("phone" if channel == "sms" else "email") if contact else None
    else:
        return None
    return row[field] if row else None


async def _service_get(settings, base: str, path: str) -> dict | None:
    """GET another service's internal route as the notify service; None for a 404."""
    source = service_token(settings)
    async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
        response = await client.get(f"{base}{path}", headers={"Authorization": f"Bearer {await source.get()}"})
    if response.status_code == 401:
        source.forget()  # expired or revoked early: the next delivery asks the issuer again
    if response.status_code == 404:
        return None
    response.raise_for_status()
    return response.json()


_TOKENS: dict[tuple, ServiceToken] = {}


def service_token(settings) -> ServiceToken:
    """One token source per configuration (one per process in production): its token is cached."""
    key = (settings.auth_token_url, settings.service_client_id, settings.service_client_secret,
           settings.notify_service_token)
    if key not in _TOKENS:
        _TOKENS[key] = ServiceToken(settings)
    return _TOKENS[key]


async def notify(uow: UnitOfWork, envelope: Envelope, event: Event) -> None:
    data = event.model_dump(mode="json")
    await _webhooks(uow, envelope, data)
    event_type = _unversioned(envelope.type)
    rules = [Rule(r["recipient"], r["field"], tuple(r["channels"]), r["template"], _only_if(r["only_if"]))
             for r in await storage.rules_for(uow.conn, event_type)]
    if not rules:
        return
    data = {**data, **await _people(uow.conn, data)}
    urgent = is_urgent(event_type, data)
    thing = about(event_type, data, envelope.orgunit, envelope.subject)
    context = {**data, **await _context(uow.conn, data, envelope), "about_kind": thing.kind, "about_id": thing.id,
               "about_title": thing.title}
    enums = labels.enum_fields(type(event))
    seen: set[tuple] = set()
    for delivery in recipients(rules, data):
        if (delivery.recipient_kind, delivery.recipient_id, delivery.channel) in seen:
            continue  # two rules reaching one recipient on one channel: one notification
        seen.add((delivery.recipient_kind, delivery.recipient_id, delivery.channel))
        prefs = await storage.preferences(uow.conn, delivery.recipient_kind, delivery.recipient_id)
        locale = prefs["locale"] if prefs else DEFAULT_LOCALE
        text = await storage.template(uow.conn, delivery.template, locale)
        if text is None:
            raise ValueError(f"no template {delivery.template}")
        # the citizen's {link} is filled at sending, when feedback gives the tracking code for that one message
        link = "{link}" if delivery.recipient_kind == "submitter" else thing.api or "—"
        fields = {**labels.present(context, locale, enums=enums), "link": link}
        timing = _timing(prefs, delivery.channel, urgent)
        address = None
        if delivery.channel in ("email", "sms") and delivery.recipient_kind != "submitter":
            address = await _address(uow.conn, delivery.recipient_kind, delivery.recipient_id,
                                     uow.settings, delivery.channel)
            if not address:
                continue  # nobody to write to: the inbox item still reaches them
        created = storage.insert_later(uow, {
            "event_source": envelope.source, "event_id": envelope.id, "event_type": envelope.type,
            "org_unit": envelope.orgunit, "recipient_kind": delivery.recipient_kind,
            "recipient_id": delivery.recipient_id, "channel": delivery.channel, "address": address,
            "subject": render(text["subject"], fields), "body": render(text["body"], fields),
            "status": "sent" if delivery.channel == "inbox" else "pending", "urgent": urgent, **timing,
            "about_kind": thing.kind, "about_id": thing.id, "link_service": thing.service, "link_api": thing.api,
        })
        if delivery.channel == "inbox":
            uow.publish(NotificationSent(
                notification_id=created, org_unit=envelope.orgunit, event_type_name=envelope.type,
                event_id=envelope.id, recipient_kind=delivery.recipient_kind,
                recipient_id=delivery.recipient_id, channel="inbox"),
                subject=created, org_unit=envelope.orgunit)


def _only_if(value) -> dict | None:
    return json.loads(value) if isinstance(value, str) else value


async def _people(conn, data: dict) -> dict:
    """Who took part in the event's topic, for rules that tell them (``topic_member_ids``)."""
    if not data.get("topic_id"):
        return {}
    row = await storage.topic_people(conn, data["topic_id"])
    return {"topic_member_ids": list(row["member_ids"]), "topic_department_ids": list(row["department_ids"])} \
        if row else {}


def _timing(prefs, channel: str, urgent: bool) -> dict:
    """Non-urgent e-mail waits for the daily digest, or for the end of quiet hours."""
    if prefs is None or urgent or channel == "inbox":
        return {}
    if prefs["digest"] and channel == "email":
        return {"in_digest": True}
    until = quiet_until(datetime.now(CHINA), prefs["quiet_from"], prefs["quiet_to"])
    return {"next_attempt": until} if until else {}


async def send_digests(runtime) -> int:
    """One e-mail per recipient with everything its digest collected; returns how many e-mails."""
    settings, sent = runtime.settings, 0
    async with runtime.uow() as uow:
        for batch in await storage.digest_batches(uow.conn):
            prefs = await storage.preferences(uow.conn, batch["recipient_kind"], batch["recipient_id"])
            text = await storage.template(uow.conn, "daily_digest", prefs["locale"] if prefs else DEFAULT_LOCALE)
            fields = {"count": len(batch["ids"]), "items": "\n".join(f"· {s}" for s in batch["subjects"])}
            digest_id = batch["ids"][0]
            await _send(settings, {"id": f"digest-{digest_id}", "address": batch["address"],
                                   "subject": render(text["subject"], fields), "body": render(text["body"], fields)})
            for notification_id in batch["ids"]:
                await storage.mark(uow.conn, notification_id, status="sent", sent_at=datetime.now(UTC),
                                   attempts=1)
            sent += 1
    return sent


async def run_digests(runtime) -> None:
    """Every day at 08:00 China time."""
    while not runtime.stopping:
        now = datetime.now(CHINA)
        next_run = now.replace(hour=8, minute=0, second=0, microsecond=0)
        if next_run <= now:
            next_run += timedelta(days=1)
        await asyncio.sleep(min((next_run - now).total_seconds(), 3600))
        if datetime.now(CHINA) >= next_run:
            try:
                await send_digests(runtime)
            except Exception as error:
                log.warning("digest paused: %s", error)


def structured_cloudevent(envelope: Envelope, data: dict) -> str:
    """The event in CloudEvents JSON (structured mode), as webhooks receive it."""
    return json.dumps({
        "specversion": "1.0", "id": envelope.id, "source": envelope.source, "type": envelope.type,
        "time": envelope.time.isoformat().replace("+00:00", "Z"), "subject": envelope.subject,
        "datacontenttype": "application/json", "orgunit": envelope.orgunit, "level": envelope.level,
        "traceparent": envelope.traceparent, "data": data,
    }, ensure_ascii=False, separators=(",", ":"))


async def _webhooks(uow: UnitOfWork, envelope: Envelope, data: dict) -> None:
    for subscription in await storage.matching_subscriptions(uow.conn, _unversioned(envelope.type), envelope.orgunit):
        if not orgunits.is_within(envelope.orgunit, subscription["org_unit"]):
            continue
        await storage.insert(uow.conn, {
            "event_source": envelope.source, "event_id": envelope.id, "event_type": envelope.type,
            "org_unit": envelope.orgunit, "recipient_kind": "subscription", "recipient_id": subscription["id"],
            "channel": "webhook", "subject": envelope.type, "body": structured_cloudevent(envelope, data),
            "status": "pending",
        })


async def _context(conn, data: dict, envelope: Envelope) -> dict:
    """Names for the template: of the event's unit, of a unit it escalated to, of a department,
    and the kinds a conversion went from and to."""
    extra = {"org_unit_name": envelope.orgunit}
    unit = await storage.org_unit(conn, envelope.orgunit)
    if unit:
        extra["org_unit_name"] = unit["name"]
    if data.get("to_unit"):
        target = await storage.org_unit(conn, data["to_unit"])
        extra["to_unit_name"] = target["name"] if target else data["to_unit"]
    department_id = data.get("department_id") or data.get("lead_department_id")
    if department_id:
        department = await storage.department(conn, department_id)
        extra["department_name"] = department["name"] if department else "承办单位"
    for end in ("source", "target"):
        if isinstance(data.get(end), dict):
            extra[f"{end}_kind"] = data[end].get("kind")
    return extra


async def send_due(runtime, *, limit: int = 50) -> int:
    """One round of the delivery worker (e-mail and webhooks); returns how many it handled."""
    settings = runtime.settings
    mailer = Mailer(settings)
    try:
        return await _deliver(runtime, settings, mailer, limit)
    finally:
        await mailer.close()


async def _deliver(runtime, settings, mailer: Mailer, limit: int) -> int:
    sent: list[str] = []
    async with runtime.uow() as uow:
        due = await storage.due(uow.conn, limit)
        for row in due:
            try:
                if row["channel"] == "webhook":
                    await webhooks.post(settings, row)
                elif row["channel"] == "sms" and row["recipient_kind"] == "submitter":
                    await _text_submitter(uow.conn, settings, row)
                elif row["channel"] == "sms":
                    await gateway_for(settings.sms_gateway).send(uow.conn, phone=row["address"], text=row["body"],
                                                                 idempotency_key=row["id"])
                else:
                    await mailer.send(row)
            except (aiosmtplib.SMTPException, OSError, TimeoutError, httpx.HTTPError, DeliveryRefused,
                    webhooks.RefusedDestination, TokenRefused) as error:
                attempts, said = row["attempts"] + 1, describe(error)
                final = isinstance(error, NobodyToReach | webhooks.RefusedDestination)
                if attempts >= settings.delivery_max_attempts or final:
                    await storage.mark(uow.conn, row["id"], status="failed", attempts=attempts, last_error=said)
                    uow.publish(NotificationFailed(
                        notification_id=row["id"], org_unit=row["org_unit"], event_type_name=row["event_type"],
                        event_id=row["event_id"], recipient_kind=row["recipient_kind"],
                        recipient_id=row["recipient_id"], channel=row["channel"], error=said),
                        subject=row["id"], org_unit=row["org_unit"])
                else:
                    backoff = timedelta(seconds=min(settings.delivery_backoff_s * 2 ** (attempts - 1), 3600))
                    await storage.mark(uow.conn, row["id"], attempts=attempts, last_error=said,
                                       next_attempt=datetime.now(UTC) + backoff)
                continue
            sent.append(row["id"])
            uow.publish(NotificationSent(
                notification_id=row["id"], org_unit=row["org_unit"], event_type_name=row["event_type"],
                event_id=row["event_id"], recipient_kind=row["recipient_kind"],
                recipient_id=row["recipient_id"], channel=row["channel"]),
                subject=row["id"], org_unit=row["org_unit"])
        await storage.mark_sent(uow.conn, sent)
    return len(due)


def mime(sender: str, to: str, subject: str, body: str, message_id: str) -> bytes:
    """A UTF-8 text message, built directly: the ``email`` package's header machinery costs
    more than everything else a notification does."""
    encoded = base64.encodebytes(body.encode()).decode().replace("\n", "\r\n")
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: =?utf-8?b?{base64.b64encode(subject.encode()).decode()}?=\r\n"
        f"Message-ID: {message_id}\r\nDate: {formatdate(localtime=False)}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + encoded
    ).encode()


class Mailer:
    """One SMTP session for a round of deliveries (a connection per message costs more than the
    message); after an error the next message opens a fresh one."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self._client: aiosmtplib.SMTP | None = None

    async def send(self, row) -> None:
        s = self.settings
        message = mime(s.smtp_from, row["address"], row["subject"], row["body"], f"<{row['id']}@cppcc-liaison>")
        if self._client is None:
            client = aiosmtplib.SMTP(hostname=s.smtp_host, port=s.smtp_port, start_tls=s.smtp_starttls, timeout=10,
                                     local_hostname="cppcc-liaison")
            await client.connect()
            if s.smtp_username:
                await client.login(s.smtp_username, s.smtp_password.get_secret_value() if s.smtp_password else "")
            self._client = client
        try:
            await self._client.sendmail(s.smtp_from, [row["address"]], message)
        except Exception:
            await self.close()
            raise

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.quit()
            except Exception:  # already gone
                client.close()


async def _send(settings, row) -> None:
    """One message in a session of its own (digests)."""
    mailer = Mailer(settings)
    try:
        await mailer.send(row)
    finally:
        await mailer.close()


class NobodyToReach(DeliveryRefused):
    """The citizen's contact is gone (erased) or was never given: nothing is sent, ever."""


def describe(error: BaseException) -> str:
    """What the delivery log and NotificationFailed say of a failure: our own words only. A
    receiver's text (an HTTP body, an SMTP reply naming a mailbox, a banner of whatever listens
    on a port) is never repeated to the caller, who might be scanning with our help."""
    if isinstance(error, DeliveryRefused | webhooks.RefusedDestination):
        return str(error)  # written here, from a status code or a fixed reason
    if isinstance(error, webhooks.Unresolved):
        return "host does not resolve"
    if isinstance(error, TokenRefused):
        return "no service token"
    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code} from a platform service"
    if isinstance(error, httpx.TimeoutException | TimeoutError | aiosmtplib.SMTPTimeoutError):
        return "timeout"
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"SMTP {error.code}"
    if isinstance(error, httpx.ConnectError | ConnectionRefusedError | aiosmtplib.SMTPConnectError):
        return "connection refused"
    if isinstance(error, httpx.HTTPError | aiosmtplib.SMTPException):
        return "not a valid answer"
    return "network error"


async def _text_submitter(conn, settings, row) -> None:
    """Ask feedback for the phone and tracking code of this one message, then send the SMS."""
    contact = await _service_get(settings, settings.feedback_url or settings.base_url_of("feedback"),
                                 f"/api/v1/internal/submitters/{row['recipient_id']}")
    if contact is None:
        raise NobodyToReach("no contact for this case (erased, or no consent)")
    link = tracking_link(settings, contact["tracking_code"])
    await gateway_for(settings.sms_gateway).send(conn, phone=contact["phone"], text=row["body"].replace("{link}", link),
                                                 idempotency_key=row["id"])


def tracking_link(settings, code: str) -> str:
    """The page a person reads and rates the case on (feedback serves it; the portal's later),
    under the public base URL, which follows FEEDBACK_PORT unless set."""
    return f"{settings.public_base()}/t/{code}"


async def run_delivery_worker(runtime) -> None:
    while not runtime.stopping:
        try:
            handled = await send_due(runtime)
        except Exception as error:  # an outage: the rows wait in the table
            log.warning("delivery worker paused: %s", error)
            handled = 0
        if not handled:
            await asyncio.sleep(runtime.settings.delivery_poll_interval_s)
