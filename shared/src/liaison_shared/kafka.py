"""Kafka clients configured for this platform rather than with aiokafka's defaults.

aiokafka defaults to acks=1, auto commit and offset reset "latest"; here producers
wait for all in-sync replicas, consumers commit by hand after their transaction, and a
new consumer group starts from the earliest offset so no projection misses history.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import TYPE_CHECKING

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from .settings import Settings

if TYPE_CHECKING:
    from faststream.security import BaseSecurity

log = logging.getLogger(__name__)


def new_producer(settings: Settings, client_id: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        **settings.kafka_client_options(),
        client_id=f"{settings.kafka_client_id_prefix}-{client_id}",
        acks="all",
        enable_idempotence=settings.kafka_idempotence,
        linger_ms=2,
        request_timeout_ms=10_000,
        retry_backoff_ms=200,
        metadata_max_age_ms=30_000,
    )


def faststream_security(settings: Settings) -> BaseSecurity | None:
    """The same SASL/TLS settings in FastStream's terms."""
    from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

    options = settings.kafka_client_options()
    ssl_context = options.get("ssl_context")
    protocol = settings.kafka_security_protocol
    if protocol.startswith("SASL"):
        kind = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256,
                "SCRAM-SHA-512": SASLScram512}[settings.kafka_sasl_mechanism]
        return kind(
            options["sasl_plain_username"] or "",
            options["sasl_plain_password"] or "",
            ssl_context=ssl_context,
            use_ssl=protocol == "SASL_SSL",
        )
    if protocol == "SSL":
        return BaseSecurity(ssl_context=ssl_context, use_ssl=True)
    return None


def consumer_group(service: str) -> str:
    return f"cppcc-liaison.{service}"


async def ensure_topics(
    settings: Settings, topics: dict[str, dict[str, str]], *, partitions: int | None = None
) -> list[str]:
    """Create missing topics (name → topic configs); returns the ones created."""
    admin = AIOKafkaAdminClient(**settings.kafka_client_options(), request_timeout_ms=10_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name,
                num_partitions=partitions or settings.kafka_topic_partitions,
                replication_factor=settings.kafka_replication_factor,
                topic_configs=configs,
            )
            for name, configs in sorted(topics.items())
            if name not in existing
        ]
        if wanted:
            with contextlib.suppress(TopicAlreadyExistsError):  # another process won the race
                await admin.create_topics(wanted)
        return [t.name for t in wanted]
    finally:
        await admin.close()


async def partitions_of(consumer: AIOKafkaConsumer, topics: Iterable[str]) -> list[TopicPartition]:
    """Every partition of ``topics``, from a metadata request of its own: a consumer that has not
    subscribed knows no topic (the embedded broker answers a bootstrap request with all of them,
    Apache Kafka with none — so ``consumer.partitions_for_topic`` alone sees nothing there)."""
    names = list(topics)
    for _ in range(20):  # a topic created a moment ago has no leaders yet: wait a little for them
        cluster = await consumer._client.fetch_all_metadata()
        if all(cluster.partitions_for_topic(t) for t in names):
            break
        await asyncio.sleep(0.25)
    return [TopicPartition(t, p) for t in names for p in sorted(cluster.partitions_for_topic(t) or [])]


async def drain(
    consumer: AIOKafkaConsumer, partitions: Sequence[TopicPartition], *,
    stop_at: dict[TopicPartition, int] | None = None,
) -> AsyncIterator[ConsumerRecord]:
    """Every record now in the assigned ``partitions``, until caught up: past the end offsets
    taken at the start and a poll that brought nothing (some Kafka-compatible brokers
    under-report the end of multi-record batches). With ``stop_at``, nothing from those
    offsets on (what a redrive put back itself)."""
    ends = await consumer.end_offsets(partitions)
    quiet = 0
    while quiet < 2:
        batch = await consumer.getmany(*partitions, timeout_ms=500)
        if not batch:
            positions = [await consumer.position(tp) for tp in partitions]
            quiet += all(p >= ends[tp] for p, tp in zip(positions, partitions, strict=True))
            continue
        quiet = 0
        for records in batch.values():
            for record in records:
                if stop_at is None or record.offset < stop_at[TopicPartition(record.topic, record.partition)]:
                    yield record
