"""Turning events into notifications, in the inbox transaction — and nothing else.

Each (event, recipient, channel) is one row under a unique key, written in the same
transaction as the inbox row of the event: a redelivered event finds both and sends
nothing twice. Inbox items are delivered by being written; e-mail, SMS and webhooks are
left pending for the delivery worker (``handlers.delivery``). Nothing here leaves the
process: an address that only another service knows (a member's own, a citizen's phone) is
asked for when the message is sent, never while this transaction is open.
"""

from __future__ import annotations

import json
from datetime import datetime

from liaison_shared import orgunits
from liaison_shared.chinatime import CHINA
from liaison_shared.contracts.notify import NotificationSent
from liaison_shared.events import Envelope, Event, unversioned
from liaison_shared.uow import UnitOfWork

from ..domain import labels
from ..domain.about import about
from ..domain.rules import (
    DEFAULT_LOCALE,
    Rule,
    is_urgent,
    quiet_until,
    recipients,
    render,
    values_of,
)
from ..storage import notifications as storage

# recipients whose address is asked of another service at sending (handlers.delivery)
ADDRESSED_AT_SENDING = ("submitter", "member")



async def projected_address(conn, kind: str, recipient_id: str, channel: str = "email") -> str | None:
    """The duty contact of a department or an org unit, from notify's projection of members'
    events; None for anyone else."""
    field = "duty_phone" if channel == "sms" else "duty_email"
    if kind == "department":
        row = await storage.department(conn, recipient_id)
    elif kind == "org_staff":
        row = await storage.org_unit(conn, recipient_id)
    else:
        return None
    return row[field] if row else None


async def notify(uow: UnitOfWork, envelope: Envelope, event: Event) -> None:
    data = event.model_dump(mode="json")
    await _webhooks(uow, envelope, data)
    event_type = unversioned(envelope.type)
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
        if delivery.channel in ("email", "sms") and delivery.recipient_kind not in ADDRESSED_AT_SENDING:
            address = await projected_address(uow.conn, delivery.recipient_kind, delivery.recipient_id,
                                              delivery.channel)
            if not address:
                continue  # nobody to write to: the inbox item still reaches them
        created = storage.insert_later(uow, {
            "event_source": envelope.source, "event_id": envelope.id, "event_type": envelope.type,
            "org_unit": envelope.orgunit, "recipient_kind": delivery.recipient_kind,
            "recipient_id": delivery.recipient_id, "channel": delivery.channel, "address": address,
            "subject": render(text["subject"], fields), "body": render(text["body"], fields),
            "status": "sent" if delivery.channel == "inbox" else "pending", "urgent": urgent, **timing,
            "about_kind": thing.kind, "about_id": thing.id, "link_service": thing.service, "link_api": thing.api,
            "template": delivery.template,
            "template_fields": values_of(text["body"], fields) if delivery.channel == "sms" else None,
        })
        if delivery.channel == "inbox":
            uow.publish(NotificationSent(
                notification_id=created, org_unit=envelope.orgunit, event_type_name=envelope.type,
                event_id=envelope.id, recipient_kind=delivery.recipient_kind,
                recipient_id=delivery.recipient_id, channel="inbox"))


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


def structured_cloudevent(envelope: Envelope, data: dict) -> str:
    """The event in CloudEvents JSON (structured mode), as webhooks receive it."""
    return json.dumps({
        "specversion": "1.0", "id": envelope.id, "source": envelope.source, "type": envelope.type,
        "time": envelope.time.isoformat().replace("+00:00", "Z"), "subject": envelope.subject,
        "datacontenttype": "application/json", "orgunit": envelope.orgunit, "level": envelope.level,
        "traceparent": envelope.traceparent, "data": data,
    }, ensure_ascii=False, separators=(",", ":"))


async def _webhooks(uow: UnitOfWork, envelope: Envelope, data: dict) -> None:
    for subscription in await storage.matching_subscriptions(uow.conn, unversioned(envelope.type), envelope.orgunit):
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
