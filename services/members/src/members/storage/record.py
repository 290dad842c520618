"""Queries of the member performance file (委员履职档案): opinions taken in and how they ended,
the work other services announce (reports, proposals, sessions attended, research), and when the
member checked in (扫码签到) where it did."""

from __future__ import annotations

from typing import Any

from liaison_shared.db import as_uuid

# China's year of a timestamp
_YEAR = "extract(year FROM {} AT TIME ZONE 'Asia/Shanghai') = $2"


async def upsert_taken_in(conn, values: dict[str, Any], source_time) -> None:
    """An opinion as opinion.submitted announces it; an opinion taken in during an activity joins
    the activity's opinions (once), when the member who took it in took part in it."""
    await conn.execute(
        """
        INSERT INTO opinions (id, org_unit, member_id, received_by, reception_day_id, activity_id, channel,
                              category, source_time)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (id) DO UPDATE SET org_unit = excluded.org_unit, member_id = excluded.member_id,
            received_by = excluded.received_by, reception_day_id = excluded.reception_day_id,
            activity_id = excluded.activity_id, channel = excluded.channel, category = excluded.category,
            source_time = excluded.source_time
        WHERE opinions.source_time <= excluded.source_time
        """,
        values["opinion_id"], values["org_unit"], values.get("member_id"), values.get("received_by"),
        values.get("reception_day_id"), values.get("activity_id"), values.get("channel"), values.get("category"),
        source_time,
    )
    activity = as_uuid(values.get("activity_id"))
    receiver = as_uuid(values.get("received_by"))
    if activity is not None and receiver is not None:
        await conn.execute(
            """
            UPDATE activities SET opinion_ids = array_append(opinion_ids, $2)
            WHERE id = $1 AND NOT ($2 = ANY(opinion_ids))
              AND EXISTS (SELECT 1 FROM activity_participants p WHERE p.activity_id = $1 AND p.member_id = $3)
            """,
            activity, values["opinion_id"], receiver,
        )


async def keep_outcome(conn, opinion_id: str, step: str, rating: str | None, at) -> None:
    await conn.execute(
        """
        INSERT INTO opinion_outcomes (opinion_id, step, rating, at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (opinion_id) DO UPDATE SET step = excluded.step,
            rating = coalesce(excluded.rating, opinion_outcomes.rating), at = excluded.at
        WHERE opinion_outcomes.at <= excluded.at
        """,
        opinion_id, step, rating, at,
    )


async def keep_work(conn, member_id: str, kind: str, ref_id: str, *, org_unit: str, state: str, at,
                    title: str | None = None, detail: dict | None = None) -> None:
    """One thing of a member's work; a later event moves its state on and adds to its detail, an
    older one (redelivered, replayed out of order) changes nothing."""
    await conn.execute(
        """
        INSERT INTO member_work (member_id, kind, ref_id, org_unit, title, state, detail, started_at, updated_at)
        VALUES ($1, $2, $3, $4, coalesce($5, ''), $6, $7::jsonb, $8, $8)
        ON CONFLICT (member_id, kind, ref_id) DO UPDATE SET
            title = CASE WHEN coalesce($5, '') <> '' THEN $5 ELSE member_work.title END,
            detail = member_work.detail || excluded.detail,
            state = CASE WHEN member_work.updated_at <= excluded.updated_at THEN excluded.state
                         ELSE member_work.state END,
            started_at = least(member_work.started_at, excluded.started_at),
            updated_at = greatest(member_work.updated_at, excluded.updated_at)
        """,
        member_id, kind, ref_id, org_unit, title, state, detail or {}, at,
    )


async def activities_of(conn, member_id: str, year: int):
    return await conn.fetch(
        """
        SELECT a.id::text AS id, a.type, a.title, a.org_unit, a.occurred_on, a.people_reached, a.opinion_ids,
               (SELECT c.checked_in_at FROM check_ins c WHERE c.occasion = 'activity' AND c.occasion_id = a.id::text
                                                          AND c.member_id = p.member_id) AS checked_in_at
        FROM activities a JOIN activity_participants p ON p.activity_id = a.id
        WHERE p.member_id = $1 AND extract(year FROM a.occurred_on) = $2
        ORDER BY a.occurred_on, a.created_at
        """,
        as_uuid(member_id), year,
    )


async def reception_days_of(conn, member_id: str, year: int):
    return await conn.fetch(
        f"""
        SELECT r.id::text AS id, r.venue_id::text AS venue_id, v.name AS venue_name, r.org_unit, r.starts_at,
               r.ends_at, r.starts_at <= now() AS held,
               (SELECT count(*) FROM opinions o WHERE o.reception_day_id = r.id::text) AS opinions_taken_in,
               c.checked_in_at, r.member_id = $1 AS own
        FROM reception_days r JOIN venues v ON v.id = r.venue_id
             LEFT JOIN check_ins c ON c.occasion = 'reception_day' AND c.occasion_id = r.id::text AND c.member_id = $1
        WHERE (r.member_id = $1 OR c.member_id IS NOT NULL) AND {_YEAR.format("r.starts_at")}
        ORDER BY r.starts_at
        """,  # noqa: S608 — _YEAR above
        as_uuid(member_id), year,
    )


async def opinions_of(conn, member_id: str, year: int):
    """The opinions credited to the member as taken in by it, with their latest step."""
    return await conn.fetch(
        f"""
        SELECT o.id, o.org_unit, o.channel, o.category, o.reception_day_id, o.activity_id,
               o.received_by IS NOT NULL AS attested, o.source_time AS taken_in_at,
               coalesce(s.step, 'received') AS step, s.rating
        FROM opinions o LEFT JOIN opinion_outcomes s ON s.opinion_id = o.id
        WHERE (o.member_id = $1 OR o.received_by = $1) AND {_YEAR.format("o.source_time")}
        ORDER BY o.source_time
        """,  # noqa: S608 — _YEAR above
        member_id, year,
    )


async def work_of(conn, member_id: str, kind: str, year: int):
    return await conn.fetch(
        f"""
        SELECT ref_id AS id, org_unit, title, state, detail, started_at, updated_at FROM member_work
        WHERE member_id = $1 AND kind = $3 AND {_YEAR.format("started_at")}
        ORDER BY started_at
        """,  # noqa: S608 — _YEAR above
        member_id, year, kind,
    )
