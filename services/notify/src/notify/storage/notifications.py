"""Queries of rules, templates, notifications and read state."""

from __future__ import annotations

import uuid
from typing import Any

from liaison_shared import db, projections
from liaison_shared.cache import TtlCache
from liaison_shared.db import as_uuid, fetch_page

COLUMNS = """
    n.id::text AS id, n.event_type, n.event_id, n.org_unit, n.recipient_kind, n.recipient_id, n.channel,
    n.address, n.subject, n.body, n.status, n.attempts, n.last_error, n.created_at, n.sent_at,
    n.about_kind, n.about_id, n.link_service, n.link_api, n.link_page
"""


# Read for every event, changed rarely: kept ten seconds (see liaison_shared.cache).
RULES, TEMPLATES, PREFERENCES, REGISTRY, SUBSCRIPTIONS = (TtlCache(), TtlCache(), TtlCache(), TtlCache(),
                                                          TtlCache())
projections.on_change(lambda kind, key: REGISTRY.invalidate((kind, key)))


async def rules_for(conn, event_type: str):
    return await RULES.get(event_type, lambda: conn.fetch(
        "SELECT recipient, field, channels, template, only_if FROM rules WHERE event_type = $1 AND active ORDER BY id",
        event_type))


async def template(conn, key: str, locale: str):
    """The template in the locale, else in zh-CN (the default of every message)."""
    return await TEMPLATES.get((key, locale), lambda: conn.fetchrow(
        "SELECT subject, body FROM templates WHERE key = $1 AND locale IN ($2, 'zh-CN')"
        " ORDER BY locale = $2 DESC LIMIT 1", key, locale), keep_none=False)


async def preferences(conn, kind: str, recipient_id: str):
    return await PREFERENCES.get((kind, recipient_id), lambda: conn.fetchrow(
        "SELECT locale, quiet_from, quiet_to, digest FROM preferences WHERE recipient_kind = $1 AND recipient_id = $2",
        kind, recipient_id))


async def put_preferences(conn, kind: str, recipient_id: str, values: dict[str, Any]):
    PREFERENCES.invalidate((kind, recipient_id))
    return await conn.fetchrow(
        """
        INSERT INTO preferences (recipient_kind, recipient_id, locale, quiet_from, quiet_to, digest)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (recipient_kind, recipient_id) DO UPDATE SET locale = excluded.locale,
            quiet_from = excluded.quiet_from, quiet_to = excluded.quiet_to, digest = excluded.digest
        RETURNING locale, quiet_from, quiet_to, digest
        """, kind, recipient_id, values["locale"], values.get("quiet_from"), values.get("quiet_to"),
        values["digest"])


async def claim_digest_batches(conn, lease_s: float):
    """Claim pending digest e-mail, grouped per recipient and address (see ``claim_due``)."""
    return await conn.fetch(
        "WITH claimed AS (UPDATE notifications n SET claimed_until = now() + make_interval(secs => $1)"
        " WHERE n.status = 'pending' AND n.in_digest AND (n.claimed_until IS NULL OR n.claimed_until < now())"
        " RETURNING n.id, n.recipient_kind, n.recipient_id, n.address, n.org_unit, n.subject, n.body, n.created_at)"
        " SELECT recipient_kind, recipient_id, address, org_unit, array_agg(id::text ORDER BY created_at) AS ids,"
        " array_agg(subject || '：' || body ORDER BY created_at) AS subjects"
        " FROM claimed GROUP BY recipient_kind, recipient_id, address, org_unit", lease_s)


async def topic_people(conn, topic_id: str):
    return await conn.fetchrow("SELECT member_ids, department_ids FROM topic_people WHERE topic_id = $1", topic_id)


async def add_topic_people(conn, topic_id: str, member_ids: list[str], department_ids: list[str]) -> None:
    """Who took part in a topic: the union of everyone its events named."""
    await conn.execute(
        """
        INSERT INTO topic_people (topic_id, member_ids, department_ids) VALUES ($1, $2, $3)
        ON CONFLICT (topic_id) DO UPDATE SET
            member_ids = ARRAY(SELECT DISTINCT unnest(topic_people.member_ids || excluded.member_ids)),
            department_ids = ARRAY(SELECT DISTINCT unnest(topic_people.department_ids || excluded.department_ids))
        """, topic_id, member_ids, department_ids)


async def org_unit(conn, code: str):
    return await REGISTRY.get(("org_unit", code), lambda: conn.fetchrow(
        "SELECT name, duty_email, duty_phone FROM org_units WHERE code = $1", code), keep_none=False)


async def department(conn, department_id: str):
    return await REGISTRY.get(("department", department_id), lambda: conn.fetchrow(
        "SELECT name, duty_email, duty_phone FROM departments WHERE id = $1", department_id), keep_none=False)


INSERT = """
    INSERT INTO notifications (id, event_source, event_id, event_type, org_unit, recipient_kind,
                               recipient_id, channel, address, subject, body, status, sent_at, urgent,
                               in_digest, next_attempt, about_kind, about_id, link_service, link_api,
                               template, template_fields)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, CASE WHEN $12 = 'sent' THEN now() END,
            $13, $14, coalesce($15, now()), $16, $17, $18, $19, $20, $21)
    ON CONFLICT (event_source, event_id, recipient_kind, recipient_id, channel) DO NOTHING
"""


def _row(notification_id, values: dict[str, Any]) -> tuple:
    return (
        notification_id, values["event_source"], values["event_id"], values["event_type"], values["org_unit"],
        values["recipient_kind"], values["recipient_id"], values["channel"], values.get("address"),
        values["subject"], values["body"], values["status"], values.get("urgent", False),
        values.get("in_digest", False), values.get("next_attempt"), values.get("about_kind"),
        values.get("about_id"), values.get("link_service"), values.get("link_api"), values.get("template"),
        values.get("template_fields"),
    )


# A notification's id follows from its unique key, so the same event, recipient and channel
# always make the same id: a notification made again — after a restore from a backup, an event
# replayed — carries the Message-ID and webhook delivery id the first one did, and a recipient
# that saw it can drop the copy.
NOTIFICATION_IDS = uuid.UUID("5b0b6a55-0d3e-4f55-9a55-6c69616973f0")


def notification_id(values: dict[str, Any]) -> uuid.UUID:
    key = "\x1f".join(str(values[k]) for k in ("event_source", "event_id", "recipient_kind", "recipient_id", "channel"))
    return uuid.uuid5(NOTIFICATION_IDS, key)


async def insert(conn, values: dict[str, Any]) -> str | None:
    """The notification, or None when this (event, recipient, channel) already has one."""
    return await conn.fetchval(INSERT + " RETURNING id::text", *_row(notification_id(values), values))


def insert_later(uow, values: dict[str, Any]) -> str:
    """The notification of an event the inbox just found fresh (so none exists yet for it),
    written with the commit; its id is known now."""
    made = notification_id(values)
    uow.later(INSERT, *_row(made, values))
    return str(made)


async def claim_due(conn, limit: int, lease_s: float):
    """Claim pending e-mail, SMS and webhook deliveries whose time has come, for ``lease_s``:
    committed at once, so no lock is held while they are sent; other workers skip them until
    the claim is recorded or lapses (a crashed worker's)."""
    return await conn.fetch(
        "WITH due AS (SELECT n.id, coalesce(s.url, h.url) AS url,"  # noqa: S608 — COLUMNS above
        " coalesce(s.secret_sealed, h.secret_sealed) AS secret_sealed, s.secret,"
        " CASE WHEN s.previous_secret_until > now() THEN s.previous_secret_sealed END AS previous_secret_sealed"
        " FROM notifications n"
        " LEFT JOIN subscriptions s ON n.channel = 'webhook' AND s.id::text = n.recipient_id"
        # a city's 12345 hotline (handlers.hotline): an inactive endpoint gives no URL, and fails the delivery
        " LEFT JOIN hotline_endpoints h ON n.recipient_kind = 'hotline' AND h.id::text = n.recipient_id AND h.active"
        " WHERE n.status = 'pending' AND NOT n.in_digest AND n.channel IN ('email', 'webhook', 'sms')"
        " AND n.next_attempt <= now() AND (n.claimed_until IS NULL OR n.claimed_until < now())"
        " ORDER BY n.next_attempt LIMIT $1 FOR UPDATE OF n SKIP LOCKED)"
        " UPDATE notifications n SET claimed_until = now() + make_interval(secs => $2) FROM due"
        f" WHERE n.id = due.id RETURNING {COLUMNS}, due.url, due.secret_sealed, due.secret,"
        " due.previous_secret_sealed, n.template, n.template_fields", limit, lease_s)


async def release(conn, notification_ids: list[str]) -> None:
    """Claims given back unsent (the worker ran out of its lease): due again at once."""
    if notification_ids:
        await conn.execute("UPDATE notifications SET claimed_until = NULL WHERE id = ANY($1::uuid[])",
                           notification_ids)


async def matching_subscriptions(conn, event_type: str, org_unit: str):
    return await SUBSCRIPTIONS.get(event_type, lambda: conn.fetch(
        "SELECT id::text AS id, org_unit FROM subscriptions WHERE active"
        " AND (event_types @> ARRAY[$1]::text[] OR event_types @> ARRAY['*']::text[])", event_type))


async def insert_subscription(conn, subscription_id: uuid.UUID, values: dict[str, Any], secret_sealed: bytes,
                              by: str):
    SUBSCRIPTIONS.invalidate()
    return await conn.fetchrow(
        "INSERT INTO subscriptions (id, name, url, secret_sealed, event_types, org_unit, created_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " RETURNING id::text AS id, name, url, event_types, org_unit, active, created_at",
        subscription_id, values["name"], values["url"], secret_sealed, values["event_types"],
        values["org_unit"], by)


async def clear_secrets(conn):
    """Subscriptions whose signing secret is still kept in clear (written before secrets were sealed)."""
    return await conn.fetch("SELECT id, secret FROM subscriptions WHERE secret IS NOT NULL FOR UPDATE")


async def seal_secret(conn, subscription_id: uuid.UUID, sealed: bytes) -> None:
    await conn.execute("UPDATE subscriptions SET secret_sealed = $2, secret = NULL WHERE id = $1",
                       subscription_id, sealed)


async def rotate_secret(conn, subscription_id: uuid.UUID, pattern: str, sealed: bytes, overlap_s: float):
    """The new sealed secret; the one it replaces signs too for ``overlap_s`` (0: not at all), and
    one replaced before it is forgotten. None for a subscription outside ``pattern`` or ended."""
    return await conn.fetchrow(
        "UPDATE subscriptions SET secret_sealed = $3, secret = NULL, secret_rotated_at = now(),"
        " previous_secret_sealed = CASE WHEN $4::float8 > 0 THEN secret_sealed END,"
        " previous_secret_until = CASE WHEN $4::float8 > 0 THEN now() + make_interval(secs => $4::float8) END"
        " WHERE id = $1 AND org_unit LIKE $2 AND active"
        " RETURNING id::text AS id, secret_rotated_at, previous_secret_until",
        subscription_id, pattern, sealed, overlap_s)


async def forget_previous_secrets(conn) -> None:
    """Secrets whose overlap after a rotation has ended: no longer kept, even sealed."""
    await conn.execute("UPDATE subscriptions SET previous_secret_sealed = NULL, previous_secret_until = NULL"
                       " WHERE previous_secret_until <= now()")


async def subscriptions(conn, pattern: str):
    return await conn.fetch(
        "SELECT id::text AS id, name, url, event_types, org_unit, active, created_at FROM subscriptions"
        " WHERE org_unit LIKE $1 ORDER BY created_at", pattern)


async def deactivate_subscription(conn, subscription_id: str, pattern: str) -> bool:
    SUBSCRIPTIONS.invalidate()
    key = as_uuid(subscription_id)
    if key is None:
        return False
    return bool(await conn.fetchval(
        "UPDATE subscriptions SET active = false WHERE id = $1 AND org_unit LIKE $2 RETURNING true", key, pattern))


async def redrive(conn, notification_id: str, pattern: str) -> bool:
    key = as_uuid(notification_id)
    if key is None:
        return False
    return bool(await conn.fetchval(
        "UPDATE notifications SET status = 'pending', attempts = 0, next_attempt = now(), last_error = NULL"
        " WHERE id = $1 AND status = 'failed' AND org_unit LIKE $2 RETURNING true", key, pattern))


async def mark_sent(conn, notification_ids: list[str]) -> None:
    if notification_ids:
        await conn.execute("UPDATE notifications SET status = 'sent', attempts = attempts + 1, sent_at = now(),"
                           " last_error = NULL, claimed_until = NULL WHERE id = ANY($1::uuid[])", notification_ids)


async def cancel_to_submitter(conn, opinion_id: str) -> None:
    await conn.execute(
        "UPDATE notifications SET status = 'failed', last_error = 'contact erased', next_attempt = now()"
        " WHERE recipient_kind = 'submitter' AND recipient_id = $1 AND status = 'pending'", opinion_id)


async def record_sms(db, *, idempotency_key: str, phone: str, body: str) -> None:
    """The development SMS gateway's "sending": once per key, as a real gateway's dedupe would."""
    await db.execute(
        "INSERT INTO sms_messages (idempotency_key, phone, body) VALUES ($1, $2, $3)"
        " ON CONFLICT (idempotency_key) DO NOTHING", idempotency_key, phone, body)


async def sms_templates(conn) -> list[str]:
    """The templates the active rules send by SMS."""
    return [row["template"] for row in await conn.fetch(
        "SELECT DISTINCT template FROM rules WHERE active AND 'sms' = ANY(channels) ORDER BY template")]


async def forget_messages_to_submitter(conn, opinion_id: str) -> None:
    """What the SMS gateway adapter recorded of the messages to a case's submitter."""
    await conn.execute(
        "DELETE FROM sms_messages WHERE idempotency_key IN (SELECT id::text FROM notifications"
        " WHERE recipient_kind = 'submitter' AND recipient_id = $1)", opinion_id)


async def mark(conn, notification_id: str, **changes) -> None:
    """The outcome of an attempt; the claim on the row ends with it."""
    await db.update(conn, "notifications", {"id": as_uuid(notification_id)}, {**changes, "claimed_until": None})


INBOX_WHERE = """
    n.channel = 'inbox' AND (
        (n.recipient_kind = 'member' AND n.recipient_id = $1)
     OR (n.recipient_kind = 'department' AND n.recipient_id = $2)
     OR (n.recipient_kind = 'org_staff' AND n.recipient_id = $3)
     OR (n.recipient_kind = 'person' AND n.recipient_id = $4)
     OR (n.recipient_kind = 'leader' AND n.recipient_id = $5))
"""


async def inbox_page(conn, *, member_id, dept, staff_unit, leader_unit, sub: str, unread: bool, limit: int,
                     offset: int):
    return await fetch_page(
        conn,
        f"""
        SELECT {COLUMNS}, EXISTS (SELECT 1 FROM inbox_reads r WHERE r.notification_id = n.id AND r.sub = $4) AS read
        FROM notifications n WHERE {INBOX_WHERE}
          AND (NOT $6 OR NOT EXISTS (SELECT 1 FROM inbox_reads r WHERE r.notification_id = n.id AND r.sub = $4))
        ORDER BY n.created_at DESC
        """,  # noqa: S608 — COLUMNS, INBOX_WHERE above
        member_id or "", dept or "", staff_unit or "", sub, leader_unit or "", unread, limit=limit, offset=offset)


async def unread_count(conn, *, member_id, dept, staff_unit, leader_unit, sub: str) -> int:
    return await conn.fetchval(
        f"SELECT count(*) FROM notifications n WHERE {INBOX_WHERE}"  # noqa: S608 — INBOX_WHERE above
        " AND NOT EXISTS (SELECT 1 FROM inbox_reads r WHERE r.notification_id = n.id AND r.sub = $4)",
        member_id or "", dept or "", staff_unit or "", sub, leader_unit or "")


async def mark_read(conn, notification_id: str, *, member_id, dept, staff_unit, leader_unit, sub: str) -> bool:
    key = as_uuid(notification_id)
    if key is None:
        return False
    mine = await conn.fetchval(f"SELECT true FROM notifications n WHERE n.id = $6 AND {INBOX_WHERE}",  # noqa: S608 — INBOX_WHERE above
                               member_id or "", dept or "", staff_unit or "", sub, leader_unit or "", key)
    if not mine:
        return False
    await conn.execute("INSERT INTO inbox_reads (notification_id, sub) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                       key, sub)
    return True


async def deliveries_page(conn, *, pattern: str, status: str | None, channel: str | None, limit: int, offset: int):
    return await fetch_page(
        conn,
        f"SELECT {COLUMNS} FROM notifications n WHERE n.org_unit LIKE $1"  # noqa: S608 — COLUMNS above
        " AND ($2::text IS NULL OR n.status = $2) AND ($3::text IS NULL OR n.channel = $3)"
        " ORDER BY n.created_at DESC",
        pattern, status, channel, limit=limit, offset=offset)
