"""关注多 at scale: the duplicate suggestion's query over 100,000 open cases.

    .venv/bin/python bench/duplicates.py [--cases 100000] [--queries 200]

Starts a PostgreSQL of its own (durable, as ``make run``'s; or a fresh database on the server of
``DATABASE_URL``), applies feedback's migrations, loads ``--cases`` synthetic open cases — the
labelled set's complaints (``tests/data/duplicates.jsonl``) with a place and a second complaint's
words mixed in, over 10 towns of 10 villages, a tenth of them escalated to their town — and runs
the route's query (``feedback.storage.duplicates``, default limit 3) ``--queries`` times for a
complaint at a random village, from one connection. Prints p50/p99/max in milliseconds (the
round trip, as the route sees it) and the plan of one query, and says whether it met 50 ms at p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from feedback.domain import duplicates
from feedback.storage import duplicates as storage
from liaison_shared import db, registry
from tooling import EmbeddedPostgres, free_port, make_settings

SET = Path(__file__).resolve().parents[1] / "tests" / "data" / "duplicates.jsonl"
COUNTY = "640221000000"
TOWNS = [f"640221{100 + t:03d}000" for t in range(10)]
PLACES = ["一组", "二组", "三组", "四组", "五组", "六组", "七组", "村东头", "村西头", "桥头", "学校旁边", "村委会附近"]


def village_of(town: str, n: int) -> str:
    return f"{town[:9]}{200 + n:03d}"


def synthetic(texts: list[str], rng: random.Random) -> str:
    first, second = rng.choice(texts), rng.choice(texts)
    words = second.split("，")
    return f"{rng.choice(PLACES)}{first}，{rng.choice(words)}"


async def load(conn, cases: int, texts: list[str], rng: random.Random) -> None:
    records = []
    for i in range(cases):
        town = rng.choice(TOWNS)
        village = village_of(town, rng.randrange(10))
        handling = town if rng.random() < 0.1 else village
        content = synthetic(texts, rng)
        status = "escalated" if handling == town else rng.choice(["received", "received", "assigned", "replied"])
        records.append((uuid.uuid4(), f"bench-{i}", content, "其他", "online", "normal", village, handling, village,
                        status, duplicates.keys(content)))
    await conn.copy_records_to_table(
        "opinions", schema_name="feedback", records=records,
        columns=["id", "tracking_code", "content", "category", "channel", "urgency", "org_unit", "handling_unit",
                 "first_receiver", "status", "shingles"])
    await conn.execute("ANALYZE feedback.opinions")


async def measure(url: str, cases: int, queries: int, seed: int, threshold: float) -> dict:
    rng = random.Random(seed)  # noqa: S311 — synthetic data, repeatable by its seed
    texts = [json.loads(line)["text"] for line in SET.read_text(encoding="utf-8").splitlines() if line.strip()]
    conn = await asyncpg.connect(url, server_settings={"search_path": "feedback"})
    try:
        started = time.monotonic()
        await load(conn, cases, texts, rng)
        loaded_s = time.monotonic() - started
        timings, found = [], 0
        for _ in range(queries):
            town = rng.choice(TOWNS)
            keys = duplicates.keys(synthetic(texts, rng))
            begun = time.perf_counter()
            rows = await storage.similar_open_cases(
                conn, keys=keys, units=[village_of(town, rng.randrange(10)), town], scope=f"{COUNTY[:6]}%",
                exclude=None, threshold=threshold, limit=3)
            timings.append((time.perf_counter() - begun) * 1000)
            found += len(rows)
        village = village_of(TOWNS[0], 0)
        plan = [r[0] for r in await conn.fetch(
            f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {storage.QUERY}", duplicates.keys(texts[0]),
            [village, TOWNS[0]], f"{COUNTY[:6]}%", None, threshold, 3)]
        per_unit = await conn.fetchval(
            "SELECT count(*) FROM opinions WHERE handling_unit = ANY($1::text[])", [village, TOWNS[0]])
    finally:
        await conn.close()
    ordered = sorted(timings)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * len(ordered)) - 1)]
    return {"cases": cases, "queries": queries, "load_s": round(loaded_s, 1),
            "open_cases_at_a_village_and_its_town": per_unit, "suggestions_per_query": round(found / queries, 2),
            "p50_ms": round(statistics.median(timings), 2), "p99_ms": round(p99, 2), "max_ms": round(ordered[-1], 2),
            "met_50ms_p99": p99 < 50, "plan": plan}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    home = None
    postgres = None
    if os.environ.get("DATABASE_URL"):
        parts = urlsplit(os.environ["DATABASE_URL"])
        url = urlunsplit(parts._replace(path=f"/liaison_dup_{uuid.uuid4().hex[:8]}"))
    else:
        home = Path(tempfile.mkdtemp(prefix="liaison-dup-"))
        postgres = EmbeddedPostgres(home / "pgdata", free_port(), log_path=home / "postgres.log").start()
        url = postgres.url("liaison_dup")
    try:
        settings = make_settings({"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "DATABASE_URL": url})
        db.migrate(settings, "feedback", registry.specs()["feedback"].migration_dirs())
        result = asyncio.run(measure(settings.asyncpg_dsn(), args.cases, args.queries, args.seed,
                                     settings.duplicate_similarity_threshold))
    finally:
        if postgres is not None:
            postgres.stop()
            shutil.rmtree(postgres.location, ignore_errors=True)
            shutil.rmtree(home, ignore_errors=True)
    plan = result.pop("plan")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print("\n".join(plan))


if __name__ == "__main__":
    main()
