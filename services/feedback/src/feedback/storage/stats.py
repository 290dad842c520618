"""Figures staff live by, computed in SQL: response, resolution, satisfaction, on-time rates."""

from __future__ import annotations

from datetime import datetime

# The group key of each grouping; chosen from this table, never from the request.
GROUP_KEYS = {
    "none": "'all'",
    "category": "coalesce(o.category, '')",
    "month": "to_char(o.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')",
    "member": "coalesce(o.member_id, '')",
    "sector": "coalesce(m.sector_name, '')",
}

CASE_FIGURES = """
    count(*) AS cases,
    sum(o.people_count) AS people,
    count(*) FILTER (WHERE o.status NOT IN ('received', 'escalated', 'assigned')) AS responded,
    count(*) FILTER (WHERE o.status IN ('rated', 'closed', 'converted', 'answered', 'replied')
                     AND coalesce(o.rating, '') <> 'unsatisfied') AS resolved,
    count(*) FILTER (WHERE o.rating IN ('satisfied', 'basically_satisfied')) AS satisfied,
    count(*) FILTER (WHERE o.rating IS NOT NULL) AS rated
"""


async def case_stats(conn, *, pattern: str, group: str, child_prefix: int,
                     start: datetime | None, end: datetime | None):
    key = GROUP_KEYS.get(group) or f"substr(o.org_unit, 1, {int(child_prefix)}) || repeat('0', {12 - int(child_prefix)})"
    return await conn.fetch(
        f"""
        WITH timely AS (
            SELECT a.opinion_id,
                   count(*) FILTER (WHERE a.replied_at IS NOT NULL) AS replies,
                   count(*) FILTER (WHERE (a.replied_at AT TIME ZONE 'Asia/Shanghai')::date <= a.deadline) AS on_time
            FROM assignments a GROUP BY a.opinion_id
        )
        SELECT {key} AS key, {CASE_FIGURES},
               coalesce(sum(t.replies), 0) AS replies, coalesce(sum(t.on_time), 0) AS replies_on_time
        FROM opinions o
        LEFT JOIN members m ON m.id = o.member_id
        LEFT JOIN timely t ON t.opinion_id = o.id
        WHERE (o.org_unit LIKE $1 OR o.handling_unit LIKE $1) AND o.status <> 'merged'
          AND ($2::timestamptz IS NULL OR o.created_at >= $2) AND ($3::timestamptz IS NULL OR o.created_at < $3)
        GROUP BY 1 ORDER BY 1
        """,
        pattern, start, end,
    )


async def department_stats(conn, *, pattern: str, start: datetime | None, end: datetime | None):
    return await conn.fetch(
        """
        SELECT a.department_id AS key, count(DISTINCT o.id) AS cases, sum(o.people_count) AS people,
               count(*) AS assignments,
               count(*) FILTER (WHERE a.state = 'replied') AS responded,
               count(DISTINCT o.id) FILTER (WHERE o.status IN ('rated', 'closed', 'replied')
                                            AND coalesce(o.rating, '') <> 'unsatisfied') AS resolved,
               count(DISTINCT o.id) FILTER (WHERE o.rating IN ('satisfied', 'basically_satisfied')) AS satisfied,
               count(DISTINCT o.id) FILTER (WHERE o.rating IS NOT NULL) AS rated,
               count(*) FILTER (WHERE a.replied_at IS NOT NULL) AS replies,
               count(*) FILTER (WHERE (a.replied_at AT TIME ZONE 'Asia/Shanghai')::date <= a.deadline) AS replies_on_time
        FROM assignments a JOIN opinions o ON o.id = a.opinion_id
        WHERE (o.org_unit LIKE $1 OR o.handling_unit LIKE $1)
          AND ($2::timestamptz IS NULL OR o.created_at >= $2) AND ($3::timestamptz IS NULL OR o.created_at < $3)
        GROUP BY a.department_id ORDER BY a.department_id
        """,
        pattern, start, end,
    )
