"""Figures staff live by, computed in SQL: response, resolution, satisfaction, on-time rates."""

from __future__ import annotations

from datetime import datetime

SECTORS = """
        LEFT JOIN members m ON m.id = o.member_id
        LEFT JOIN LATERAL (SELECT s.sector_name FROM members s WHERE s.sector_id = o.sector_id LIMIT 1) os ON true"""

# The group key of each grouping; chosen from this table, never from the request.
GROUP_KEYS = {
    "none": "'all'",
    "category": "coalesce(o.category, '')",
    "month": "to_char(o.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')",
    "member": "coalesce(o.member_id, '')",
    # the opinion's own sector (界别群众) first, the sector of the member who took it in after
    "sector": "coalesce(os.sector_name, m.sector_name, '')",
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

# 按时率 counts the silent too: an assignment past its deadline with no answer yet is late now,
# so staying silent never keeps a department's rate up. (Returned and recalled ones are not.)
OVERDUE_UNANSWERED = (
    "a.state = 'active' AND a.replied_at IS NULL AND a.deadline < (now() AT TIME ZONE 'Asia/Shanghai')::date"
)

# Per case, what 按时率 counts: the assignments it is judged on (replied, or overdue and silent)
# and the replies in time. One definition for the figures staff see and the open data.
TIMELY = f"""timely AS (
            SELECT a.opinion_id,
                   count(*) FILTER (WHERE a.replied_at IS NOT NULL OR {OVERDUE_UNANSWERED}) AS timed,
                   count(*) FILTER (WHERE (a.replied_at AT TIME ZONE 'Asia/Shanghai')::date <= a.deadline) AS on_time
            FROM assignments a GROUP BY a.opinion_id
        )"""  # noqa: S608 — OVERDUE_UNANSWERED above, no input


async def case_stats(conn, *, pattern: str, group: str, child_prefix: int,
                     start: datetime | None, end: datetime | None, category_depth: int | None = None):
    key = GROUP_KEYS.get(group) or f"substr(o.org_unit, 1, {int(child_prefix)}) || repeat('0', {12 - int(child_prefix)})"
    if group == "category" and category_depth:
        # a path's first names (domain.categories.rolled_up): 城乡建设/道路交通/路灯 counts for 城乡建设 at depth 1
        key = f"array_to_string((string_to_array(coalesce(o.category, ''), '/'))[1:{int(category_depth)}], '/')"
    # the members' sectors only for the grouping that names them: the lateral lookup runs once per
    # case, and the gauges (handlers.figures) read every case of ninety days each minute
    sectors = SECTORS if group == "sector" else ""
    return await conn.fetch(
        f"""
        WITH {TIMELY}
        SELECT {key} AS key, {CASE_FIGURES},
               coalesce(sum(t.timed), 0) AS timed,
               coalesce(sum(t.on_time), 0) AS replies_on_time
        FROM opinions o {sectors}
        LEFT JOIN timely t ON t.opinion_id = o.id
        WHERE (o.org_unit LIKE $1 OR o.handling_unit LIKE $1) AND o.status <> 'merged'
          AND ($2::timestamptz IS NULL OR o.created_at >= $2) AND ($3::timestamptz IS NULL OR o.created_at < $3)
        GROUP BY 1 ORDER BY 1
        """,  # noqa: S608 — key from GROUP_KEYS or an int prefix, CASE_FIGURES and TIMELY above
        pattern, start, end,
    )


async def department_stats(conn, *, pattern: str, start: datetime | None, end: datetime | None):
    return await conn.fetch(
        f"""
        SELECT a.department_id AS key, count(DISTINCT o.id) AS cases, sum(o.people_count) AS people,
               count(*) AS assignments,
               count(*) FILTER (WHERE a.state = 'replied') AS responded,
               count(DISTINCT o.id) FILTER (WHERE o.status IN ('rated', 'closed', 'replied')
                                            AND coalesce(o.rating, '') <> 'unsatisfied') AS resolved,
               count(DISTINCT o.id) FILTER (WHERE o.rating IN ('satisfied', 'basically_satisfied')) AS satisfied,
               count(DISTINCT o.id) FILTER (WHERE o.rating IS NOT NULL) AS rated,
               count(*) FILTER (WHERE a.replied_at IS NOT NULL OR {OVERDUE_UNANSWERED}) AS timed,
               count(*) FILTER (WHERE a.return_reason IS NOT NULL AND a.state <> 'recalled') AS returns,
               count(*) FILTER (WHERE a.return_ruling = 'overruled') AS returns_overruled,
               count(*) FILTER (WHERE (a.replied_at AT TIME ZONE 'Asia/Shanghai')::date <= a.deadline) AS replies_on_time
        FROM assignments a JOIN opinions o ON o.id = a.opinion_id
        WHERE (o.org_unit LIKE $1 OR o.handling_unit LIKE $1)
          AND ($2::timestamptz IS NULL OR o.created_at >= $2) AND ($3::timestamptz IS NULL OR o.created_at < $3)
        GROUP BY a.department_id ORDER BY a.department_id
        """,  # noqa: S608 — OVERDUE_UNANSWERED above
        pattern, start, end,
    )


# --- open data (公开): per county and month, nothing but counts -------------------------------

COUNTY_OF = "substr(o.org_unit, 1, 6) || '000000'"
MONTH_OF = "to_char(o.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')"


async def open_figures(conn, *, year: int):
    """Counts behind the four rates, per county (a city's own cases under the city) and month."""
    return await conn.fetch(
        f"""
        WITH {TIMELY}
        SELECT {COUNTY_OF} AS county, {MONTH_OF} AS month, {CASE_FIGURES},
               coalesce(sum(t.timed), 0) AS timed, coalesce(sum(t.on_time), 0) AS on_time
        FROM opinions o LEFT JOIN timely t ON t.opinion_id = o.id
        WHERE o.status <> 'merged' AND extract(year FROM o.created_at AT TIME ZONE 'Asia/Shanghai') = $1
        GROUP BY 1, 2 ORDER BY 1, 2
        """,  # noqa: S608 — the constants above, no input
        year,
    )


async def open_categories(conn, *, year: int):
    """Cases per county, month and category."""
    return await conn.fetch(
        f"""
        SELECT {COUNTY_OF} AS county, {MONTH_OF} AS month, coalesce(o.category, '') AS category, count(*) AS cases
        FROM opinions o
        WHERE o.status <> 'merged' AND extract(year FROM o.created_at AT TIME ZONE 'Asia/Shanghai') = $1
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        """,  # noqa: S608 — the constants above, no input
        year,
    )


async def unit_names(conn, codes: list[str]) -> dict[str, str]:
    rows = await conn.fetch("SELECT code, name FROM org_units WHERE code = ANY($1::text[])", codes)
    return {r["code"]: r["name"] for r in rows}

