"""Queries of sessions, research records and the opinions raised in sessions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from liaison_shared import db
from liaison_shared.db import as_uuid, fetch_page

COLUMNS = """
    s.id::text AS id, s.topic_id::text AS topic_id, s.org_unit, s.title, s.form, s.starts_at, s.ends_at,
    s.venue_id, s.location, s.member_ids, s.department_ids, s.experts, s.resident_representatives,
    s.attended_member_ids, s.attended_department_ids, s.residents_attended, s.status, s.minutes,
    s.concluded_at, s.created_by, s.created_at, s.updated_at,
    coalesce((SELECT jsonb_agg(jsonb_build_object(
        'id', o.id::text, 'content', o.content, 'category', o.category, 'disposition', o.disposition,
        'answer', o.answer, 'department_ids', o.department_ids, 'deadline', o.deadline,
        'member_id', o.member_id, 'created_at', o.created_at) ORDER BY o.created_at)
        FROM session_opinions o WHERE o.session_id = s.id), '[]') AS opinions
"""


async def insert(conn, values: dict[str, Any]) -> None:
    await conn.execute(
        """
        INSERT INTO sessions (id, topic_id, org_unit, title, form, starts_at, ends_at, venue_id, location,
                              member_ids, department_ids, experts, resident_representatives, created_by)
        VALUES ($1, $2::uuid, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        """,
        values["id"], values["topic_id"], values["org_unit"], values["title"], values["form"],
        values["starts_at"], values.get("ends_at"), values.get("venue_id"), values.get("location"),
        values["member_ids"], values["department_ids"], values.get("experts") or [],
        values.get("resident_representatives") or 0, values["created_by"],
    )


async def session(conn, session_id: str, *, for_update: bool = False):
    key = as_uuid(session_id)
    if key is None:
        return None
    lock = " FOR UPDATE OF s" if for_update else ""
    return await conn.fetchrow(f"SELECT {COLUMNS} FROM sessions s WHERE s.id = $1{lock}", key)  # noqa: S608 — COLUMNS above; the lock clause chosen by a bool


async def update(conn, session_id: str, changes: dict[str, Any]) -> None:
    await db.update(conn, "sessions", {"id": as_uuid(session_id)}, changes, touch=True)


async def add_attendee(conn, session_id: str, member_id: str) -> None:
    """A member who checked in (扫码签到) is among those present, while the session is still held."""
    await conn.execute(
        "UPDATE sessions SET attended_member_ids = array_append(attended_member_ids, $2), updated_at = now()"
        " WHERE id = $1 AND status = 'scheduled' AND NOT ($2 = ANY(attended_member_ids))",
        as_uuid(session_id), member_id,
    )


async def of_topic(conn, topic_id: str):
    return await conn.fetch(f"SELECT {COLUMNS} FROM sessions s WHERE s.topic_id = $1::uuid ORDER BY s.starts_at",  # noqa: S608 — COLUMNS above
                            topic_id)


async def sessions_page(conn, *, pattern: str, topic_id: str | None, status: str | None, member: str | None,
                        department: str | None, limit: int, offset: int):
    """Sessions of the caller's subtree — or, for a member or department, those they are invited to."""
    return await fetch_page(
        conn,
        f"SELECT {COLUMNS} FROM sessions s WHERE"  # noqa: S608 — COLUMNS above
        " (($4::text IS NULL AND $5::text IS NULL AND s.org_unit LIKE $1)"
        "  OR $4 = ANY(s.member_ids) OR $5 = ANY(s.department_ids))"
        " AND ($2::uuid IS NULL OR s.topic_id = $2) AND ($3::text IS NULL OR s.status = $3)"
        " ORDER BY s.starts_at DESC",
        pattern, as_uuid(topic_id) if topic_id else None, status, member, department, limit=limit, offset=offset,
    )


async def default_invitees(conn, org_unit: str, level: str, pattern: str) -> list[str]:
    """不建机构建机制: at a town or village, every city and county member assigned to a contact
    point there (or below); at a city or county, the members of that committee."""
    if level in ("town", "village"):
        query = ("SELECT id FROM members WHERE status = 'active'"
                 " AND EXISTS (SELECT 1 FROM unnest(contact_points) AS cp WHERE cp LIKE $1) ORDER BY id")
        return [r["id"] for r in await conn.fetch(query, pattern)]
    return [r["id"] for r in await conn.fetch(
        "SELECT id FROM members WHERE status = 'active' AND org_unit = $1 ORDER BY id", org_unit)]


async def venue(conn, venue_id: str):
    return await conn.fetchrow("SELECT id, kind, name, org_unit, active FROM venues WHERE id = $1", venue_id)


async def keep_venue(conn, venue_id: str, *, kind: str, name: str, org_unit: str, active: bool,
                     source_time: datetime) -> None:
    """Members' venue as of ``source_time``: an older event than the one kept changes nothing."""
    await conn.execute(
        """
        INSERT INTO venues (id, kind, name, org_unit, active, source_time) VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, org_unit = excluded.org_unit,
            active = excluded.active, source_time = excluded.source_time
        WHERE venues.source_time <= excluded.source_time
        """,
        venue_id, kind, name, org_unit, active, source_time,
    )


async def insert_opinion(conn, values: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO session_opinions (id, session_id, content, category, disposition, answer, department_ids,"
        " deadline, member_id, created_by) VALUES ($1, $2::uuid, $3, $4, $5, $6, $7, $8, $9, $10)",
        values["id"], values["session_id"], values["content"], values.get("category"), values["disposition"],
        values.get("answer"), values.get("department_ids") or [], values.get("deadline"),
        values.get("member_id"), values["created_by"],
    )


async def insert_research(conn, values: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO research (id, topic_id, kind, title, summary, happened_on, location, url, member_ids,"
        " created_by) VALUES ($1, $2::uuid, $3, $4, $5, $6, $7, $8, $9, $10)",
        values["id"], values["topic_id"], values["kind"], values["title"], values.get("summary") or "",
        values.get("happened_on"), values.get("location"), values.get("url"), values.get("member_ids") or [],
        values["created_by"],
    )


async def research_of(conn, topic_id: str):
    return await conn.fetch(
        "SELECT id::text AS id, kind, title, summary, happened_on, location, url, member_ids, created_by, created_at"
        " FROM research WHERE topic_id = $1::uuid ORDER BY created_at", topic_id,
    )
