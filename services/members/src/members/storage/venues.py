"""Queries of venues (履职平台) and reception days (委员接待日)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from liaison_shared.db import as_uuid, fetch_page

from .registry import _update

VENUE_COLUMNS = (
    "id::text AS id, kind, name, org_unit, address, opening_hours, sector_id::text AS sector_id,"
    " active, updated_at"
)
RECEPTION_COLUMNS = """
    r.id::text AS id, r.member_id::text AS member_id, m.name AS member_name,
    r.venue_id::text AS venue_id, v.name AS venue_name, r.org_unit, r.starts_at, r.ends_at,
    r.capacity, r.topic
"""
RECEPTION_FROM = "reception_days r JOIN members m ON m.id = r.member_id JOIN venues v ON v.id = r.venue_id"


async def venue(conn, venue_id: str):
    key = as_uuid(venue_id)
    if key is None:
        return None
    return await conn.fetchrow(f"SELECT {VENUE_COLUMNS} FROM venues WHERE id = $1", key)  # noqa: S608 — VENUE_COLUMNS above


async def venues_page(conn, *, pattern: str, kind: str | None, limit: int, offset: int):
    return await fetch_page(
        conn,
        f"SELECT {VENUE_COLUMNS} FROM venues WHERE org_unit LIKE $1 AND ($2::text IS NULL OR kind = $2)"  # noqa: S608 — VENUE_COLUMNS above
        " AND active ORDER BY org_unit, kind, name",
        pattern, kind, limit=limit, offset=offset,
    )


async def insert_venue(conn, values: dict[str, Any]):
    return await conn.fetchrow(
        f"""
        INSERT INTO venues (id, kind, name, org_unit, address, opening_hours, sector_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7::uuid)
        ON CONFLICT (org_unit, name) DO NOTHING RETURNING {VENUE_COLUMNS}
        """,  # noqa: S608 — VENUE_COLUMNS above
        values.get("id") or uuid.uuid4(), values["kind"], values["name"], values["org_unit"],
        values.get("address"), values.get("opening_hours"), values.get("sector_id"),
    )


async def update_venue(conn, venue_id: str, changes: dict[str, Any]):
    return await _update(conn, "venues", "id", as_uuid(venue_id), changes, VENUE_COLUMNS)


async def insert_reception_day(conn, values: dict[str, Any]):
    created = await conn.fetchval(
        """
        INSERT INTO reception_days (id, member_id, venue_id, org_unit, starts_at, ends_at, capacity, topic)
        VALUES ($1, $2::uuid, $3::uuid, $4, $5, $6, $7, $8)
        ON CONFLICT (member_id, starts_at) DO NOTHING RETURNING id
        """,
        values.get("id") or uuid.uuid4(), values["member_id"], values["venue_id"], values["org_unit"],
        values["starts_at"], values["ends_at"], values["capacity"], values.get("topic"),
    )
    if created is None:
        return None
    return await conn.fetchrow(f"SELECT {RECEPTION_COLUMNS} FROM {RECEPTION_FROM} WHERE r.id = $1", created)  # noqa: S608 — RECEPTION_COLUMNS, RECEPTION_FROM above


async def overlapping_reception(conn, member_id: str, starts_at: datetime, ends_at: datetime) -> bool:
    return bool(await conn.fetchval(
        "SELECT true FROM reception_days WHERE member_id = $1::uuid"
        " AND tstzrange(starts_at, ends_at) && tstzrange($2, $3) LIMIT 1",
        member_id, starts_at, ends_at,
    ))


async def reception_days_page(
    conn, *, pattern: str, member_id: str | None, venue_id: str | None,
    date_from: datetime | None, date_to: datetime | None, limit: int, offset: int,
):
    return await fetch_page(
        conn,
        f"""
        SELECT {RECEPTION_COLUMNS} FROM {RECEPTION_FROM}
        WHERE r.org_unit LIKE $1 AND ($2::uuid IS NULL OR r.member_id = $2::uuid)
          AND ($3::uuid IS NULL OR r.venue_id = $3::uuid)
          AND ($4::timestamptz IS NULL OR r.starts_at >= $4)
          AND ($5::timestamptz IS NULL OR r.starts_at < $5)
        ORDER BY r.starts_at, m.name
        """,  # noqa: S608 — RECEPTION_COLUMNS, RECEPTION_FROM above
        pattern, as_uuid(member_id), as_uuid(venue_id), date_from, date_to,
        limit=limit, offset=offset,
    )


async def card_venues(conn, member_id: str):
    """Where a member can be found: venues of its reception days and its sector's studios."""
    return await conn.fetch(
        """
        SELECT DISTINCT v.id::text AS id, v.kind, v.name, v.org_unit, v.address
        FROM venues v
        WHERE v.active AND (
            v.id IN (SELECT venue_id FROM reception_days WHERE member_id = $1::uuid)
            OR (v.kind = 'sector_studio' AND v.sector_id = (SELECT sector_id FROM members WHERE id = $1::uuid)))
        ORDER BY v.name
        """,
        member_id,
    )


async def next_reception_days(conn, member_id: str, *, limit: int = 5):
    return await conn.fetch(
        f"SELECT {RECEPTION_COLUMNS} FROM {RECEPTION_FROM}"  # noqa: S608 — RECEPTION_COLUMNS, RECEPTION_FROM above
        " WHERE r.member_id = $1::uuid AND r.ends_at > now() ORDER BY r.starts_at LIMIT $2",
        member_id, limit,
    )
