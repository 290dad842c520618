"""Queries of the deadlines kept from feedback's events, which the reminders read."""

from __future__ import annotations

from datetime import date


async def track(conn, source_id: str, *, kind: str, org_unit: str, deadline: date, department_ids: list[str]) -> None:
    """An assigned opinion or proposal: its deadline and departments, open (again, if reassigned)."""
    await conn.execute(
        """
        INSERT INTO deadlines (source_id, kind, org_unit, deadline, department_ids, open)
        VALUES ($1, $2, $3, $4, $5, true)
        ON CONFLICT (source_id) DO UPDATE SET deadline = excluded.deadline,
            department_ids = excluded.department_ids, open = true
        """,
        source_id, kind, org_unit, deadline, department_ids,
    )


async def add_department(conn, source_id: str, *, kind: str, org_unit: str, deadline: date,
                         department_id: str) -> None:
    """One more department on an open deadline (a return overruled), the others kept."""
    await conn.execute(
        """
        INSERT INTO deadlines (source_id, kind, org_unit, deadline, department_ids, open)
        VALUES ($1, $2, $3, $4, ARRAY[$5], true)
        ON CONFLICT (source_id) DO UPDATE SET
            department_ids = ARRAY(SELECT DISTINCT unnest(deadlines.department_ids || ARRAY[$5])),
            deadline = CASE WHEN deadlines.open THEN greatest(deadlines.deadline, $4) ELSE $4 END, open = true
        """,
        source_id, kind, org_unit, deadline, department_id,
    )


async def extend(conn, source_id: str, deadline: date) -> None:
    """A later deadline; an earlier one (an event redelivered late) changes nothing."""
    await conn.execute("UPDATE deadlines SET deadline = greatest(deadline, $2) WHERE source_id = $1",
                       source_id, deadline)


async def close(conn, source_id: str) -> None:
    await conn.execute("UPDATE deadlines SET open = false WHERE source_id = $1", source_id)


async def open_between(conn, first: date, last: date):
    return await conn.fetch(
        "SELECT source_id, kind, org_unit, deadline, department_ids FROM deadlines"
        " WHERE open AND deadline BETWEEN $1 AND $2", first, last)
