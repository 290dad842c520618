"""Queries of topics, their sources and history, and the process data (weights, deadlines, levels)."""

from __future__ import annotations

from typing import Any

from liaison_shared import db
from liaison_shared.db import as_uuid, fetch_page

COLUMNS = """
    t.id::text AS id, t.org_unit, t.level, t.title, t.description, t.source_kind, t.track, t.stage,
    t.department_ids, t.plan, t.due, t.created_by, t.created_at, t.updated_at, t.closed_at,
    coalesce((SELECT sum(s.people) FROM topic_sources s WHERE s.topic_id = t.id), 0)::int AS people_concerned,
    (SELECT count(*) FROM topic_sources s WHERE s.topic_id = t.id AND s.kind = 'public')::int AS linked_opinions,
    coalesce((SELECT sum(p.count) FROM topic_supports p WHERE p.topic_id = t.id), 0)::int AS supporters,
    coalesce((SELECT jsonb_agg(jsonb_build_object('kind', s.kind, 'ref', s.ref, 'org_unit', s.org_unit,
                                                  'people', s.people, 'added_at', s.added_at) ORDER BY s.added_at)
              FROM topic_sources s WHERE s.topic_id = t.id), '[]') AS sources,
    coalesce((SELECT array_agg(DISTINCT h.detail->'raised'->>'from') FROM topic_history h
              WHERE h.topic_id = t.id AND h.action = 'raise'), '{}') AS raised_from
"""



async def insert(conn, values: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO topics (id, org_unit, level, title, description, source_kind, department_ids, created_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        values["id"], values["org_unit"], values["level"], values["title"], values.get("description") or "",
        values["source_kind"], values.get("department_ids") or [], values["created_by"],
    )


async def add_source(conn, topic_id, *, kind: str, ref: str, org_unit: str, people: int, by: str) -> bool:
    """False when that source was already linked (a redelivered event, a second click)."""
    added = await conn.fetchval(
        "INSERT INTO topic_sources (topic_id, kind, ref, org_unit, people, added_by)"
        " VALUES ($1::uuid, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true",
        str(topic_id), kind, ref, org_unit, people, by,
    )
    return bool(added)


async def add_support(conn, topic_id: str, *, supporter: str, count: int) -> bool:
    """False when this supporter was already counted: a person supports a topic once."""
    return bool(await conn.fetchval(
        "INSERT INTO topic_supports (topic_id, supporter, count) VALUES ($1::uuid, $2, $3)"
        " ON CONFLICT DO NOTHING RETURNING true", topic_id, supporter, count))


async def topic(conn, topic_id: str, *, for_update: bool = False):
    key = as_uuid(topic_id)
    if key is None:
        return None
    lock = " FOR UPDATE OF t" if for_update else ""
    return await conn.fetchrow(f"SELECT {COLUMNS} FROM topics t WHERE t.id = $1{lock}", key)  # noqa: S608 — COLUMNS above; the lock clause chosen by a bool


async def update(conn, topic_id: str, changes: dict[str, Any]) -> None:
    await db.update(conn, "topics", {"id": as_uuid(topic_id)}, changes, touch=True)


async def record(conn, topic_id: str, *, principal_cols: dict, action: str, from_stage: str | None,
                 to_stage: str, org_unit: str, detail: dict | None = None) -> None:
    await conn.execute(
        "INSERT INTO topic_history (topic_id, actor_sub, actor_role, actor_org, action, from_stage, to_stage,"
        " org_unit, detail) VALUES ($1::uuid, $2, $3, $4, $5, $6, $7, $8, $9)",
        str(topic_id), principal_cols["actor_sub"], principal_cols["actor_role"], principal_cols["actor_org"],
        action, from_stage, to_stage, org_unit, detail or {},
    )


async def history(conn, topic_id: str):
    return await conn.fetch(
        "SELECT at, actor_sub, actor_role, actor_org, action, from_stage, to_stage, org_unit, detail"
        " FROM topic_history WHERE topic_id = $1::uuid ORDER BY id", topic_id,
    )


async def topics_page(conn, *, pattern: str, stage: str | None, track: str | None, level: str | None,
                      department: str | None, raised_from: str | None, limit: int, offset: int):
    # department: a department sees the topics it is named competent for, wherever they are;
    # raised_from: staff and leaders also see the topics their units raised to a unit above
    return await fetch_page(
        conn,
        f"SELECT {COLUMNS} FROM topics t WHERE (t.org_unit LIKE $1 OR $5::text = ANY(t.department_ids)"  # noqa: S608 — COLUMNS above
        "   OR ($6::text IS NOT NULL AND EXISTS (SELECT 1 FROM topic_history h WHERE h.topic_id = t.id"
        "        AND h.action = 'raise' AND h.detail->'raised'->>'from' LIKE $6)))"
        " AND ($2::text IS NULL OR t.stage = $2) AND ($3::text IS NULL OR t.track = $3)"
        " AND ($4::text IS NULL OR t.level = $4)"
        " ORDER BY t.updated_at DESC",
        pattern if department is None else "", stage, track, level, department, raised_from,
        limit=limit, offset=offset,
    )


async def weights(conn) -> dict[str, float]:
    return {r["factor"]: float(r["value"]) for r in await conn.fetch("SELECT factor, value FROM selection_weights")}


async def weights_rows(conn):
    return await conn.fetch("SELECT factor, value::float AS value, meaning, updated_by, updated_at"
                            " FROM selection_weights ORDER BY factor")


async def set_weight(conn, factor: str, value: float, by: str) -> None:
    await conn.execute("UPDATE selection_weights SET value = $2, updated_by = $3, updated_at = now()"
                       " WHERE factor = $1", factor, value, by)


async def step_days(conn, track: str) -> dict[str, int]:
    return {r["step"]: r["days"] for r in await conn.fetch("SELECT step, days FROM track_deadlines WHERE track = $1",
                                                           track)}


async def tracks(conn):
    return await conn.fetch("SELECT track, step, days FROM track_deadlines ORDER BY track, step")


async def positioning(conn):
    return await conn.fetch("SELECT level, focus, forms FROM level_positioning"
                            " ORDER BY array_position(ARRAY['city','county','town','village'], level)")


async def forms_of(conn, level: str) -> list[str]:
    return list(await conn.fetchval("SELECT forms FROM level_positioning WHERE level = $1", level) or [])


async def department_units(conn, department_ids: list[str]) -> dict[str, str]:
    rows = await conn.fetch("SELECT id, org_unit FROM departments WHERE id = ANY($1::text[])", department_ids)
    return {r["id"]: r["org_unit"] for r in rows}


async def member_units(conn, member_ids: list[str]) -> dict[str, str]:
    rows = await conn.fetch("SELECT id, org_unit FROM members WHERE id = ANY($1::text[])", member_ids)
    return {r["id"]: r["org_unit"] for r in rows}


async def org_unit_known(conn, code: str) -> bool:
    return bool(await conn.fetchval("SELECT true FROM org_units WHERE code = $1 AND active", code))
