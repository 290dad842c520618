"""Reading everything back: a checksum of every table, a search of every row and of every record
of every topic."""

from __future__ import annotations

import asyncio

import asyncpg
from liaison_shared.settings import Settings

SYSTEM_SCHEMAS = ("pg_catalog", "information_schema", "pg_toast")


async def tables(pool: asyncpg.Pool, schemas: list[str] | None = None) -> list[str]:
    """Quoted names of the base tables of ``schemas`` (every schema of the database by default)."""
    rows = await pool.fetch(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        " AND table_schema <> ALL($1::text[]) AND ($2::text[] IS NULL OR table_schema = ANY($2::text[]))"
        " ORDER BY 1, 2", list(SYSTEM_SCHEMAS), schemas)
    return [f'"{row["table_schema"]}"."{row["table_name"]}"' for row in rows]


async def snapshot(pool: asyncpg.Pool, schemas: list[str] | None = None) -> dict[str, str]:
    """One checksum per table: md5 over its rows in text form, in order."""
    sums = {}
    for name in await tables(pool, schemas):
        sums[name.replace('"', "")] = await pool.fetchval(
            f"SELECT md5(coalesce(string_agg(t::text, '' ORDER BY t::text), '')) FROM {name} t")
    return sums


def changed(before: dict, after: dict) -> list[str]:
    return sorted(table for table in before.keys() | after.keys() if before.get(table) != after.get(table))


async def busy(pool: asyncpg.Pool) -> int:
    """Work still to do in the background: outbox rows not yet sent, notifications not yet delivered
    (or given up on)."""
    found = 0
    for name in await tables(pool):
        if name.endswith('."outbox"'):
            found += await pool.fetchval(f"SELECT count(*) FROM {name} WHERE published_at IS NULL")
        if name == '"notify"."notifications"':
            found += await pool.fetchval(f"SELECT count(*) FROM {name} WHERE status = 'pending'")
    return found


async def settled(pool: asyncpg.Pool, schemas: list[str] | None = None, *, timeout: float = 90) -> dict[str, str]:  # noqa: ASYNC109 — says what still changes at the deadline
    """The checksums once nothing is left to send or deliver and two readings a second and a half
    apart agree: the events consumed, the audit rows sealed."""
    last = await snapshot(pool, schemas)
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(1.5)
        now = await snapshot(pool, schemas)
        if now == last and not await busy(pool):
            return now
        last = now
    still = changed(last, await snapshot(pool, schemas))
    raise AssertionError(f"the database never settles; still changing: {still}")


def variants(needle: str) -> list[str]:
    """The ways a string shows in a row's text: as it is, as the hex of its UTF-8 (how bytea prints),
    JSON-escaped, and JSON-escaped inside a row's text (where backslashes are doubled)."""
    found = [needle, needle.encode().hex()]
    escaped = needle.encode("unicode_escape").decode()
    if escaped != needle:
        found += [escaped, escaped.replace("\\", "\\\\")]
    return found


async def rows_holding(pool: asyncpg.Pool, needle: str) -> dict[str, int]:
    """Tables (of every schema) with rows whose text — every column, arrays, json and bytea
    included — holds ``needle`` in any of its forms; with how many rows."""
    forms = [form.lower() for form in variants(needle)]
    where = " OR ".join(f"strpos(lower(t::text), ${i + 1}) > 0" for i in range(len(forms)))
    hits = {}
    for name in await tables(pool):
        count = await pool.fetchval(f"SELECT count(*) FROM {name} t WHERE {where}", *forms)
        if count:
            hits[name.replace('"', "")] = count
    return hits


async def all_records(settings: Settings) -> list:
    """Every record of every topic on the broker, from the beginning to the end as of now."""
    from aiokafka import AIOKafkaConsumer
    from liaison_shared.kafka import partitions_of

    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await consumer.start()
    try:
        partitions = await partitions_of(consumer, sorted(await consumer.topics()))
        assert partitions, "no topics on the broker"
        consumer.assign(partitions)
        await consumer.seek_to_beginning()
        ends = await consumer.end_offsets(partitions)
        records: list = []
        deadline = asyncio.get_running_loop().time() + 60
        async def behind() -> bool:
            return any([await consumer.position(tp) < ends[tp] for tp in partitions])

        while await behind():
            assert asyncio.get_running_loop().time() < deadline, "the topics could not be read to their end"
            for batch in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                records.extend(batch)
        return records
    finally:
        await consumer.stop()


def record_bytes(record) -> bytes:
    return b"\n".join([record.key or b"", record.value or b"",
                       *(name.encode() + b"=" + (value or b"") for name, value in record.headers or ())])


def records_holding(records: list, needle: str) -> dict[str, int]:
    """Topics with records (key, value or headers) holding ``needle`` in any of its forms."""
    forms = [form.encode().lower() for form in variants(needle)]
    hits: dict[str, int] = {}
    for record in records:
        text = record_bytes(record).lower()
        if any(form in text for form in forms):
            hits[record.topic] = hits.get(record.topic, 0) + 1
    return hits
