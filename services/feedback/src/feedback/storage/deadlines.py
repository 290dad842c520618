"""Queries of the deadline scheduler: the assigned cases past their deadline, and the notices
said of them (one per case and deadline)."""

from __future__ import annotations

from datetime import date


async def overdue_unnoticed(conn, today: date, limit: int):
    """Assigned cases past their deadline with no notice yet for that deadline, with the
    departments still to answer; locked, and those another transaction holds skipped."""
    return await conn.fetch(
        """
        WITH due AS (
            SELECT o.id FROM opinions o
            WHERE o.status = 'assigned' AND o.deadline < $1
              AND NOT EXISTS (SELECT 1 FROM overdue_notices n
                              WHERE n.opinion_id = o.id AND n.deadline = o.deadline)
            ORDER BY o.deadline LIMIT $2
            FOR UPDATE SKIP LOCKED
        )
        SELECT o.id::text AS id, o.org_unit, o.handling_unit, o.deadline,
               array_agg(a.department_id ORDER BY a.department_id) AS departments
        FROM due JOIN opinions o ON o.id = due.id
        JOIN assignments a ON a.opinion_id = o.id AND a.state = 'active'
             AND a.round = (SELECT max(round) FROM assignments WHERE opinion_id = o.id)
        GROUP BY o.id
        ORDER BY o.deadline
        """,
        today, limit,
    )


async def insert_notice(conn, opinion_id: str, deadline: date) -> None:
    await conn.execute(
        "INSERT INTO overdue_notices (opinion_id, deadline) VALUES ($1::uuid, $2) ON CONFLICT DO NOTHING",
        opinion_id, deadline,
    )
