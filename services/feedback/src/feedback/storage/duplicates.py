"""关注多: the open cases whose gram keys overlap a text's, ranked in SQL by the domain's similarity
(Dice, ``domain/duplicates.py``), computed by ``intarray`` (``&``, ``icount``: sorted-merge in C)."""

from __future__ import annotations

import asyncpg
from liaison_shared.db import as_uuid

# Dice's coefficient of two sets of grams, as domain.duplicates.similarity computes it (float8
# arithmetic, the same figure as Python's).
_SIMILARITY = "2.0::float8 * icount(o.shingles & $1::int4[]) / (icount(o.shingles) + icount($1::int4[]))"

# $1 the keys, $2 the units, $3 the scope, $4 the case itself, $5 the threshold, $6 the limit
QUERY = f"""
        SELECT id::text AS id, status, created_at, content, people_count, similarity FROM (
            SELECT o.id, o.status, o.created_at, o.content, o.people_count, {_SIMILARITY} AS similarity
            FROM opinions o
            WHERE o.shingles && $1::int4[]
              AND o.status NOT IN ('merged', 'closed')
              AND o.handling_unit = ANY($2::text[])
              AND (o.handling_unit LIKE $3 OR o.org_unit LIKE $3)
              AND o.id IS DISTINCT FROM $4::uuid
        ) found
        WHERE similarity >= $5
        ORDER BY similarity DESC, created_at, id
        LIMIT $6
"""  # noqa: S608 — _SIMILARITY is a constant above


async def similar_open_cases(conn: asyncpg.Connection, *, keys: list[int], units: list[str], scope: str, exclude: str | None,
                             threshold: float, limit: int):
    """Open cases (not merged, not closed) handled at one of ``units`` and arising or handled
    within ``scope`` (a LIKE pattern), at least ``threshold`` similar to ``keys``, best first."""
    async with conn.transaction():
        # A generic plan of this prepared statement guesses the overlap's selectivity and walks the
        # GIN index over every open case sharing a common gram (40 ms at 100,000 cases); planned
        # for the values at hand it takes the handling units' index (5 ms), or the GIN index when a
        # unit holds very many cases and the grams are rare.
        await conn.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        return await conn.fetch(QUERY, keys, units, scope, as_uuid(exclude) if exclude else None, threshold, limit)


async def open_cases_without_keys(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Open cases written before the keys existed (the migration left them NULL), oldest first."""
    return await conn.fetch(
        "SELECT id, content FROM opinions WHERE shingles IS NULL AND status NOT IN ('merged', 'closed')"
        " ORDER BY created_at, id LIMIT $1", limit)


async def store_keys(conn: asyncpg.Connection, keyed: list[tuple[object, list[int]]]) -> None:
    """Each case's keys; a case given its keys meanwhile (a concurrent backfill) keeps them."""
    await conn.executemany("UPDATE opinions SET shingles = $2 WHERE id = $1 AND shingles IS NULL", keyed)
