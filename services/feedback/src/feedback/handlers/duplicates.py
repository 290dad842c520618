"""关注多: which open cases say the same thing as this one — at its handling unit and the unit
above, and only those the caller may read — so staff merge them and the people count grows."""

from __future__ import annotations

from liaison_shared import orgunits
from liaison_shared.auth import Principal
from liaison_shared.errors import NotFound
from liaison_shared.jobs import periodic
from liaison_shared.settings import Settings

from ..domain import duplicates
from ..storage import duplicates as storage
from ..storage import opinions as opinion_storage
from . import access


async def similar_cases(conn, settings: Settings, principal: Principal, opinion_id: str, limit: int) -> dict:
    case = await opinion_storage.opinion(conn, opinion_id)
    if case is None or not access.handles(principal, case):
        raise NotFound(f"no opinion {opinion_id}")
    unit = case["handling_unit"]
    units = [unit, *filter(None, [orgunits.parent_of(unit)])]
    rows = await storage.similar_open_cases(
        conn, keys=duplicates.keys(case["content"]), units=units, scope=principal.managed_pattern,
        exclude=case["id"], threshold=settings.duplicate_similarity_threshold, limit=limit,
    )
    return {
        "opinion_id": case["id"], "threshold": settings.duplicate_similarity_threshold, "units": units,
        "items": [{"id": r["id"], "similarity": round(r["similarity"], 3), "status": r["status"],
                   "created_at": r["created_at"], "people_count": r["people_count"],
                   "excerpt": duplicates.excerpt(r["content"])} for r in rows],
    }


async def backfill_keys(conn, *, limit: int = 500) -> int:
    """Give open cases from before the duplicate suggester their gram keys, ``limit`` at a time;
    returns how many (0: none left)."""
    rows = await storage.open_cases_without_keys(conn, limit)
    await storage.store_keys(conn, [(row["id"], duplicates.keys(row["content"])) for row in rows])
    return len(rows)


async def backfill_some(runtime) -> int:
    async with runtime.started_pool().acquire() as conn:
        return await backfill_keys(conn)


# Background job: drains the cases without keys at start (a batch at a time, again at once while
# there were some), then looks again hourly — after a restore from an old backup, say.
run_backfill_keys = periodic(backfill_some, every=3600, drain=True, name="duplicate keys backfill")
