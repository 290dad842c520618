"""Queries of check-ins (扫码签到): the occasions a code is bound to, the check-ins themselves, and
the projections of what consultation announces (sessions, research)."""

from __future__ import annotations

from datetime import datetime

from liaison_shared.db import as_uuid, fetch_page


async def activity(conn, activity_id: str):
    key = as_uuid(activity_id)
    if key is None:
        return None
    # a sector group's activity (界别活动组) is attended by the group's own members only
    return await conn.fetchrow(
        """
        SELECT a.id::text AS id, a.title, a.org_unit, a.occurred_on, g.group_id::text AS group_id,
               coalesce((SELECT array_agg(m.member_id::text) FROM sector_group_members m
                         WHERE m.group_id = g.group_id), '{}') AS group_member_ids
        FROM activities a LEFT JOIN sector_group_activities g ON g.activity_id = a.id WHERE a.id = $1
        """, key)


async def reception_day(conn, reception_day_id: str):
    key = as_uuid(reception_day_id)
    if key is None:
        return None
    return await conn.fetchrow(
        "SELECT r.id::text AS id, v.name AS title, r.org_unit, r.member_id::text AS member_id, r.starts_at, r.ends_at"
        " FROM reception_days r JOIN venues v ON v.id = r.venue_id WHERE r.id = $1", key)


async def session(conn, session_id: str):
    return await conn.fetchrow(
        "SELECT id, title, org_unit, topic_id, starts_at, ends_at, member_ids, status FROM consultation_sessions"
        " WHERE id = $1", session_id)


async def insert(conn, occasion: str, occasion_id: str, member_id: str, org_unit: str) -> datetime | None:
    """The new check-in's time; None when the member had checked in there already."""
    return await conn.fetchval(
        "INSERT INTO check_ins (occasion, occasion_id, member_id, org_unit) VALUES ($1, $2, $3::uuid, $4)"
        " ON CONFLICT DO NOTHING RETURNING checked_in_at",
        occasion, occasion_id, member_id, org_unit)


async def checked_in_at(conn, occasion: str, occasion_id: str, member_id: str) -> datetime | None:
    return await conn.fetchval(
        "SELECT checked_in_at FROM check_ins WHERE occasion = $1 AND occasion_id = $2 AND member_id = $3::uuid",
        occasion, occasion_id, member_id)


async def add_participant(conn, activity_id: str, member_id: str) -> None:
    await conn.execute(
        "INSERT INTO activity_participants (activity_id, member_id) VALUES ($1::uuid, $2::uuid) ON CONFLICT DO NOTHING",
        activity_id, member_id)


async def attendance_page(conn, occasion: str, occasion_id: str, *, limit: int, offset: int):
    return await fetch_page(
        conn,
        "SELECT c.member_id::text AS member_id, m.name AS member_name, c.checked_in_at"
        " FROM check_ins c JOIN members m ON m.id = c.member_id"
        " WHERE c.occasion = $1 AND c.occasion_id = $2 ORDER BY c.checked_in_at, m.name",
        occasion, occasion_id, limit=limit, offset=offset)


async def keep_session(conn, values: dict, source_time: datetime) -> None:
    """A session as session.scheduled announces it; an older event (redelivered, replayed) changes nothing."""
    await conn.execute(
        """
        INSERT INTO consultation_sessions (id, topic_id, org_unit, title, starts_at, ends_at, member_ids, source_time)
        VALUES ($1, $2, $3, $4, $5::timestamptz, $6::timestamptz, $7, $8)
        ON CONFLICT (id) DO UPDATE SET topic_id = excluded.topic_id, org_unit = excluded.org_unit,
            title = excluded.title, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
            member_ids = excluded.member_ids, source_time = excluded.source_time
        WHERE consultation_sessions.source_time <= excluded.source_time
        """,
        values["session_id"], values["topic_id"], values["org_unit"], values["title"],
        datetime.fromisoformat(values["starts_at"]),
        datetime.fromisoformat(values["ends_at"]) if values.get("ends_at") else None,
        values.get("member_ids") or [], source_time)


async def end_session(conn, session_id: str, status: str) -> None:
    """A session cancelled or concluded. Both are final, so a redelivered or replayed event changes
    nothing, and session.scheduled (replayed) leaves the status alone. A session's events share its
    key and topic, so its scheduling always comes first."""
    await conn.execute(
        "UPDATE consultation_sessions SET status = $2 WHERE id = $1 AND status = 'scheduled'", session_id, status)
