"""Queries of sector activity groups (界别活动组): the group, its members, plan and activities, the
counts its ranking is made of, and what the opinions taken in at its activities led to."""

from __future__ import annotations

import uuid
from typing import Any

from liaison_shared.db import as_uuid, fetch_page

from .work import ACTIVITY_COLUMNS

# A group's current members: joined, active, and still of the group's sector — a member moved to
# another sector leaves the group's figures without anyone having to remove it.
CURRENT = """
    SELECT gm.group_id, gm.member_id, gm.joined_at, m.name
    FROM sector_group_members gm
    JOIN sector_groups cg ON cg.id = gm.group_id
    JOIN members m ON m.id = gm.member_id AND m.sector_id = cg.sector_id AND m.status = 'active'
"""

GROUP_COLUMNS = f"""
    g.id::text AS id, g.org_unit, g.sector_id::text AS sector_id, s.name AS sector_name, g.name,
    g.convener_id::text AS convener_id, g.created_by, g.created_at,
    coalesce((SELECT jsonb_agg(jsonb_build_object('member_id', c.member_id::text, 'name', c.name,
                                                  'joined_at', c.joined_at) ORDER BY c.joined_at, c.member_id)
              FROM ({CURRENT}) c WHERE c.group_id = g.id), '[]') AS members
"""  # noqa: S608 — CURRENT above
GROUP_FROM = "sector_groups g JOIN sectors s ON s.id = g.sector_id"


async def insert_group(conn, values: dict[str, Any]) -> str | None:
    """The new group's id, or None when its sector has a group, or its committee one of that name."""
    group_id = uuid.uuid4()
    inserted = await conn.fetchval(
        """
        INSERT INTO sector_groups (id, org_unit, sector_id, name, convener_id, created_by)
        VALUES ($1, $2, $3::uuid, $4, $5::uuid, $6)
        ON CONFLICT DO NOTHING RETURNING id
        """,
        group_id, values["org_unit"], values["sector_id"], values["name"], values.get("convener_id"),
        values["created_by"],
    )
    return None if inserted is None else str(group_id)


async def group(conn, group_id: str, *, for_update: bool = False):
    key = as_uuid(group_id)
    if key is None:
        return None
    if for_update:
        # membership and convener change under this lock, so two changes never cross
        await conn.execute("SELECT 1 FROM sector_groups WHERE id = $1 FOR UPDATE", key)
    return await conn.fetchrow(f"SELECT {GROUP_COLUMNS} FROM {GROUP_FROM} WHERE g.id = $1", key)  # noqa: S608 — GROUP_COLUMNS, GROUP_FROM above


async def groups_page(conn, *, pattern: str | None, member_id: str | None, sector_id: str | None,
                      limit: int, offset: int):
    return await fetch_page(
        conn,
        f"""
        SELECT {GROUP_COLUMNS} FROM {GROUP_FROM}
        WHERE ($1::text IS NULL OR g.org_unit LIKE $1)
          AND ($2::uuid IS NULL OR EXISTS (SELECT 1 FROM ({CURRENT}) c WHERE c.group_id = g.id AND c.member_id = $2))
          AND ($3::uuid IS NULL OR g.sector_id = $3)
        ORDER BY g.org_unit, g.name
        """,  # noqa: S608 — GROUP_COLUMNS, GROUP_FROM, CURRENT above
        pattern, as_uuid(member_id), as_uuid(sector_id), limit=limit, offset=offset,
    )


async def rename(conn, group_id: str, name: str) -> bool:
    """False when the committee has another group of that name."""
    clash = await conn.fetchval(
        "SELECT 1 FROM sector_groups WHERE name = $2 AND id <> $1::uuid"
        " AND org_unit = (SELECT org_unit FROM sector_groups WHERE id = $1::uuid)",
        group_id, name,
    )
    if clash:
        return False
    await conn.execute("UPDATE sector_groups SET name = $2 WHERE id = $1::uuid", group_id, name)
    return True


async def set_convener(conn, group_id: str, member_id: str) -> None:
    await conn.execute("UPDATE sector_groups SET convener_id = $2::uuid WHERE id = $1::uuid", group_id, member_id)


async def add_members(conn, group_id: str, member_ids: list[str]) -> None:
    """Joins the members not in the group yet; one already in keeps its day of joining."""
    await conn.execute(
        "INSERT INTO sector_group_members (group_id, member_id)"
        " SELECT $1::uuid, m::uuid FROM unnest($2::text[]) AS m ON CONFLICT DO NOTHING",
        group_id, member_ids,
    )


async def remove_member(conn, group_id: str, member_id: str) -> bool:
    removed = await conn.fetchval(
        "DELETE FROM sector_group_members WHERE group_id = $1::uuid AND member_id = $2 RETURNING 1",
        group_id, as_uuid(member_id),
    )
    return removed is not None


# --- plan and activities --------------------------------------------------------------------

PLAN_COLUMNS = """
    p.id::text AS id, p.group_id::text AS group_id, extract(year FROM p.planned_on)::int AS year, p.planned_on,
    p.theme, p.type, p.description, p.created_by,
    coalesce((SELECT array_agg(ga.activity_id::text ORDER BY ga.activity_id)
              FROM sector_group_activities ga WHERE ga.plan_item_id = p.id), '{}') AS carried_out_by
"""


async def insert_plan_item(conn, group_id: str, values: dict[str, Any]):
    plan_item_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO sector_group_plan_items (id, group_id, planned_on, theme, type, description, created_by)"
        " VALUES ($1, $2::uuid, $3, $4, $5, $6, $7)",
        plan_item_id, group_id, values["planned_on"], values["theme"], values.get("type"),
        values.get("description"), values["created_by"],
    )
    return await plan_item(conn, str(plan_item_id))


async def plan_item(conn, plan_item_id: str):
    key = as_uuid(plan_item_id)
    if key is None:
        return None
    return await conn.fetchrow(f"SELECT {PLAN_COLUMNS} FROM sector_group_plan_items p WHERE p.id = $1", key)  # noqa: S608 — PLAN_COLUMNS above


async def plan(conn, group_id: str, year: int | None):
    return await conn.fetch(
        f"""
        SELECT {PLAN_COLUMNS} FROM sector_group_plan_items p
        WHERE p.group_id = $1::uuid AND ($2::int IS NULL OR extract(year FROM p.planned_on) = $2)
        ORDER BY p.planned_on, p.created_at
        """,  # noqa: S608 — PLAN_COLUMNS above
        group_id, year,
    )


async def link_activity(conn, activity_id: str, group_id: str, plan_item_id: str | None) -> None:
    await conn.execute(
        "INSERT INTO sector_group_activities (activity_id, group_id, plan_item_id) VALUES ($1::uuid, $2::uuid, $3::uuid)",
        activity_id, group_id, plan_item_id,
    )


GROUP_ACTIVITY_COLUMNS = f"""{ACTIVITY_COLUMNS},
    ga.group_id::text AS group_id, ga.plan_item_id::text AS plan_item_id
"""  # noqa: S608 — ACTIVITY_COLUMNS of storage.work


async def group_activity(conn, activity_id: str):
    return await conn.fetchrow(
        f"SELECT {GROUP_ACTIVITY_COLUMNS} FROM activities a JOIN sector_group_activities ga ON ga.activity_id = a.id"  # noqa: S608 — columns above
        " WHERE a.id = $1::uuid",
        activity_id,
    )


async def group_activities(conn, group_id: str, year: int | None):
    return await conn.fetch(
        f"""
        SELECT {GROUP_ACTIVITY_COLUMNS}
        FROM activities a JOIN sector_group_activities ga ON ga.activity_id = a.id
        WHERE ga.group_id = $1::uuid AND ($2::int IS NULL OR extract(year FROM a.occurred_on) = $2)
        ORDER BY a.occurred_on, a.created_at
        """,  # noqa: S608 — columns above
        group_id, year,
    )


# --- the ranking's counts and what opinions led to --------------------------------------------


async def work_of_groups(conn, org_unit: str, year: int):
    """Per group of the committee, its year: members now, plan, activities held, attendance by its
    current members, the opinions taken in at those activities and the reports and proposals they
    fed (each counted once however many of the group's activities name it)."""
    return await conn.fetch(
        f"""
        WITH present AS ({CURRENT} WHERE cg.org_unit = $1),
        held AS (
            SELECT ga.group_id, ga.plan_item_id, a.id AS activity_id, a.opinion_ids
            FROM sector_group_activities ga
            JOIN activities a ON a.id = ga.activity_id
            JOIN sector_groups hg ON hg.id = ga.group_id
            WHERE hg.org_unit = $1 AND extract(year FROM a.occurred_on) = $2
        ), heard AS (
            SELECT DISTINCT h.group_id, o.id FROM held h CROSS JOIN LATERAL unnest(h.opinion_ids) AS o(id)
        )
        SELECT g.id::text AS group_id, g.name, g.sector_id::text AS sector_id,
            coalesce((SELECT array_agg(c.member_id::text ORDER BY c.member_id) FROM present c
                      WHERE c.group_id = g.id), '{{}}') AS member_ids,
            (SELECT count(*) FROM sector_group_plan_items p
             WHERE p.group_id = g.id AND extract(year FROM p.planned_on) = $2) AS planned,
            (SELECT count(DISTINCT h.plan_item_id) FROM held h WHERE h.group_id = g.id) AS plan_items_held,
            (SELECT count(*) FROM held h WHERE h.group_id = g.id) AS activities_held,
            (SELECT count(*) FROM held h
             JOIN activity_participants ap ON ap.activity_id = h.activity_id
             JOIN present c ON c.group_id = h.group_id AND c.member_id = ap.member_id
             WHERE h.group_id = g.id) AS attendances,
            (SELECT count(*) FROM heard x WHERE x.group_id = g.id) AS opinions_taken_in,
            (SELECT count(DISTINCT f.ref_id) FROM heard x
             JOIN opinion_follow_ups f ON f.opinion_id = x.id AND f.kind = 'report'
             WHERE x.group_id = g.id) AS reports,
            (SELECT count(DISTINCT f.ref_id) FROM heard x
             JOIN opinion_follow_ups f ON f.opinion_id = x.id AND f.kind = 'proposal'
             WHERE x.group_id = g.id) AS proposals
        FROM sector_groups g WHERE g.org_unit = $1
        ORDER BY g.name
        """,  # noqa: S608 — CURRENT above
        org_unit, year,
    )


async def add_follow_up(conn, opinion_id: str, kind: str, ref_id: str, at) -> None:
    await conn.execute(
        "INSERT INTO opinion_follow_ups (opinion_id, kind, ref_id, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        opinion_id, kind, ref_id, at,
    )
