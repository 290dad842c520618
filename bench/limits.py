"""The machine's limits for messages and rows of the pipeline's sizes: raw aiokafka produce +
consume, and raw asyncpg inserts (one transaction each, as the intake does), no platform code."""

from __future__ import annotations

import asyncio
import os
import time
import uuid

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic


async def kafka(settings, message_bytes: int, count: int = 60_000) -> float:
    """Messages per second through the broker: all produced (acks=all) and all consumed."""
    topic = f"bench.limit.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(**settings.kafka_client_options())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=6, replication_factor=1)])
    finally:
        await admin.close()
    payload = os.urandom(message_bytes // 2).hex().encode()[:message_bytes]
    producer = AIOKafkaProducer(**settings.kafka_client_options(), acks="all", linger_ms=2)
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=None, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    await producer.start()
    await consumer.start()
    try:
        await consumer.topics()
        consumer.assign([TopicPartition(topic, p) for p in range(6)])
        await consumer.seek_to_beginning()
        started = time.perf_counter()

        async def produce():
            futures = []
            for i in range(count):
                futures.append(await producer.send(topic, payload, key=str(i % 997).encode()))
            await asyncio.gather(*futures)

        async def consume():
            seen = 0
            while seen < count:
                batch = await consumer.getmany(timeout_ms=200, max_records=10_000)
                seen += sum(len(records) for records in batch.values())

        await asyncio.gather(produce(), consume())
        return round(count / (time.perf_counter() - started), 1)
    finally:
        await producer.stop()
        await consumer.stop()


async def postgres(settings, row_bytes: int, count: int = 30_000, connections: int = 8) -> float:
    """Rows per second, each inserted in its own transaction by a pool of connections."""
    conn = await asyncpg.connect(settings.asyncpg_dsn())
    table = f"bench_limit_{uuid.uuid4().hex[:8]}"
    await conn.execute(f"CREATE TABLE public.{table} (id uuid PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(),"
                       " body text NOT NULL)")
    await conn.close()
    body = "路" * max(1, (row_bytes - 40) // 3)
    pool = await asyncpg.create_pool(settings.asyncpg_dsn(), min_size=connections, max_size=connections)
    try:
        started = time.perf_counter()

        async def worker(n: int) -> None:
            for _ in range(n):
                async with pool.acquire() as c, c.transaction():
                    await c.execute(f"INSERT INTO public.{table} (id, body) VALUES ($1, $2)", uuid.uuid4(), body)

        await asyncio.gather(*(worker(count // connections) for _ in range(connections)))
        return round(count / (time.perf_counter() - started), 1)
    finally:
        await pool.execute(f"DROP TABLE public.{table}")
        await pool.close()
