"""Queries of activities, assessment rules, credits and assessments."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from liaison_shared import orgunits
from liaison_shared.db import as_uuid, fetch_page

ACTIVITY_COLUMNS = """
    a.id::text AS id, a.type, a.title, a.org_unit, a.occurred_on, a.people_reached, a.opinion_ids,
    a.description, a.logged_by,
    coalesce((SELECT array_agg(p.member_id::text ORDER BY p.member_id)
              FROM activity_participants p WHERE p.activity_id = a.id), '{}') AS member_ids
"""


async def insert_activity(conn, values: dict[str, Any]) -> str:
    activity_id = uuid.uuid4()
    await conn.execute(
        """
        INSERT INTO activities (id, type, title, org_unit, occurred_on, people_reached, opinion_ids,
                                description, logged_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        """,
        activity_id, values["type"], values["title"], values["org_unit"], values["occurred_on"],
        values["people_reached"], values["opinion_ids"], values.get("description"), values["logged_by"],
    )
    await conn.execute(
        "INSERT INTO activity_participants (activity_id, member_id)"
        " SELECT $1, m::uuid FROM unnest($2::text[]) AS m",
        activity_id, values["member_ids"],
    )
    return str(activity_id)


async def activity(conn, activity_id: str):
    key = as_uuid(activity_id)
    if key is None:
        return None
    return await conn.fetchrow(f"SELECT {ACTIVITY_COLUMNS} FROM activities a WHERE a.id = $1", key)  # noqa: S608 — ACTIVITY_COLUMNS above


async def activities_page(
    conn, *, pattern: str | None, member_id: str | None, type: str | None,
    date_from: date | None, date_to: date | None, limit: int, offset: int,
):
    return await fetch_page(
        conn,
        f"""
        SELECT {ACTIVITY_COLUMNS} FROM activities a
        WHERE ($1::text IS NULL OR a.org_unit LIKE $1)
          AND ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM activity_participants p
                                           WHERE p.activity_id = a.id AND p.member_id = $2::uuid))
          AND ($3::text IS NULL OR a.type = $3)
          AND ($4::date IS NULL OR a.occurred_on >= $4) AND ($5::date IS NULL OR a.occurred_on <= $5)
        ORDER BY a.occurred_on DESC, a.created_at DESC
        """,  # noqa: S608 — ACTIVITY_COLUMNS above
        pattern, as_uuid(member_id), type, date_from, date_to, limit=limit, offset=offset,
    )


async def latest_rules(conn, org_unit: str, year: int):
    return await conn.fetchrow(
        "SELECT org_unit, year, version, rules, created_by, created_at FROM assessment_rules"
        " WHERE org_unit = $1 AND year = $2 ORDER BY version DESC LIMIT 1",
        org_unit, year,
    )


async def insert_rules(conn, org_unit: str, year: int, rules: dict, created_by: str):
    # Serialise versions of one committee and year, so two saves never share a number.
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", f"rules:{org_unit}:{year}")
    return await conn.fetchrow(
        """
        INSERT INTO assessment_rules (org_unit, year, version, rules, created_by)
        SELECT $1, $2, coalesce(max(version), 0) + 1, $3::jsonb, $4
        FROM assessment_rules WHERE org_unit = $1 AND year = $2
        RETURNING org_unit, year, version, rules, created_by, created_at
        """,
        org_unit, year, rules, created_by,
    )


async def work_of_members(conn, org_unit: str, year: int):
    """Per member of the committee: activity counts by type, opinions taken in, credits, sessions
    attended and research by kind (the work consultation announces, within the committee).

    An opinion counts once for a member however many of its activities name it. A credit for work
    on an opinion counts only if that member took the opinion in, within the committee.
    """
    return await conn.fetch(
        """
        WITH acts AS (
            SELECT p.member_id, a.type, count(*) AS n
            FROM activity_participants p JOIN activities a ON a.id = p.activity_id
            WHERE extract(year FROM a.occurred_on) = $2
            GROUP BY p.member_id, a.type
        ), taken_in AS (
            SELECT p.member_id, count(DISTINCT o.id) AS n
            FROM activity_participants p JOIN activities a ON a.id = p.activity_id
                 CROSS JOIN LATERAL unnest(a.opinion_ids) AS o(id)
            WHERE extract(year FROM a.occurred_on) = $2
            GROUP BY p.member_id
        ), creds AS (
            SELECT c.member_id, c.kind, count(*) AS n FROM credits c
            WHERE extract(year FROM c.occurred_at AT TIME ZONE 'Asia/Shanghai') = $2
              AND (c.opinion_id IS NULL OR EXISTS (
                   SELECT 1 FROM opinions o WHERE o.id = c.opinion_id AND o.member_id = c.member_id::text
                                              AND o.org_unit LIKE $3))
            GROUP BY c.member_id, c.kind
        ), consulted AS (
            SELECT w.member_id, w.kind, coalesce(w.detail->>'kind', '') AS sort, count(*) AS n FROM member_work w
            WHERE w.kind IN ('session', 'research') AND w.org_unit LIKE $3
              AND extract(year FROM w.started_at AT TIME ZONE 'Asia/Shanghai') = $2
            GROUP BY w.member_id, w.kind, coalesce(w.detail->>'kind', '')
        )
        SELECT m.id::text AS member_id, m.sector_id::text AS sector_id,
               coalesce((SELECT jsonb_object_agg(type, n) FROM acts WHERE acts.member_id = m.id), '{}') AS activities,
               coalesce((SELECT n FROM taken_in WHERE taken_in.member_id = m.id), 0) AS opinions,
               coalesce((SELECT jsonb_object_agg(kind, n) FROM creds WHERE creds.member_id = m.id), '{}') AS credits,
               coalesce((SELECT sum(n) FROM consulted WHERE consulted.member_id = m.id::text
                                                        AND consulted.kind = 'session'), 0) AS sessions,
               coalesce((SELECT jsonb_object_agg(sort, n) FROM consulted WHERE consulted.member_id = m.id::text
                                                                      AND consulted.kind = 'research'), '{}') AS research
        FROM members m WHERE m.org_unit = $1
        ORDER BY m.id
        """,
        org_unit, year, orgunits.sql_subtree_pattern(org_unit),
    )


async def opinions(conn, opinion_ids: list[str]) -> dict[str, Any]:
    """The known opinions among ``opinion_ids``, by id."""
    rows = await conn.fetch(
        "SELECT id, org_unit, member_id FROM opinions WHERE id = ANY($1::text[])", opinion_ids
    )
    return {r["id"]: r for r in rows}


async def add_credit(conn, member_id: str, kind: str, source_id: str, occurred_at,
                     opinion_id: str | None = None) -> None:
    if as_uuid(member_id) is None:
        return
    await conn.execute(
        "INSERT INTO credits (member_id, kind, source_id, occurred_at, opinion_id) VALUES ($1::uuid, $2, $3, $4, $5)"
        " ON CONFLICT DO NOTHING",
        member_id, kind, source_id, occurred_at, opinion_id,
    )


async def insert_assessment(conn, values: dict[str, Any]):
    return await conn.fetchrow(
        """
        INSERT INTO assessments (id, org_unit, year, rule_version, scores, rankings, published_by)
        VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7)
        RETURNING id::text AS id, org_unit, year, rule_version, scores, rankings, published_at
        """,
        uuid.uuid4(), values["org_unit"], values["year"], values["rule_version"],
        values["scores"], values["rankings"], values["published_by"],
    )


async def assessment(conn, assessment_id: str):
    key = as_uuid(assessment_id)
    if key is None:
        return None
    return await conn.fetchrow(
        "SELECT id::text AS id, org_unit, year, rule_version, scores, rankings, published_at"
        " FROM assessments WHERE id = $1",
        key,
    )


async def assessments_page(conn, *, pattern: str, year: int | None, limit: int, offset: int):
    return await fetch_page(
        conn,
        "SELECT id::text AS id, org_unit, year, rule_version, scores, rankings, published_at"
        " FROM assessments WHERE org_unit LIKE $1 AND ($2::int IS NULL OR year = $2)"
        " ORDER BY year DESC, published_at DESC",
        pattern, year, limit=limit, offset=offset,
    )
