"""Replay topics into a service: read them from an offset or a time until caught up, and hand
every record to the service's handlers behind its inbox.

Events the inbox has seen change nothing — except in handlers marked ``rebuildable``
(projections), which apply them again; so replaying the members topics from the start
rebuilds a service's registry tables after they were emptied or damaged. The replay reads
without a consumer group: the service's own committed offsets are untouched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from . import db
from .events import Envelope
from .inbox import EventConsumer
from .kafka import drain, partitions_of
from .service import ServiceSpec
from .settings import Settings

Progress = Callable[[int, int], None]  # (records done, records in all)


@dataclass
class ReplayReport:
    topics: list[str]
    records: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"topics": self.topics, "records": self.records, "outcomes": dict(self.outcomes),
                "dry_run": self.dry_run}


async def replay(spec: ServiceSpec, settings: Settings, topics: list[str], *, since: datetime | None = None,
                 from_offset: int | None = None, dry_run: bool = False,
                 progress: Progress | None = None) -> ReplayReport:
    events = spec.consumer
    if events is None:
        raise ValueError(f"{spec.name} consumes no events")
    unknown = sorted(set(topics) - set(events.topics))
    if unknown:
        raise ValueError(f"{spec.name} does not consume {', '.join(unknown)}")
    report = ReplayReport(topics=topics, dry_run=dry_run)
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), enable_auto_commit=False,
                                group_id=None, client_id=f"{settings.kafka_client_id_prefix}-replay-{spec.name}")
    await consumer.start()
    pool = None if dry_run else await db.create_pool(settings, spec.name)
    try:
        partitions = await partitions_of(consumer, topics)
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await _starts(consumer, partitions, since, from_offset)
        total = sum(max(ends[tp] - starts[tp], 0) for tp in partitions)
        for tp in partitions:
            consumer.seek(tp, starts[tp])
        async for record in drain(consumer, partitions):
            report.outcomes[await _one(events, settings, pool, record, dry_run)] += 1
            report.records += 1
            if progress:
                progress(report.records, max(total, report.records))
    finally:
        await consumer.stop()
        if pool is not None:
            await pool.close()
    return report


async def _starts(consumer: AIOKafkaConsumer, partitions: list[TopicPartition], since: datetime | None,
                  from_offset: int | None) -> dict[TopicPartition, int]:
    beginnings: dict[TopicPartition, int] = await consumer.beginning_offsets(partitions)
    if since is not None:
        found = await consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in partitions})
        ends = await consumer.end_offsets(partitions)
        return {tp: found[tp].offset if found.get(tp) else ends[tp] for tp in partitions}
    if from_offset is not None:
        return {tp: max(from_offset, beginnings[tp]) for tp in partitions}
    return beginnings


async def _one(events: EventConsumer, settings: Settings, pool: asyncpg.Pool | None, record: ConsumerRecord,
               dry_run: bool) -> str:
    try:
        envelope = Envelope.from_kafka(record.headers, record.value, record.key)
        if not events.handlers_of(envelope.type):
            return "ignored"
        event = envelope.parse()
    except Exception:
        # what the live consumer dead-lettered: the DLQ holds it, a replay does not repeat that
        return "unreadable"
    if dry_run:
        return "would_apply"
    return await events.apply(pool, settings, envelope, event, replay=True)
