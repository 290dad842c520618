"""Queries of the dispatch catalogue (派单目录) and the working-day calendar staff entered."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from liaison_shared.db import as_uuid


async def calendar_overrides(conn, start: date, end: date) -> dict[date, bool]:
    rows = await conn.fetch("SELECT day, workday FROM calendar_days WHERE day BETWEEN $1 AND $2", start, end)
    return {r["day"]: r["workday"] for r in rows}


async def calendar_year(conn, year: int):
    return await conn.fetch(
        "SELECT day, workday, note FROM calendar_days WHERE extract(year FROM day) = $1 ORDER BY day", year
    )


async def last_entered_year(conn) -> int | None:
    """The last year staff entered a schedule for (each PUT holds a whole year's)."""
    return await conn.fetchval("SELECT max(extract(year FROM day))::int FROM calendar_days")


async def replace_calendar_year(conn, year: int, days: list[dict]) -> None:
    await conn.execute("DELETE FROM calendar_days WHERE extract(year FROM day) = $1", year)
    await conn.executemany(
        "INSERT INTO calendar_days (day, workday, note) VALUES ($1, $2, $3)",
        [(d["day"], d["workday"], d.get("note")) for d in days],
    )


async def dispatch_rules(conn, pattern: str):
    return await conn.fetch(
        "SELECT id::text AS id, category, org_unit, lead_department, co_departments, created_by, created_at"
        " FROM dispatch_rules WHERE org_unit LIKE $1 ORDER BY category, org_unit",
        pattern,
    )


async def upsert_dispatch_rule(conn, values: dict[str, Any], by: str):
    return await conn.fetchrow(
        """
        INSERT INTO dispatch_rules (id, category, org_unit, lead_department, co_departments, created_by)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (category, org_unit) DO UPDATE SET lead_department = excluded.lead_department,
            co_departments = excluded.co_departments, created_by = excluded.created_by, created_at = now()
        RETURNING id::text AS id, category, org_unit, lead_department, co_departments, created_by, created_at
        """,
        uuid.uuid4(), values["category"], values["org_unit"], values["lead_department"],
        values.get("co_departments") or [], by,
    )


async def delete_dispatch_rule(conn, rule_id: str, pattern: str) -> bool:
    key = as_uuid(rule_id)
    return key is not None and bool(await conn.fetchval(
        "DELETE FROM dispatch_rules WHERE id = $1 AND org_unit LIKE $2 RETURNING true", key, pattern
    ))


async def matching_rule(conn, categories_nearest_first: list[str], units_nearest_first: list[str]):
    """The rule of the unit nearest the case: its own, else its parent's, up to the city; at that
    unit, the rule of the case's own category, else of the category above it (domain.categories.lineage)."""
    if not categories_nearest_first:
        return None
    return await conn.fetchrow(
        """
        SELECT id::text AS id, category, org_unit, lead_department, co_departments
        FROM dispatch_rules WHERE category = ANY($1::text[]) AND org_unit = ANY($2::text[])
        ORDER BY array_position($2::text[], org_unit), array_position($1::text[], category) LIMIT 1
        """,
        categories_nearest_first, units_nearest_first,
    )
