"""Queries of reports and their instructions."""

from __future__ import annotations

import uuid
from typing import Any

from liaison_shared import db
from liaison_shared.db import as_uuid, fetch_page

COLUMNS = """
    r.id::text AS id, r.kind, r.title, r.body, r.org_unit, r.member_ids,
    (SELECT coalesce(array_agg(c::text), '{}') FROM unnest(r.case_ids) AS c) AS case_ids,
    r.status, r.submitted_to, r.adopted_by, r.created_by, r.created_at, r.updated_at, r.drafted_by,
    r.confirmed_member_ids,
    coalesce((SELECT jsonb_agg(jsonb_build_object('text', i.text, 'leader_org', i.leader_org, 'at', i.at)
                               ORDER BY i.at)
              FROM report_instructions i WHERE i.report_id = r.id), '[]') AS instructions
"""



async def insert(conn, values: dict[str, Any], by: str):
    await conn.execute(
        "INSERT INTO reports (id, kind, title, body, org_unit, member_ids, case_ids, created_by, drafted_by,"
        " confirmed_member_ids) VALUES ($1, $2, $3, $4, $5, $6, $7::uuid[], $8, $9, $10)",
        values["id"], values["kind"], values["title"], values.get("body") or "", values["org_unit"],
        values.get("member_ids") or [], values.get("case_ids") or [], by, values.get("drafted_by"),
        values.get("confirmed_member_ids") or [],
    )
    return await report(conn, str(values["id"]))


async def report(conn, report_id: str, *, for_update: bool = False):
    key = as_uuid(report_id)
    if key is None:
        return None
    lock = " FOR UPDATE OF r" if for_update else ""
    return await conn.fetchrow(f"SELECT {COLUMNS} FROM reports r WHERE r.id = $1{lock}", key)  # noqa: S608 — COLUMNS above; the lock clause chosen by a bool


async def update(conn, report_id: str, changes: dict[str, Any]) -> None:
    await db.update(conn, "reports", {"id": uuid.UUID(report_id)}, changes, touch=True)


async def insert_instruction(conn, report_id: str, text: str, principal) -> None:
    await conn.execute(
        "INSERT INTO report_instructions (id, report_id, text, leader_sub, leader_org) VALUES ($1, $2::uuid, $3, $4, $5)",
        uuid.uuid4(), report_id, text, principal.sub, principal.org,
    )


async def reports_page(conn, *, pattern: str | None, kind: str | None, status: str | None, limit: int, offset: int,
                       author: str | None = None):
    """Reports composed in or submitted into the subtree of ``pattern``; or those ``author`` writes."""
    return await fetch_page(
        conn,
        f"SELECT {COLUMNS} FROM reports r"  # noqa: S608 — COLUMNS above
        " WHERE ($1::text IS NULL OR r.org_unit LIKE $1 OR r.submitted_to LIKE $1)"
        " AND ($2::text IS NULL OR r.kind = $2) AND ($3::text IS NULL OR r.status = $3)"
        " AND ($4::text IS NULL OR $4 = ANY(r.member_ids))"
        " ORDER BY r.updated_at DESC",
        pattern, kind, status, author, limit=limit, offset=offset,
    )
