"""Queries of outcomes (成果) and the dashboard figures of the four levels."""

from __future__ import annotations

from typing import Any

from liaison_shared import db
from liaison_shared.db import as_uuid, fetch_page

COLUMNS = """
    o.id::text AS id, o.topic_id::text AS topic_id, o.session_id::text AS session_id, o.kind, o.text,
    o.status, o.target_kind, o.target_id, o.department_ids, o.member_ids, o.deadline, o.converted_at,
    o.instruction, o.instructed_by, o.instructed_at, o.result, o.reason, o.satisfied,
    o.basically_satisfied, o.unsatisfied, o.evaluated_at, o.published_at, o.created_by, o.created_at, o.updated_at,
    t.org_unit, t.title AS topic_title, t.track, t.stage AS topic_stage, t.department_ids AS topic_department_ids
"""


async def insert(conn, values: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO outcomes (id, topic_id, session_id, kind, text, created_by)"
        " VALUES ($1, $2::uuid, $3::uuid, $4, $5, $6)",
        values["id"], values["topic_id"], values.get("session_id"), values["kind"], values["text"],
        values["created_by"],
    )


async def outcome(conn, outcome_id: str, *, for_update: bool = False):
    key = as_uuid(outcome_id)
    if key is None:
        return None
    lock = " FOR UPDATE OF o" if for_update else ""
    return await conn.fetchrow(
        f"SELECT {COLUMNS} FROM outcomes o JOIN topics t ON t.id = o.topic_id WHERE o.id = $1{lock}", key)  # noqa: S608 — COLUMNS above; the lock clause chosen by a bool


async def update(conn, outcome_id: str, changes: dict[str, Any]) -> None:
    await db.update(conn, "outcomes", {"id": as_uuid(outcome_id)}, changes, touch=True)


async def of_topic(conn, topic_id: str):
    return await conn.fetch(
        f"SELECT {COLUMNS} FROM outcomes o JOIN topics t ON t.id = o.topic_id WHERE o.topic_id = $1::uuid"  # noqa: S608 — COLUMNS above
        " ORDER BY o.created_at", topic_id)


async def outcomes_page(conn, *, pattern: str, topic_id: str | None, status: str | None, department: str | None,
                        limit: int, offset: int):
    return await fetch_page(
        conn,
        f"SELECT {COLUMNS} FROM outcomes o JOIN topics t ON t.id = o.topic_id WHERE"  # noqa: S608 — COLUMNS above
        " (($4::text IS NULL AND t.org_unit LIKE $1) OR $4 = ANY(o.department_ids))"
        " AND ($2::uuid IS NULL OR o.topic_id = $2) AND ($3::text IS NULL OR o.status = $3)"
        " ORDER BY o.created_at DESC",
        pattern, as_uuid(topic_id) if topic_id else None, status, department, limit=limit, offset=offset,
    )


async def published_page(conn, *, pattern: str, limit: int, offset: int):
    """Published outcomes (公开) of a subtree, the latest first."""
    return await fetch_page(
        conn,
        f"SELECT {COLUMNS} FROM outcomes o JOIN topics t ON t.id = o.topic_id"  # noqa: S608 — COLUMNS above
        " WHERE o.published_at IS NOT NULL AND t.org_unit LIKE $1 ORDER BY o.published_at DESC",
        pattern, limit=limit, offset=offset,
    )


async def dashboard(conn, *, pattern: str, level: str | None):
    """Per level and org unit: topics by stage, outcomes converted of all, and the days from a
    topic's formation to its close (every outcome evaluated)."""
    return await conn.fetch(
        """
        WITH per_topic AS (
            SELECT t.level, t.org_unit, t.stage, t.created_at, t.closed_at,
                   (SELECT count(*) FROM outcomes o WHERE o.topic_id = t.id) AS outcomes,
                   (SELECT count(*) FROM outcomes o WHERE o.topic_id = t.id AND o.status <> 'drafted') AS converted
            FROM topics t
            WHERE t.org_unit LIKE $1 AND ($2::text IS NULL OR t.level = $2)
        )
        SELECT p.level, p.org_unit, count(*)::int AS topics,
               (SELECT jsonb_object_agg(x.stage, x.n) FROM (
                    SELECT stage, count(*)::int AS n FROM per_topic q WHERE q.org_unit = p.org_unit GROUP BY stage
               ) x) AS by_stage,
               sum(p.outcomes)::int AS outcomes, sum(p.converted)::int AS converted,
               count(p.closed_at)::int AS closed,
               avg(extract(epoch FROM p.closed_at - p.created_at) / 86400.0)
                   FILTER (WHERE p.closed_at IS NOT NULL)::float AS avg_days_to_close
        FROM per_topic p
        GROUP BY p.level, p.org_unit
        ORDER BY array_position(ARRAY['city','county','town','village'], level), org_unit
        """,
        pattern, level,
    )
