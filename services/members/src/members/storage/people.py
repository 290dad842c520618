"""Queries of sectors, special committees, bridges, members and their assignments."""

from __future__ import annotations

import uuid
from typing import Any

from liaison_shared.db import as_uuid, fetch_page

from .registry import _update

SECTOR_COLUMNS = "id::text AS id, org_unit, name, category, duty_emphasis"
MEMBER_COLUMNS = """
    m.id::text AS id, m.name, m.sector_id::text AS sector_id, s.name AS sector_name,
    s.category AS sector_category, m.org_unit, m.special_committee_id::text AS special_committee_id,
    m.occupation, m.work_unit, m.region, m.term, m.status, m.photo_url, m.public_contact,
    m.email, m.phone, m.updated_at,
    coalesce((SELECT array_agg(a.contact_point ORDER BY a.contact_point)
              FROM member_assignments a WHERE a.member_id = m.id), '{}') AS contact_points
"""
MEMBER_FROM = "members m JOIN sectors s ON s.id = m.sector_id"



# --- sectors ------------------------------------------------------------------------------


async def sector(conn, sector_id: str):
    key = as_uuid(sector_id)
    if key is None:
        return None
    return await conn.fetchrow(f"SELECT {SECTOR_COLUMNS} FROM sectors WHERE id = $1", key)  # noqa: S608 — SECTOR_COLUMNS above


async def sector_named(conn, org_unit: str, name: str) -> str | None:
    """The id of a committee's sector by its name (an import names sectors so)."""
    return await conn.fetchval("SELECT id::text FROM sectors WHERE org_unit = $1 AND name = $2", org_unit, name)


async def sectors_page(conn, *, org_unit: str | None, category: str | None, limit: int, offset: int):
    return await fetch_page(
        conn,
        f"SELECT {SECTOR_COLUMNS} FROM sectors WHERE ($1::text IS NULL OR org_unit = $1)"  # noqa: S608 — SECTOR_COLUMNS above
        " AND ($2::text IS NULL OR category = $2) ORDER BY org_unit, name",
        org_unit, category, limit=limit, offset=offset,
    )


async def insert_sector(conn, values: dict[str, Any]):
    return await conn.fetchrow(
        f"INSERT INTO sectors (id, org_unit, name, category, duty_emphasis)"  # noqa: S608 — SECTOR_COLUMNS above
        f" VALUES ($1, $2, $3, $4, $5) ON CONFLICT (org_unit, name) DO NOTHING RETURNING {SECTOR_COLUMNS}",
        values.get("id") or uuid.uuid4(), values["org_unit"], values["name"], values["category"],
        values["duty_emphasis"],
    )


# --- special committees, plan items, bridges -------------------------------------------------


async def special_committee(conn, committee_id: str):
    key = as_uuid(committee_id)
    if key is None:
        return None
    return await conn.fetchrow(
        """
        SELECT c.id::text AS id, c.org_unit, c.name,
               coalesce(array_agg(l.sector_id::text ORDER BY l.sector_id)
                        FILTER (WHERE l.sector_id IS NOT NULL), '{}') AS sector_ids
        FROM special_committees c LEFT JOIN special_committee_sectors l ON l.special_committee_id = c.id
        WHERE c.id = $1 GROUP BY c.id
        """,
        key,
    )


async def special_committee_named(conn, org_unit: str, name: str) -> str | None:
    return await conn.fetchval(
        "SELECT id::text FROM special_committees WHERE org_unit = $1 AND name = $2", org_unit, name
    )


async def special_committees_page(conn, *, pattern: str, above: list[str], limit: int, offset: int):
    return await fetch_page(
        conn,
        """
        SELECT c.id::text AS id, c.org_unit, c.name,
               coalesce(array_agg(l.sector_id::text ORDER BY l.sector_id)
                        FILTER (WHERE l.sector_id IS NOT NULL), '{}') AS sector_ids
        FROM special_committees c LEFT JOIN special_committee_sectors l ON l.special_committee_id = c.id
        WHERE c.org_unit LIKE $1 OR c.org_unit = ANY($2::text[])
        GROUP BY c.id ORDER BY c.org_unit, c.name
        """,
        pattern, above, limit=limit, offset=offset,
    )


async def insert_special_committee(conn, values: dict[str, Any]) -> str | None:
    committee_id = values.get("id") or uuid.uuid4()
    created = await conn.fetchval(
        "INSERT INTO special_committees (id, org_unit, name) VALUES ($1, $2, $3)"
        " ON CONFLICT (org_unit, name) DO NOTHING RETURNING id::text",
        committee_id, values["org_unit"], values["name"],
    )
    if created:
        await link_sectors(conn, created, values.get("sector_ids", []))
    return created


async def link_sectors(conn, committee_id: str, sector_ids: list[str]) -> None:
    await conn.execute(
        "DELETE FROM special_committee_sectors WHERE special_committee_id = $1::uuid", committee_id
    )
    await conn.execute(
        "INSERT INTO special_committee_sectors (special_committee_id, sector_id)"
        " SELECT $1::uuid, s::uuid FROM unnest($2::text[]) AS s",
        committee_id, sector_ids,
    )


async def plan_items(conn, committee_id: str, year: int | None):
    return await conn.fetch(
        "SELECT id::text AS id, sector_id::text AS sector_id, year, title, description FROM plan_items"
        " WHERE special_committee_id = $1::uuid AND ($2::int IS NULL OR year = $2) ORDER BY year, title",
        committee_id, year,
    )


async def insert_plan_item(conn, committee_id: str, values: dict[str, Any]):
    return await conn.fetchrow(
        "INSERT INTO plan_items (id, special_committee_id, sector_id, year, title, description)"
        " VALUES ($1, $2::uuid, $3::uuid, $4, $5, $6)"
        " RETURNING id::text AS id, sector_id::text AS sector_id, year, title, description",
        uuid.uuid4(), committee_id, values.get("sector_id"), values["year"], values["title"],
        values.get("description"),
    )


async def bridges(conn, sector_id: str):
    return await conn.fetch(
        "SELECT id::text AS id, kind, name, department_id::text AS department_id, note FROM bridges"
        " WHERE sector_id = $1::uuid ORDER BY kind, name",
        sector_id,
    )


async def insert_bridge(conn, sector_id: str, values: dict[str, Any]):
    return await conn.fetchrow(
        "INSERT INTO bridges (id, sector_id, kind, name, department_id, note)"
        " VALUES ($1, $2::uuid, $3, $4, $5::uuid, $6) ON CONFLICT (sector_id, kind, name) DO NOTHING"
        " RETURNING id::text AS id, kind, name, department_id::text AS department_id, note",
        uuid.uuid4(), sector_id, values["kind"], values["name"], values.get("department_id"),
        values.get("note"),
    )


# --- members ------------------------------------------------------------------------------


async def member(conn, member_id: str, *, for_update: bool = False):
    key = as_uuid(member_id)
    if key is None:
        return None
    if for_update:
        await conn.execute("SELECT 1 FROM members WHERE id = $1 FOR UPDATE", key)
    return await conn.fetchrow(f"SELECT {MEMBER_COLUMNS} FROM {MEMBER_FROM} WHERE m.id = $1", key)  # noqa: S608 — MEMBER_COLUMNS, MEMBER_FROM above


async def members_page(
    conn, *, pattern: str, sector_id: str | None, status: str | None, unassigned: bool,
    query: str | None, limit: int, offset: int,
):
    """Members of committees in the subtree, and members assigned to contact points in it."""
    return await fetch_page(
        conn,
        f"""
        SELECT {MEMBER_COLUMNS} FROM {MEMBER_FROM}
        WHERE (m.org_unit LIKE $1 OR EXISTS (
                 SELECT 1 FROM member_assignments a WHERE a.member_id = m.id AND a.contact_point LIKE $1))
          AND ($2::uuid IS NULL OR m.sector_id = $2::uuid)
          AND ($3::text IS NULL OR m.status = $3)
          AND (NOT $4 OR NOT EXISTS (SELECT 1 FROM member_assignments a WHERE a.member_id = m.id))
          AND ($5::text IS NULL OR m.name LIKE '%' || $5 || '%' OR m.work_unit LIKE '%' || $5 || '%')
        ORDER BY m.org_unit, s.name, m.name
        """,  # noqa: S608 — MEMBER_COLUMNS, MEMBER_FROM above
        pattern, as_uuid(sector_id), status, unassigned, query, limit=limit, offset=offset,
    )


async def insert_member(conn, values: dict[str, Any]) -> str:
    return await conn.fetchval(
        """
        INSERT INTO members (id, name, sector_id, org_unit, special_committee_id, occupation,
                             work_unit, region, term, status, photo_url, public_contact, email, phone)
        VALUES ($1, $2, $3::uuid, $4, $5::uuid, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        RETURNING id::text
        """,
        values.get("id") or uuid.uuid4(), values["name"], values["sector_id"], values["org_unit"],
        values.get("special_committee_id"), values.get("occupation"), values.get("work_unit"),
        values.get("region"), values.get("term"), values.get("status", "active"),
        values.get("photo_url"), values.get("public_contact"), values.get("email"),
        values.get("phone"),
    )


async def update_member(conn, member_id: str, changes: dict[str, Any]) -> None:
    await _update(conn, "members", "id", as_uuid(member_id), changes, "id")


async def assign(conn, member_id: str, contact_point: str) -> bool:
    return bool(await conn.fetchval(
        "INSERT INTO member_assignments (member_id, contact_point) VALUES ($1::uuid, $2)"
        " ON CONFLICT DO NOTHING RETURNING true",
        member_id, contact_point,
    ))


async def unassign(conn, member_id: str, contact_point: str) -> bool:
    return bool(await conn.fetchval(
        "DELETE FROM member_assignments WHERE member_id = $1::uuid AND contact_point = $2 RETURNING true",
        member_id, contact_point,
    ))


async def contact_point_candidates(conn, pattern: str):
    """Town and village units under the committee, with who is assigned there already."""
    return await conn.fetch(
        """
        SELECT o.code, o.name, count(m.id) AS members_assigned,
               coalesce(array_agg(DISTINCT m.sector_id::text) FILTER (WHERE m.id IS NOT NULL), '{}') AS sectors,
               coalesce(array_agg(DISTINCT m.occupation) FILTER (WHERE m.occupation IS NOT NULL), '{}') AS occupations
        FROM org_units o
        LEFT JOIN member_assignments a ON a.contact_point = o.code
        LEFT JOIN members m ON m.id = a.member_id AND m.status = 'active'
        WHERE o.code LIKE $1 AND o.level IN ('town', 'village') AND o.active
        GROUP BY o.code, o.name
        """,
        pattern,
    )


async def contact_points_page(conn, *, pattern: str, unassigned: bool, limit: int, offset: int):
    return await fetch_page(
        conn,
        """
        SELECT o.code, o.name, o.level, o.parent,
               coalesce(array_agg(a.member_id::text ORDER BY a.member_id)
                        FILTER (WHERE a.member_id IS NOT NULL), '{}') AS member_ids
        FROM org_units o LEFT JOIN member_assignments a ON a.contact_point = o.code
        WHERE o.code LIKE $1 AND o.kind = 'contact_point' AND o.active
        GROUP BY o.code HAVING (NOT $2 OR count(a.member_id) = 0)
        ORDER BY o.code
        """,
        pattern, unassigned, limit=limit, offset=offset,
    )


async def contact_point_members(conn, code: str, *, limit: int, offset: int):
    """Active members assigned to a contact point, with what their public card shows."""
    return await fetch_page(
        conn,
        """
        SELECT m.id::text AS id, m.name, s.name AS sector, s.category AS sector_category,
               c.name || '政协' AS committee, m.photo_url, m.public_contact
        FROM member_assignments a
        JOIN members m ON m.id = a.member_id AND m.status = 'active'
        JOIN sectors s ON s.id = m.sector_id
        JOIN org_units c ON c.code = m.org_unit
        WHERE a.contact_point = $1
        ORDER BY m.org_unit, s.name, m.name, m.id
        """,
        code, limit=limit, offset=offset,
    )


async def is_contact_point(conn, code: str) -> bool:
    return bool(await conn.fetchval(
        "SELECT true FROM org_units WHERE code = $1 AND kind = 'contact_point' AND active", code))
