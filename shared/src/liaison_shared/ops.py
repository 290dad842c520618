"""Day-2 operations behind the ``liaison`` CLI: dead-letter queues, outbox backlog, consumer
lag, and an org unit's data as CSV. (Replay is ``replay.py``, the audit chain ``audit.py``.)"""

from __future__ import annotations

import asyncio
import csv
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from . import db, logs, orgunits
from .events import Envelope
from .exports import inert_row
from .kafka import consumer_group, drain, new_producer, partitions_of
from .service import ServiceSpec
from .settings import Settings

Progress = Callable[[int, int], None]
DLQ_SUFFIX = ".dlq"


def redrive_group(service: str) -> str:
    """The consumer group whose committed offsets mark how far a service's redrive got."""
    return f"{consumer_group(service)}.redrive"


def _header(record: ConsumerRecord, name: str) -> str | None:
    headers: Sequence[tuple[str, bytes]] = record.headers or ()
    for key, value in headers:
        if key == name:
            return value.decode("utf-8", "replace")
    return None


@dataclass
class DeadLetter:
    topic: str
    partition: int
    offset: int
    group: str | None
    error: str | None
    original: str | None
    event_type: str | None
    event_id: str | None
    redriven: bool

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


async def committed_offsets(settings: Settings, group: str,
                            partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
    """A consumer group's committed offsets (asked as a member would: some Kafka-compatible
    brokers answer only the consumer's version of that request)."""
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(partitions))
        found = {tp: await consumer.committed(tp) for tp in partitions}
        return {tp: offset for tp, offset in found.items() if offset is not None}
    finally:
        await consumer.stop()


async def dead_letters(settings: Settings, *, service: str | None = None, limit: int = 100) -> list[DeadLetter]:
    """What the DLQs hold (of one service's consumer group, or all), oldest first, and whether
    that service's redrive has passed it."""
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=None, enable_auto_commit=False)
    await consumer.start()
    out: list[DeadLetter] = []
    try:
        topics = sorted(t for t in await consumer.topics() if t.endswith(DLQ_SUFFIX))
        partitions = await partitions_of(consumer, topics)
        if not partitions:
            return out
        done: dict[str, dict[TopicPartition, int]] = {}
        for name in ([service] if service else []):
            done[consumer_group(name)] = await committed_offsets(settings, redrive_group(name), partitions)
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        async for record in drain(consumer, partitions):
            group = _header(record, "dlq_consumer_group")
            if service and group != consumer_group(service):
                continue
            passed = done.get(group or "", {}).get(TopicPartition(record.topic, record.partition))
            out.append(DeadLetter(
                topic=record.topic, partition=record.partition, offset=record.offset, group=group,
                error=_header(record, "dlq_error"), original=_header(record, "dlq_original_topic"),
                event_type=_header(record, "ce_type"), event_id=_header(record, "ce_id"),
                redriven=passed is not None and record.offset < passed))
            if len(out) >= limit:
                break
    finally:
        await consumer.stop()
    return out


@dataclass
class RedriveReport:
    service: str
    records: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"service": self.service, "records": self.records, "outcomes": dict(self.outcomes),
                "failed": self.failed, "dry_run": self.dry_run}


async def redrive(spec: ServiceSpec, settings: Settings, *, dry_run: bool = False,
                  progress: Progress | None = None) -> RedriveReport:
    """Hand a service's dead letters to its handlers again, once the cause is fixed.

    Each goes through the inbox like a first delivery, so one that had been applied after
    all changes nothing. The redrive's own consumer group remembers how far it got. A letter
    that fails again goes back to the end of its DLQ with the new error (so it waits for the
    next fix rather than blocking the letters behind it) and is reported.
    """
    if spec.consumer is None:
        raise ValueError(f"{spec.name} consumes no events")
    report = RedriveReport(service=spec.name, dry_run=dry_run)
    topics = [t + DLQ_SUFFIX for t in spec.consumer.topics]
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=redrive_group(spec.name),
                                enable_auto_commit=False, auto_offset_reset="earliest")
    producer = None if dry_run else new_producer(settings, f"{spec.name}-redrive")
    await consumer.start()
    if producer is not None:
        await producer.start()
    pool = None if dry_run else await db.create_pool(settings, spec.name)
    try:
        partitions = await partitions_of(consumer, topics)
        if not partitions:
            return report
        consumer.assign(partitions)
        committed = {tp: await consumer.committed(tp) for tp in partitions}
        for tp in partitions:
            if committed[tp] is None:
                await consumer.seek_to_beginning(tp)
            else:
                consumer.seek(tp, committed[tp])
        ends = await consumer.end_offsets(partitions)
        total = sum(max(ends[tp] - (committed[tp] or 0), 0) for tp in partitions)
        async for record in drain(consumer, partitions, stop_at=ends):
            tp = TopicPartition(record.topic, record.partition)
            report.records += 1
            if progress:
                progress(report.records, max(total, report.records))
            if _header(record, "dlq_consumer_group") != consumer_group(spec.name):
                outcome = "another_service"
            elif producer is None:  # a dry run: nothing applied, nothing sent
                outcome = "would_apply"
            else:
                try:
                    envelope = Envelope.from_kafka(
                        [(k, v) for k, v in record.headers if not k.startswith("dlq_")], record.value, record.key)
                    outcome = await spec.consumer.apply(pool, settings, envelope, envelope.parse())
                except Exception as error:  # still broken: back in the queue for the next fix
                    report.failed.append(f"{record.topic}/{record.partition}@{record.offset}: {error}")
                    headers = [(k, v) for k, v in record.headers if k != "dlq_error"]
                    headers.append(("dlq_error", logs.describe(error, stack=False)[:2000].encode()))
                    await producer.send_and_wait(record.topic, record.value, key=record.key, headers=headers)
                    outcome = "failed_again"
            report.outcomes[outcome] += 1
            if not dry_run:
                await consumer.commit({tp: record.offset + 1})
    finally:
        await consumer.stop()
        if producer is not None:
            await producer.stop()
        if pool is not None:
            await pool.close()
    return report


async def outbox_backlog(settings: Settings, services: list[str]) -> dict[str, dict[str, Any]]:
    """Per service: outbox rows not yet published, and the age of the oldest."""
    out: dict[str, dict[str, Any]] = {}
    for name in services:
        conn = await db.connect(settings, name)
        try:
            row = await conn.fetchrow(
                "SELECT count(*) AS unpublished, extract(epoch FROM now() - min(created_at)) AS oldest_s"
                " FROM outbox WHERE published_at IS NULL")
            out[name] = {"unpublished": row["unpublished"], "oldest_s": round(row["oldest_s"] or 0.0, 1)}
        finally:
            await conn.close()
    return out


async def consumer_lag(settings: Settings, specs: dict[str, ServiceSpec]) -> dict[str, dict[str, int]]:
    """Per service: per topic, how many records its consumer group has still to read."""
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=None)
    await consumer.start()
    out: dict[str, dict[str, int]] = {}
    try:
        for name, spec in specs.items():
            if spec.consumer is None:
                continue
            partitions = await partitions_of(consumer, spec.consumer.topics)
            committed = await committed_offsets(settings, consumer_group(name), partitions)
            ends = await consumer.end_offsets(partitions) if partitions else {}
            lag: dict[str, int] = {}
            for tp in partitions:
                lag[tp.topic] = lag.get(tp.topic, 0) + max(ends[tp] - committed.get(tp, 0), 0)
            out[name] = lag
    finally:
        await consumer.stop()
    return out


# What an org unit's export holds: per service, a table and the column that places its rows.
# Personal data stays out: submitters' sealed names and phones are not exported.
EXPORTS = {
    "members": [("org_units", "code"), ("departments", "org_unit"), ("sectors", "org_unit"),
                ("members", "org_unit"), ("venues", "org_unit"), ("activities", "org_unit")],
    "consultation": [("topics", "org_unit"), ("sessions", "org_unit")],
    "feedback": [("opinions", "org_unit"), ("reports", "org_unit"), ("proposals", "committee")],
    "notify": [],
}
PRIVATE_COLUMNS = {"email", "phone", "private_email", "private_phone", "id_number", "subject_id"}


async def export(settings: Settings, org_unit: str, out_dir: Path, *, dry_run: bool = False,
                 progress: Progress | None = None) -> dict[str, int]:
    """An org unit's subtree, table by table, as UTF-8 CSV files (with BOM, for spreadsheets)."""
    if not orgunits.is_valid_code(org_unit):
        raise ValueError(f"{org_unit} is not a division code")
    pattern = orgunits.sql_subtree_pattern(org_unit)
    counts: dict[str, int] = {}
    jobs = [(service, table, column) for service, tables in EXPORTS.items() for table, column in tables]
    for done, (service, table, column) in enumerate(jobs, start=1):
        conn = await db.connect(settings, service)
        try:
            columns = [r["column_name"] for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2"
                " ORDER BY ordinal_position", service, table)]
            kept = [c for c in columns if c not in PRIVATE_COLUMNS and not c.endswith("_sealed")]
            if not kept:
                continue
            query = (f"SELECT {', '.join(kept)} FROM {table} WHERE {column} LIKE $1 ORDER BY 1")  # noqa: S608 — table and column from EXPORTS, columns the catalog lists for that table
            name = f"{service}.{table}"
            if dry_run:
                counts[name] = await conn.fetchval(f"SELECT count(*) FROM {table} WHERE {column} LIKE $1", pattern)  # noqa: S608 — table and column from EXPORTS, columns the catalog lists for that table
            else:
                await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
                rows = 0
                with await asyncio.to_thread(
                        open, out_dir / f"{name}.csv", "w", newline="", encoding="utf-8-sig") as handle:
                    writer = csv.writer(handle)
                    writer.writerow(kept)
                    async with conn.transaction(readonly=True):
                        async for row in conn.cursor(query, pattern):
                            writer.writerow(inert_row(row.values()))
                            rows += 1
                counts[name] = rows
        finally:
            await conn.close()
        if progress:
            progress(done, len(jobs))
    return counts
