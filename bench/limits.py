"""The limits the end-to-end figure is held against, measured in the same run on the same broker
and the same (durable) PostgreSQL:

- **the intake stage alone**: feedback by itself (the consumers — members, consultation,
  notify — stopped), public opinions POSTed back to back from 32 connections: what the front
  door takes, POST → row committed (the rows are counted in the database afterwards);
- **the raw broker**: aiokafka produce (acks=all) and consume of messages of the pipeline's size;
- **the raw database**: asyncpg inserts of rows of the opinions' size, one committed statement
  each from 8 connections, as the intake writes.

``fraction_of_limit`` is the found end-to-end rate over the intake stage's.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import asyncpg
import loadgen
import psutil
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from analysis import distribution
from logline import log
from stack import VILLAGE
from step import Bench, Generator

INTAKE_CONNECTIONS = 32
INTAKE_WARMUP_S = 2.0


async def intake(bench: Bench, seconds: float) -> dict:
    stack = bench.stack
    consumers = [n for n in list(stack.services) if n != "feedback"]
    stack.stop_services(consumers)
    for name in consumers:
        bench.sampler.processes.pop(name, None)
    conn = await asyncpg.connect(stack.settings.asyncpg_dsn())
    try:
        before = await conn.fetchval("SELECT count(*) FROM feedback.opinions")
        generator = Generator(loadgen.closed_loop, "127.0.0.1", stack.services["feedback"].port,
                              INTAKE_WARMUP_S + seconds, INTAKE_CONNECTIONS, VILLAGE)
        start = await generator.started()
        bench.sampler.processes["generator"] = psutil.Process(generator.pid)
        await asyncio.sleep(max(0.0, start + INTAKE_WARMUP_S - time.monotonic()))
        cpu_from = bench.sampler.cpu()
        await asyncio.sleep(max(0.0, start + INTAKE_WARMUP_S + seconds - time.monotonic()))
        cpu_to = bench.sampler.cpu()
        summary = await generator.finished()
        bench.sampler.processes.pop("generator", None)
        committed = await conn.fetchval("SELECT count(*) FROM feedback.opinions") - before
    finally:
        await conn.close()
    low, high = start + INTAKE_WARMUP_S, start + INTAKE_WARMUP_S + seconds
    answered = [r for r in generator.records if r[2] is not None and low <= r[2] < high]
    accepted = [r for r in answered if r[3] == 201]
    result = {
        "what": f"feedback alone, {INTAKE_CONNECTIONS} connections back to back, POST → row committed",
        "seconds": seconds,
        "throughput_per_s": round(len(accepted) / seconds, 1),
        "answer_latency_ms": distribution([(r[2] - r[1]) * 1000 for r in accepted]),
        "errors": len(answered) - len(accepted),
        "accepted_total": sum(r[3] == 201 for r in generator.records),
        "rows_committed": committed,
        "cpu_ms_per_opinion": {name: round((cpu_to[name] - cpu_from.get(name, 0.0)) * 1000 / len(accepted), 3)
                               for name in cpu_to if name in ("feedback", "postgres", "broker", "generator")}
        if accepted else {},
        "generator_cpu_s": round(summary.get("cpu_s") or 0.0, 2),
    }
    log(f"limit: intake alone {result['throughput_per_s']}/s, answer p50/p99 "
        f"{result['answer_latency_ms']['p50']}/{result['answer_latency_ms']['p99']} ms, "
        f"{committed} rows committed for {result['accepted_total']} accepted")
    return result


async def broker(settings, message_bytes: int, seconds: float) -> dict:
    """Messages per second through the broker: produced with acks=all and all consumed."""
    topic = f"bench.limit.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=6,
                                            replication_factor=settings.kafka_replication_factor)])
    finally:
        await admin.close()
    payload = os.urandom(message_bytes // 2 + 1).hex().encode()[:message_bytes]
    producer = AIOKafkaProducer(**settings.kafka_client_options(), acks="all", linger_ms=2,
                                enable_idempotence=settings.kafka_idempotence)
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await producer.start()
    await consumer.start()
    produced = 0
    try:
        await consumer.topics()
        consumer.assign([TopicPartition(topic, p) for p in range(6)])
        await consumer.seek_to_beginning()
        started = time.perf_counter()
        stop_at = started + seconds

        async def produce() -> None:
            nonlocal produced
            futures = []
            while time.perf_counter() < stop_at:
                futures.append(await producer.send(topic, payload, key=str(produced % 997).encode()))
                produced += 1
            await asyncio.gather(*futures)

        async def consume() -> int:
            seen = 0
            while seen < produced or time.perf_counter() < stop_at:
                batch = await consumer.getmany(timeout_ms=200, max_records=10_000)
                seen += sum(len(records) for records in batch.values())
                if time.perf_counter() > stop_at + 60:
                    raise TimeoutError(f"consumed {seen} of {produced} a minute after producing stopped")
            return seen

        consumed = (await asyncio.gather(produce(), consume()))[1]
        elapsed = time.perf_counter() - started
    finally:
        await producer.stop()
        await consumer.stop()
    result = {"what": f"aiokafka produce (acks=all) + consume, {message_bytes} B messages, 6 partitions",
              "messages_per_s": round(consumed / elapsed, 1), "messages": consumed}
    log(f"limit: broker produce+consume {result['messages_per_s']:.0f} msgs/s")
    return result


async def database(settings, row_bytes: int, seconds: float, connections: int = 8) -> dict:
    """Rows per second, each insert a committed statement of its own (the intake's shape)."""
    table = f"public.bench_limit_{uuid.uuid4().hex[:8]}"
    body = "路" * max(1, (row_bytes - 40) // 3)
    pool = await asyncpg.create_pool(settings.asyncpg_dsn(), min_size=connections, max_size=connections)
    inserted = 0
    try:
        await pool.execute(f"CREATE TABLE {table} (id uuid PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(),"
                           " body text NOT NULL)")
        started = time.perf_counter()
        stop_at = started + seconds

        async def worker() -> None:
            nonlocal inserted
            async with pool.acquire() as conn:
                while time.perf_counter() < stop_at:
                    await conn.execute(f"INSERT INTO {table} (id, body) VALUES ($1, $2)", uuid.uuid4(), body)  # noqa: S608 — the table name is made here from a uuid's hex
                    inserted += 1

        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - started
        await pool.execute(f"DROP TABLE {table}")
    finally:
        await pool.close()
    result = {"what": f"asyncpg INSERT of {row_bytes} B rows, one commit each, {connections} connections",
              "rows_per_s": round(inserted / elapsed, 1), "rows": inserted}
    log(f"limit: database inserts {result['rows_per_s']:.0f} rows/s")
    return result
