"""Queries of cases imported from the 12345 hotline."""

from __future__ import annotations

import uuid
from datetime import datetime

from liaison_shared.db import fetch_page

COLUMNS = ("city, case_number, opinion_id::text AS opinion_id, org_unit, received_at, imported_at,"
           " imported_by")


async def claim(conn, *, city: str, case_number: str, opinion_id: uuid.UUID, org_unit: str,
                received_at: datetime | None, imported_by: str):
    """Take the case number for a new case; the case imported under it before (its id and unit),
    if any. A concurrent import of the same number waits here for the other to commit, then
    finds it."""
    taken = await conn.fetchval(
        "INSERT INTO hotline_cases (city, case_number, opinion_id, org_unit, received_at, imported_by)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (city, case_number) DO NOTHING RETURNING true",
        city, case_number, opinion_id, org_unit, received_at, imported_by)
    if taken:
        return None
    return await conn.fetchrow(
        "SELECT opinion_id::text AS opinion_id, org_unit FROM hotline_cases WHERE city = $1 AND case_number = $2",
        city, case_number)


async def units_named(conn) -> list[tuple[str, str]]:
    """(code, name) of every active org unit, for a case that names its place in words."""
    return [(r["code"], r["name"]) for r in await conn.fetch("SELECT code, name FROM org_units WHERE active")]


async def cases_page(conn, *, pattern: str, case_number: str | None, limit: int, offset: int):
    return await fetch_page(
        conn,
        f"SELECT {COLUMNS} FROM hotline_cases WHERE org_unit LIKE $1"  # noqa: S608 — COLUMNS above
        " AND ($2::text IS NULL OR case_number = $2) ORDER BY imported_at DESC, case_number",
        pattern, case_number, limit=limit, offset=offset)


async def is_hotline_case(conn, opinion_id: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM hotline_cases WHERE opinion_id = $1::uuid", opinion_id))


async def answered_on_the_spot(conn, opinion_id: str):
    """The case's answer given on the spot, if any, and when (its last step of that kind)."""
    return await conn.fetchrow(
        "SELECT o.answer, (SELECT max(h.at) FROM case_history h WHERE h.opinion_id = o.id"
        " AND h.action = 'answer_on_spot') AS at FROM opinions o WHERE o.id = $1::uuid", opinion_id)


async def replies(conn, opinion_id: str):
    """Every department's reply to the case, with the department's name, round by round, lead first."""
    return await conn.fetch(
        "SELECT a.round, coalesce(d.name, a.department_id) AS department, a.reply, a.replied_at"
        " FROM assignments a LEFT JOIN departments d ON d.id = a.department_id"
        " WHERE a.opinion_id = $1::uuid AND a.reply IS NOT NULL ORDER BY a.round, a.lead DESC, a.department_id",
        opinion_id)
