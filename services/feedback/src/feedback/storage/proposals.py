"""Queries of proposals, their signers, handling units, sessions and history."""

from __future__ import annotations

import uuid
from typing import Any

from liaison_shared import db
from liaison_shared.db import as_uuid, fetch_page

COLUMNS = """
    p.id::text AS id, p.committee, p.year, p.number, p.title, p.body, p.kind, p.proposer_member_id,
    p.proposer_name, p.source, p.status, p.not_accepted_reason, p.turned_into,
    p.merged_into::text AS merged_into, p.assigned_at, p.deadline, p.reply_class, p.reply_text,
    p.replied_at, p.evaluation, p.rehandled, p.key_proposal, p.key_leader, p.created_at, p.updated_at,
    p.reply_published_at,
    coalesce((SELECT jsonb_agg(jsonb_build_object('member_id', s.member_id, 'confirmed', s.confirmed_at IS NOT NULL,
                                                  'disclosure_consented', s.disclosure_consented_at IS NOT NULL)
                               ORDER BY s.member_id) FROM proposal_signers s WHERE s.proposal_id = p.id), '[]') AS signers
"""



async def proposal(conn, proposal_id: str, *, for_update: bool = False):
    key = as_uuid(proposal_id)
    if key is None:
        return None
    lock = " FOR UPDATE OF p" if for_update else ""
    return await conn.fetchrow(f"SELECT {COLUMNS} FROM proposals p WHERE p.id = $1{lock}", key)  # noqa: S608 — COLUMNS above; the lock clause chosen by a bool


async def insert(conn, values: dict[str, Any], signers: list[str]) -> str:
    proposal_id = values.get("id") or uuid.uuid4()
    await conn.execute(
        """
        INSERT INTO proposals (id, committee, year, title, body, kind, proposer_member_id, proposer_name,
                               source, created_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        """,
        proposal_id, values["committee"], values["year"], values["title"], values["body"], values["kind"],
        values.get("proposer_member_id"), values.get("proposer_name"), values.get("source"), values["created_by"],
    )
    lead = values.get("proposer_member_id")
    await conn.executemany(
        "INSERT INTO proposal_signers (proposal_id, member_id, confirmed_at) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING",
        [(proposal_id, m, None if m != lead else _now()) for m in dict.fromkeys([*([lead] if lead else []), *signers])],
    )
    return str(proposal_id)


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)


async def update(conn, proposal_id: str, changes: dict[str, Any]) -> None:
    await db.update(conn, "proposals", {"id": uuid.UUID(proposal_id)}, changes, touch=True)


async def confirm_signer(conn, proposal_id: str, member_id: str) -> bool:
    return bool(await conn.fetchval(
        "UPDATE proposal_signers SET confirmed_at = now() WHERE proposal_id = $1::uuid AND member_id = $2"
        " AND confirmed_at IS NULL RETURNING true", proposal_id, member_id))


async def set_disclosure_consent(conn, proposal_id: str, member_id: str, consent: bool) -> None:
    await conn.execute(
        "UPDATE proposal_signers SET disclosure_consented_at = CASE WHEN $3 THEN now() END"
        " WHERE proposal_id = $1::uuid AND member_id = $2", proposal_id, member_id, consent)


async def published_page(conn, *, pattern: str, year: int | None, limit: int, offset: int,
                         proposal_id: str | None = None):
    """Proposals whose reply is public, with the names of their proposers, the latest first."""
    return await fetch_page(
        conn,
        f"SELECT {COLUMNS}, coalesce((SELECT array_agg(m.name ORDER BY s.member_id) FROM proposal_signers s"  # noqa: S608 — COLUMNS above
        " JOIN members m ON m.id = s.member_id WHERE s.proposal_id = p.id AND s.confirmed_at IS NOT NULL),"
        " '{}') AS member_names FROM proposals p"
        " WHERE p.reply_published_at IS NOT NULL AND p.committee LIKE $1 AND ($2::int IS NULL OR p.year = $2)"
        " AND ($3::uuid IS NULL OR p.id = $3) ORDER BY p.reply_published_at DESC",
        pattern, year, as_uuid(proposal_id) if proposal_id else None, limit=limit, offset=offset,
    )


async def add_signers(conn, proposal_id: str, member_ids: list[str]) -> None:
    await conn.executemany(
        "INSERT INTO proposal_signers (proposal_id, member_id, confirmed_at) VALUES ($1::uuid, $2, now())"
        " ON CONFLICT (proposal_id, member_id) DO NOTHING",
        [(proposal_id, m) for m in member_ids],
    )


async def session(conn, committee: str, year: int, *, for_update: bool = False):
    lock = " FOR UPDATE" if for_update else ""
    return await conn.fetchrow(
        f"SELECT committee, year, filing_opens, filing_closes, last_number FROM proposal_sessions"  # noqa: S608 — the lock clause chosen by a bool
        f" WHERE committee = $1 AND year = $2{lock}", committee, year)


async def put_session(conn, committee: str, year: int, opens, closes):
    return await conn.fetchrow(
        """
        INSERT INTO proposal_sessions (committee, year, filing_opens, filing_closes) VALUES ($1, $2, $3, $4)
        ON CONFLICT (committee, year) DO UPDATE SET filing_opens = excluded.filing_opens,
            filing_closes = excluded.filing_closes
        RETURNING committee, year, filing_opens, filing_closes, last_number
        """, committee, year, opens, closes)


async def take_number(conn, committee: str, year: int) -> int:
    """The next number; the session row's lock serialises concurrent filings, and a rolled-back
    filing gives its number back, so numbers have neither gaps nor duplicates."""
    return await conn.fetchval(
        "UPDATE proposal_sessions SET last_number = last_number + 1 WHERE committee = $1 AND year = $2"
        " RETURNING last_number", committee, year)


async def sitting_members(conn, member_ids: list[str]) -> dict[str, str]:
    """The committee each of ``member_ids`` sits on, for those active in the registry projection."""
    rows = await conn.fetch("SELECT id, org_unit FROM members WHERE id = ANY($1::text[]) AND status = 'active'",
                            list(member_ids))
    return {r["id"]: r["org_unit"] for r in rows}


async def departments_within(conn, department_ids: list[str], pattern: str) -> set[str]:
    """Those of ``department_ids`` that are active and registered under the unit of ``pattern``."""
    rows = await conn.fetch("SELECT id FROM departments WHERE id = ANY($1::text[]) AND active AND org_unit LIKE $2",
                            list(department_ids), pattern)
    return {r["id"] for r in rows}


async def units(conn, proposal_id: str):
    return await conn.fetch(
        "SELECT department_id, lead, state, assigned_at, return_reason, opinion, round FROM proposal_units"
        " WHERE proposal_id = $1::uuid ORDER BY round, lead DESC, department_id", proposal_id)


async def insert_units(conn, proposal_id: str, lead: str, co: list[str], round_: int) -> None:
    await conn.executemany(
        "INSERT INTO proposal_units (proposal_id, department_id, lead, round) VALUES ($1::uuid, $2, $3, $4)",
        [(proposal_id, d, d == lead, round_) for d in dict.fromkeys([lead, *co])])


async def set_unit(conn, proposal_id: str, department_id: str, round_: int, **changes) -> None:
    await db.update(conn, "proposal_units", {"proposal_id": uuid.UUID(proposal_id),
                                             "department_id": department_id, "round": round_}, changes)


async def record(conn, proposal_id: str, *, actor_sub: str, actor_role: str, action: str, from_status: str | None,
                 to_status: str, detail: dict | None = None) -> None:
    await conn.execute(
        "INSERT INTO proposal_history (proposal_id, actor_sub, actor_role, action, from_status, to_status, detail)"
        " VALUES ($1::uuid, $2, $3, $4, $5, $6, $7)",
        proposal_id, actor_sub, actor_role, action, from_status, to_status, detail or {})


async def history(conn, proposal_id: str):
    return await conn.fetch(
        "SELECT at, actor_sub, actor_role, action, from_status, to_status, detail FROM proposal_history"
        " WHERE proposal_id = $1::uuid ORDER BY id", proposal_id)


async def proposals_page(conn, *, pattern: str | None, member_id: str | None, department_id: str | None,
                         status: str | None, year: int | None, limit: int, offset: int):
    return await fetch_page(
        conn,
        f"""
        SELECT {COLUMNS} FROM proposals p
        WHERE ($1::text IS NULL OR p.committee LIKE $1)
          AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM proposal_signers s
                                           WHERE s.proposal_id = p.id AND s.member_id = $2))
          AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM proposal_units u
                                           WHERE u.proposal_id = p.id AND u.department_id = $3
                                             AND u.state <> 'returned' AND u.round = (
                                                 SELECT max(round) FROM proposal_units WHERE proposal_id = p.id)))
          AND ($4::text IS NULL OR p.status = $4) AND ($5::int IS NULL OR p.year = $5)
        ORDER BY p.year DESC, p.number NULLS LAST, p.created_at
        """,  # noqa: S608 — COLUMNS above
        pattern, member_id, department_id, status, year, limit=limit, offset=offset)


# The group key of each grouping; chosen from this table, never from the request.
FIGURE_GROUPS = {"committee": "p.committee", "sector": "coalesce(m.sector_name, p.proposer_name, '')",
                 "unit": "coalesce(u.department_id, '')", "year": "p.year::text"}


async def figures(conn, *, pattern: str, year: int | None, group_by: str):
    return await conn.fetch(
        f"""
        SELECT {FIGURE_GROUPS[group_by]} AS key,
               count(*) FILTER (WHERE p.status <> 'draft') AS filed,
               count(*) FILTER (WHERE p.status NOT IN ('draft', 'filed', 'not_accepted', 'merged')) AS accepted,
               count(*) FILTER (WHERE p.assigned_at IS NOT NULL) AS assigned,
               count(*) FILTER (WHERE p.replied_at IS NOT NULL) AS replied,
               count(*) FILTER (WHERE (p.replied_at AT TIME ZONE 'Asia/Shanghai')::date <= p.deadline) AS on_time,
               -- 按时率 counts the silent too: assigned, past the deadline, no reply yet
               count(*) FILTER (WHERE p.replied_at IS NOT NULL OR (p.status = 'assigned'
                                AND p.deadline < (now() AT TIME ZONE 'Asia/Shanghai')::date)) AS timed,
               count(*) FILTER (WHERE p.reply_class IN ('A', 'B')) AS class_ab,
               count(*) FILTER (WHERE p.evaluation IS NOT NULL) AS evaluated,
               count(*) FILTER (WHERE p.evaluation IN ('satisfied', 'basically_satisfied')) AS satisfied
        FROM proposals p
        LEFT JOIN members m ON m.id = p.proposer_member_id
        LEFT JOIN proposal_units u ON u.proposal_id = p.id AND u.lead
             AND u.round = (SELECT max(round) FROM proposal_units WHERE proposal_id = p.id)
        WHERE p.committee LIKE $1 AND ($2::int IS NULL OR p.year = $2) AND p.merged_into IS NULL
        GROUP BY 1 ORDER BY 1
        """, pattern, year)  # noqa: S608 — the group key from FIGURE_GROUPS (a KeyError otherwise)


async def member_name(conn, member_id: str) -> str | None:
    """A member's name as the registry gives it (a member is a public figure: the proposer named)."""
    return await conn.fetchval("SELECT name FROM members WHERE id = $1", member_id)
