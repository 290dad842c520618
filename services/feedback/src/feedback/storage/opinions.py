"""Queries of opinions, their assignments, history, extensions, supervision and submitters."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from liaison_shared import db, projections
from liaison_shared.cache import TtlCache
from liaison_shared.db import as_uuid, fetch_page

from ..domain import duplicates

OPINION_COLUMNS = """
    o.id::text AS id, o.tracking_code, o.content, o.category, o.channel, o.urgency, o.org_unit,
    o.handling_unit, o.first_receiver, o.status, o.member_id, o.venue_id,
    o.subject_id, o.consent, o.people_count, o.merged_into::text AS merged_into, o.reopened,
    o.deadline, o.answer, o.rating, o.rating_comment, o.converted_to, o.created_at, o.updated_at,
    o.closed_at, o.received_by, o.reception_day_id, o.activity_id, o.sector_id
"""



async def insert_opinion(conn, values: dict[str, Any]) -> None:
    await conn.execute(
        """
        INSERT INTO opinions (id, tracking_code, content, category, channel, urgency, org_unit,
                              handling_unit, first_receiver, status, member_id, venue_id, subject_id,
                              consent, received_by, reception_day_id, activity_id, sector_id, shingles)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7, 'received', $8, $9, $10, $11, $12, $13, $14, $15, $16)
        """,
        values["id"], values["tracking_code"], values["content"], values.get("category"),
        values["channel"], values["urgency"], values["org_unit"], values.get("member_id"),
        values.get("venue_id"), values.get("subject_id"), values["consent"], values.get("received_by"),
        values.get("reception_day_id"), values.get("activity_id"), values.get("sector_id"),
        duplicates.keys(values["content"]),  # 关注多: what the duplicate suggester looks up
    )


async def opinion(conn, opinion_id: str, *, for_update: bool = False):
    key = as_uuid(opinion_id)
    if key is None:
        return None
    lock = " FOR UPDATE OF o" if for_update else ""
    return await conn.fetchrow(f"SELECT {OPINION_COLUMNS} FROM opinions o WHERE o.id = $1{lock}", key)  # noqa: S608 — OPINION_COLUMNS above; the lock clause chosen by a bool


async def opinion_by_code(conn, code: str, *, for_update: bool = False):
    lock = " FOR UPDATE OF o" if for_update else ""
    return await conn.fetchrow(
        f"SELECT {OPINION_COLUMNS} FROM opinions o WHERE o.tracking_code = $1{lock}", code  # noqa: S608 — OPINION_COLUMNS above; the lock clause chosen by a bool
    )


async def update_opinion(conn, opinion_id: str, changes: dict[str, Any]) -> None:
    await db.update(conn, "opinions", {"id": uuid.UUID(opinion_id)}, changes, touch=True)


async def record(conn, opinion_id: str, *, actor_sub: str, actor_role: str, actor_org: str | None,
                 action: str, from_status: str | None, to_status: str, detail: dict | None = None) -> None:
    await conn.execute(
        "INSERT INTO case_history (opinion_id, actor_sub, actor_role, actor_org, action, from_status,"
        " to_status, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        uuid.UUID(opinion_id), actor_sub, actor_role, actor_org, action, from_status, to_status,
        detail or {},
    )


async def history(conn, opinion_id: str):
    return await conn.fetch(
        "SELECT at, actor_sub, actor_role, actor_org, action, from_status, to_status, detail"
        " FROM case_history WHERE opinion_id = $1::uuid ORDER BY id",
        opinion_id,
    )


async def opinions_page(conn, *, pattern: str | None, department_id: str | None, status: str | None,
                        limit: int, offset: int, received_by: str | None = None):
    """Cases handled in or arising in the subtree; or the cases assigned to a department; or
    (``received_by``) those a member took in."""
    return await fetch_page(
        conn,
        f"""
        SELECT {OPINION_COLUMNS} FROM opinions o
        WHERE ($1::text IS NULL OR o.handling_unit LIKE $1 OR o.org_unit LIKE $1)
          AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM assignments a
                                           WHERE a.opinion_id = o.id AND a.department_id = $2))
          AND ($3::text IS NULL OR o.status = $3)
          AND ($4::text IS NULL OR o.received_by = $4)
        ORDER BY o.created_at DESC
        """,  # noqa: S608 — OPINION_COLUMNS above
        pattern, department_id, status, received_by, limit=limit, offset=offset,
    )


async def cases_for_export(conn, *, pattern: str, start, end, limit: int):
    """The cases handled in or arising in the subtree, created in [start, end), oldest first."""
    return await conn.fetch(
        f"SELECT {OPINION_COLUMNS} FROM opinions o"  # noqa: S608 — OPINION_COLUMNS above
        " WHERE (o.org_unit LIKE $1 OR o.handling_unit LIKE $1)"
        " AND ($2::timestamptz IS NULL OR o.created_at >= $2) AND ($3::timestamptz IS NULL OR o.created_at < $3)"
        " ORDER BY o.created_at LIMIT $4",
        pattern, start, end, limit,
    )


# --- assignments -----------------------------------------------------------------------------


async def assignments(conn, opinion_id: str):
    return await conn.fetch(
        "SELECT department_id, lead, state, deadline, assigned_at, reply, replied_at, return_reason, round,"
        " return_ruling, return_ruling_reason, return_ruled_at"
        " FROM assignments WHERE opinion_id = $1::uuid ORDER BY round, lead DESC, department_id",
        opinion_id,
    )


async def current_round(conn, opinion_id: str) -> int:
    return await conn.fetchval(
        "SELECT coalesce(max(round), 0) FROM assignments WHERE opinion_id = $1::uuid", opinion_id
    )


async def insert_assignments(conn, opinion_id: str, department_ids: list[str], lead: str,
                             deadline: date, round_: int) -> None:
    await conn.executemany(
        "INSERT INTO assignments (opinion_id, department_id, lead, deadline, round)"
        " VALUES ($1::uuid, $2, $3, $4, $5)",
        [(opinion_id, d, d == lead, deadline, round_) for d in department_ids],
    )


async def set_assignment(conn, opinion_id: str, department_id: str, round_: int, **changes) -> None:
    await db.update(conn, "assignments", {"opinion_id": uuid.UUID(opinion_id), "department_id": department_id,
                                          "round": round_}, changes)


# --- extensions, supervision ------------------------------------------------------------------


async def insert_extension(conn, opinion_id: str, department_id: str, days: int, reason: str) -> str:
    return await conn.fetchval(
        "INSERT INTO extension_requests (id, opinion_id, department_id, days, reason)"
        " VALUES ($1, $2::uuid, $3, $4, $5) RETURNING id::text",
        uuid.uuid4(), opinion_id, department_id, days, reason,
    )


async def pending_extension(conn, opinion_id: str, department_id: str | None = None):
    return await conn.fetchrow(
        "SELECT id::text AS id, department_id, days, reason FROM extension_requests"
        " WHERE opinion_id = $1::uuid AND decision IS NULL AND ($2::text IS NULL OR department_id = $2)"
        " ORDER BY requested_at LIMIT 1",
        opinion_id, department_id,
    )


async def decide_extension(conn, request_id: str, decision: str, by: str) -> None:
    await conn.execute(
        "UPDATE extension_requests SET decision = $2, decided_by = $3, decided_at = now() WHERE id = $1::uuid",
        request_id, decision, by,
    )


async def insert_supervision(conn, opinion_id: str, form: str, note: str | None, by: str) -> None:
    await conn.execute(
        "INSERT INTO supervisions (id, opinion_id, form, note, by_sub) VALUES ($1, $2::uuid, $3, $4, $5)",
        uuid.uuid4(), opinion_id, form, note, by,
    )


# --- submitters (personal data, sealed) ----------------------------------------------------------


async def insert_submitter(conn, subject_id: uuid.UUID, wrapped_key: bytes, name: bytes | None,
                           phone: bytes | None) -> None:
    await conn.execute(
        "INSERT INTO submitters (subject_id, wrapped_key, name_sealed, phone_sealed) VALUES ($1, $2, $3, $4)",
        subject_id, wrapped_key, name, phone,
    )


async def submitter(conn, subject_id):
    return await conn.fetchrow(
        "SELECT subject_id, wrapped_key, name_sealed, phone_sealed, erased_at FROM submitters"
        " WHERE subject_id = $1",
        subject_id,
    )


async def submitters(conn, subject_ids: list):
    return await conn.fetch(
        "SELECT subject_id, wrapped_key, name_sealed, phone_sealed, erased_at FROM submitters"
        " WHERE subject_id = ANY($1::uuid[])", subject_ids,
    )


async def erase_submitter(conn, subject_id) -> None:
    await conn.execute(
        "UPDATE submitters SET wrapped_key = NULL, name_sealed = NULL, phone_sealed = NULL,"
        " erased_at = now() WHERE subject_id = $1",
        subject_id,
    )


async def personal_data_closed_before(conn, before, limit: int):
    """Cases closed before ``before`` whose submitter's data is still kept, oldest first; their
    submitters locked, and those another transaction holds skipped (a second replica's job)."""
    return await conn.fetch(
        """
        SELECT o.id::text AS id, o.status, o.org_unit, s.subject_id FROM opinions o
        JOIN submitters s ON s.subject_id = o.subject_id
        WHERE o.closed_at < $1 AND s.wrapped_key IS NOT NULL
        ORDER BY o.closed_at LIMIT $2
        FOR UPDATE OF s SKIP LOCKED
        """,
        before, limit,
    )


async def department_exists(conn, department_id: str) -> bool:
    return bool(await conn.fetchval(
        "SELECT true FROM departments WHERE id = $1 AND active", department_id
    ))


async def department_units(conn, department_ids: list[str]) -> dict[str, str]:
    """Active departments of the registry projection: id → the org unit it belongs to."""
    rows = await conn.fetch("SELECT id, org_unit FROM departments WHERE id = ANY($1::text[]) AND active",
                            department_ids)
    return {r["id"]: r["org_unit"] for r in rows}


async def member_unit(conn, member_id: str) -> str | None:
    """The committee unit of a member in the registry projection, or None when unknown."""
    return await conn.fetchval("SELECT org_unit FROM members WHERE id = $1", member_id)


async def venue_unit(conn, venue_id: str) -> str | None:
    return await conn.fetchval("SELECT org_unit FROM venues WHERE id = $1 AND active", venue_id)


async def topic_unit(conn, topic_id: str) -> str | None:
    """The unit whose pool a consultation topic is in (projected from its events), or None."""
    return await conn.fetchval("SELECT org_unit FROM topics WHERE id = $1", topic_id)


async def upsert_topic(conn, topic_id: str, org_unit: str, at) -> None:
    await conn.execute(
        "INSERT INTO topics (id, org_unit, source_time) VALUES ($1, $2, $3)"
        " ON CONFLICT (id) DO UPDATE SET org_unit = excluded.org_unit, source_time = excluded.source_time"
        " WHERE topics.source_time <= excluded.source_time",
        topic_id, org_unit, at,
    )


async def upsert_venue(conn, venue_id: str, org_unit: str, active: bool, at) -> None:
    await conn.execute(
        "INSERT INTO venues (id, org_unit, active, source_time) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (id) DO UPDATE SET org_unit = excluded.org_unit, active = excluded.active,"
        " source_time = excluded.source_time WHERE venues.source_time <= excluded.source_time",
        venue_id, org_unit, active, at,
    )


# Every intake asks whether its unit is known: known units are kept ten seconds (and dropped
# as soon as this process projects a change of them).
KNOWN_UNITS = TtlCache()
projections.on_change(lambda kind, key: KNOWN_UNITS.invalidate(key) if kind == "org_unit" else None)


async def org_unit_exists(conn, code: str) -> bool:
    return bool(await KNOWN_UNITS.get(code, lambda: conn.fetchval(
        "SELECT true FROM org_units WHERE code = $1 AND active", code), keep_none=False))


# --- what a case became, and the answers that come back from it ---------------------------------


async def insert_plenary_speech(conn, values: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO plenary_speeches (id, org_unit, title, body, source_kind, source_id, member_id, created_by)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        values["id"], values["org_unit"], values["title"], values["body"], values["source_kind"],
        values["source_id"], values.get("member_id"), values["created_by"],
    )


async def plenary_speech(conn, speech_id: str):
    key = as_uuid(speech_id)
    return key and await conn.fetchrow(
        "SELECT id::text AS id, org_unit, title, body, status, source_kind, source_id, member_id, created_at"
        " FROM plenary_speeches WHERE id = $1", key)


async def cases_converted_into(conn, kind: str, target_id: str):
    """The cases converted into this proposal, report, speech or topic (locked: an answer is written)."""
    return await conn.fetch(
        f"SELECT {OPINION_COLUMNS} FROM opinions o"  # noqa: S608 — OPINION_COLUMNS above
        " WHERE o.converted_to->>'kind' = $1 AND o.converted_to->>'id' = $2 ORDER BY o.created_at FOR UPDATE OF o",
        kind, target_id,
    )


async def insert_conversion_answer(conn, opinion_id: str, source_kind: str, source_id: str, result: str,
                                   text: str) -> bool:
    """False when this answer was recorded before (a redelivered event)."""
    return bool(await conn.fetchval(
        "INSERT INTO conversion_answers (opinion_id, source_kind, source_id, result, text)"
        " VALUES ($1::uuid, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true",
        opinion_id, source_kind, source_id, result, text,
    ))


async def conversion_answers(conn, opinion_id: str):
    return await conn.fetch(
        "SELECT source_kind, source_id, result, text, at FROM conversion_answers WHERE opinion_id = $1::uuid"
        " ORDER BY id", opinion_id,
    )


async def merged_into_chain(conn, opinion_id: str) -> str:
    """The case at the end of a chain of merges (the case itself when it was not merged)."""
    return await conn.fetchval(
        """
        WITH RECURSIVE up(id, merged_into, depth) AS (
            SELECT id, merged_into, 0 FROM opinions WHERE id = $1::uuid
            UNION ALL
            SELECT o.id, o.merged_into, up.depth + 1 FROM opinions o JOIN up ON o.id = up.merged_into
            WHERE up.depth < 20
        )
        SELECT id::text FROM up ORDER BY depth DESC LIMIT 1
        """, opinion_id,
    )


async def merged_cases(conn, opinion_id: str):
    """Every case merged into this one, directly or through another merged case."""
    return await conn.fetch(
        f"""
        WITH RECURSIVE down(id, depth) AS (
            SELECT id, 0 FROM opinions WHERE merged_into = $1::uuid
            UNION ALL
            SELECT o.id, down.depth + 1 FROM opinions o JOIN down ON o.merged_into = down.id WHERE down.depth < 20
        )
        SELECT {OPINION_COLUMNS} FROM opinions o WHERE o.id IN (SELECT id FROM down)
        """, opinion_id,  # noqa: S608 — OPINION_COLUMNS above
    )


async def keep_outcome_topic(conn, outcome_id: str, topic_id: str) -> None:
    await conn.execute(
        "INSERT INTO outcome_topics (outcome_id, topic_id) VALUES ($1, $2) ON CONFLICT (outcome_id)"
        " DO UPDATE SET topic_id = excluded.topic_id", outcome_id, topic_id,
    )


async def topic_of_outcome(conn, outcome_id: str) -> str | None:
    return await conn.fetchval("SELECT topic_id FROM outcome_topics WHERE outcome_id = $1", outcome_id)
