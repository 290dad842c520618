"""Queries behind opinions taken in by members: feedback's copy of the reception days and
activities of members, and the registry projection's members and sectors they are checked against."""

from __future__ import annotations


async def member(conn, member_id: str):
    """A member of the registry projection: its committee unit, sector and status; or None."""
    return await conn.fetchrow(
        "SELECT id, org_unit, sector_id, sector_name, status FROM members WHERE id = $1", member_id)


async def sector_units(conn, sector_id: str) -> list[str]:
    """The committees a sector's members sit on: a sector is known here through its members."""
    rows = await conn.fetch("SELECT DISTINCT org_unit FROM members WHERE sector_id = $1", sector_id)
    return [r["org_unit"] for r in rows]


async def reception_day(conn, reception_day_id: str):
    return await conn.fetchrow(
        "SELECT id, member_id, venue_id, org_unit FROM reception_days WHERE id = $1", reception_day_id)


async def activity(conn, activity_id: str):
    return await conn.fetchrow("SELECT id, org_unit, member_ids FROM activities WHERE id = $1", activity_id)


async def upsert_reception_day(conn, values: dict, at) -> None:
    await conn.execute(
        "INSERT INTO reception_days (id, member_id, venue_id, org_unit, source_time) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (id) DO UPDATE SET member_id = excluded.member_id, venue_id = excluded.venue_id,"
        " org_unit = excluded.org_unit, source_time = excluded.source_time"
        " WHERE reception_days.source_time <= excluded.source_time",
        values["id"], values["member_id"], values["venue_id"], values["org_unit"], at,
    )


async def upsert_activity(conn, values: dict, at) -> None:
    await conn.execute(
        "INSERT INTO activities (id, org_unit, member_ids, source_time) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (id) DO UPDATE SET org_unit = excluded.org_unit, member_ids = excluded.member_ids,"
        " source_time = excluded.source_time WHERE activities.source_time <= excluded.source_time",
        values["id"], values["org_unit"], values["member_ids"], at,
    )
