"""Consuming events exactly once in effect: the idempotent inbox and the dead-letter queue.

Each record is handled in its own transaction that first inserts ``(ce_source, ce_id)``
into ``inbox``; a redelivered event finds its row and changes nothing. Offsets are
committed by hand only after the batch's transactions (FastStream's MANUAL policy —
its ACK and REJECT_ON_ERROR policies would commit even after a handler raised).

A failure is read again. A record that can never be handled (not a CloudEvent, data
that fails its schema) or that failed ``consumer_max_attempts`` times goes to
``<topic>.dlq`` with the error and its origin in headers, and the stream goes on.
A database outage is not the record's fault: it is retried without counting.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar, cast

import asyncpg
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from pydantic import ValidationError

from . import db, logs, metrics, tracing
from .events import (
    Envelope,
    Event,
    EventType,
    InvalidEnvelope,
    UnknownEventType,
    dlq_topic,
    unversioned,
)
from .jobs import periodic
from .kafka import consumer_group
from .settings import Settings
from .uow import UnitOfWork

if TYPE_CHECKING:
    from .service import Runtime

log = logging.getLogger(__name__)

E = TypeVar("E", bound=Event)
LAG_REPORT_EVERY_S = 1.0
# A handler of one event type; the consumer keeps them as handlers of any event.
HandlerOf = Callable[[UnitOfWork, Envelope, E], Awaitable[None]]
Handler = HandlerOf[Event]


class PermanentError(Exception):
    """Raised by a handler for an event that no retry can fix: straight to the DLQ."""


@dataclass
class EventConsumer:
    """The events one service consumes, and what it does with each of them."""

    service: str
    handlers: dict[str, tuple[type[Event], list[Handler]]] = field(default_factory=dict)
    rebuildable: set[Handler] = field(default_factory=set)

    def on(self, model: type[E], *, rebuildable: bool = False) -> Callable[[HandlerOf[E]], HandlerOf[E]]:
        """Register a handler for an event type (any version the registry can upcast).

        Several handlers of one type run in the order registered, in one transaction.
        ``rebuildable`` marks a projection: an upsert that converges on any replay, so a
        replay (``liaison replay``) applies it again even to events the inbox has seen.
        """

        def decorate(handler: HandlerOf[E]) -> HandlerOf[E]:
            # Called only with events of this type (any version parses to its model), so a
            # handler of ``model`` is a handler of what it gets.
            any_event = cast(Handler, handler)
            _, handlers = self.handlers.setdefault(model.event_type.unversioned, (model, []))
            handlers.append(any_event)
            if rebuildable:
                self.rebuildable.add(any_event)
            return handler

        return decorate

    def handlers_of(self, type_name: str) -> list[Handler]:
        entry = self.handlers.get(unversioned(type_name))
        return entry[1] if entry else []

    async def apply(self, pool: asyncpg.Pool, settings: Settings, envelope: Envelope, event: Event, *,
                    replay: bool = False) -> str:
        """Handle one event in one transaction behind the inbox: ``handled`` or ``duplicate``.

        On ``replay`` an event already seen still runs its rebuildable handlers (``rebuilt``).
        """
        async with UnitOfWork(
            pool, schema=self.service, acquire_timeout=settings.db_acquire_timeout_s, settings=settings,
        ) as uow:
            return await self.apply_in(uow, envelope, event, replay=replay)

    async def apply_in(self, uow: UnitOfWork, envelope: Envelope, event: Event, *, replay: bool = False) -> str:
        """The inbox row and the handlers of one event, inside the caller's transaction."""
        fresh = await uow.conn.fetchval(
            "INSERT INTO inbox (source, event_id, event_type) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING RETURNING true",
            envelope.source,
            envelope.id,
            envelope.type,
        )
        if fresh:
            await self.run_handlers(uow, envelope, event)
            return "handled"
        again = [h for h in self.handlers_of(envelope.type) if h in self.rebuildable] if replay else []
        await self.run_handlers(uow, envelope, event, only=again)
        return "rebuilt" if again else "duplicate"

    async def claim(self, uow: UnitOfWork, envelopes: list[Envelope]) -> set[tuple[str, str]]:
        """Inbox rows for many events in one statement: the (source, id) of those not seen before."""
        rows = await uow.conn.fetch(
            "INSERT INTO inbox (source, event_id, event_type)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING"
            " RETURNING source, event_id",
            [e.source for e in envelopes], [e.id for e in envelopes], [e.type for e in envelopes],
        )
        return {(r["source"], r["event_id"]) for r in rows}

    async def run_handlers(self, uow: UnitOfWork, envelope: Envelope, event: Event, *,
                           only: list[Handler] | None = None) -> None:
        handlers = self.handlers_of(envelope.type) if only is None else only
        if not handlers:
            return
        with tracing.handling(envelope.traceparent, topic=envelope.topic, event_id=envelope.id,
                              event_type=envelope.type, group=consumer_group(self.service)):
            event_token = tracing.current_event_id.set(envelope.id)
            try:
                for handler in handlers:
                    await handler(uow, envelope, event)
            finally:
                tracing.current_event_id.reset(event_token)

    @property
    def topics(self) -> list[str]:
        return sorted({model.event_type.topic for model, _ in self.handlers.values()})

    def event_types(self, topic: str) -> list[EventType]:
        return [m.event_type for m, _ in self.handlers.values() if m.event_type.topic == topic]


async def _raw_body(message: KafkaMessage) -> bytes:
    return message.body



class InboxRunner:
    """Binds an ``EventConsumer`` to a FastStream broker, a pool and the DLQ."""

    def __init__(
        self,
        consumer: EventConsumer,
        broker: KafkaBroker,
        pool_getter: Callable[[], asyncpg.Pool],
        settings: Settings,
    ) -> None:
        self.consumer = consumer
        self.broker = broker
        self._pool = pool_getter
        self.settings = settings
        self.service = consumer.service
        self._failures: dict[tuple[str, int, int], int] = {}
        self._lag_reported_at = 0.0
        self._lag_task: asyncio.Future[None] | None = None  # the trailing report; kept, or it may vanish
        # One subscriber — one group member — for all of the service's topics: several
        # members of one group per process would only rebalance against each other.
        topics = consumer.topics
        self.subscriber = None
        if topics:
            self.subscriber = broker.subscriber(
                *topics,
                group_id=consumer_group(self.service),
                ack_policy=AckPolicy.MANUAL,
                auto_offset_reset="earliest",
                batch=True,
                max_records=settings.consumer_batch_size,
                batch_timeout_ms=100,
                # the broker answers a fetch once this much data is there, or after the wait:
                # under load, batches rather than a fetch per record; idle, the wait per hop
                fetch_min_bytes=32_768,
                fetch_max_wait_ms=settings.consumer_fetch_wait_ms,
                session_timeout_ms=10_000,
                heartbeat_interval_ms=1_000,
                # Records are parsed by the envelope, not by FastStream: a record that is
                # not JSON must reach our handler so that it can be dead-lettered.
                decoder=_raw_body,
                title=f"{self.service}:consumer",
                description="Handles " + ", ".join(
                    t.name for topic in topics for t in consumer.event_types(topic)
                ),
            )
            self.subscriber(self._handle_batch)

    async def _handle_batch(self, body: list[object], msg: KafkaMessage) -> None:
        """Handle a batch record by record and commit exactly what was done.

        A failure stops only its own partition: the offsets before it are committed and
        the partition is rewound to it, so it is read again (and nothing before it is),
        while the batch's other partitions go on.
        """
        records: tuple[ConsumerRecord, ...] = msg.raw_message
        # FastStream types it by a protocol whose commit() takes no offsets: it is aiokafka's
        consumer = cast(AIOKafkaConsumer, msg.consumer)
        if len(records) > 1 and await self._apply_together(records):
            last: dict[TopicPartition, int] = {}
            for record in records:
                last[TopicPartition(record.topic, record.partition)] = record.offset + 1
            try:
                await consumer.commit(last)
            except KafkaError as error:
                log.warning("offset commit failed: %s", error)
            await self._report_lag(consumer)
            return
        first: dict[TopicPartition, int] = {}
        done: dict[TopicPartition, int] = {}
        stopped: set[TopicPartition] = set()
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            first.setdefault(tp, record.offset)
            if tp in stopped:
                continue
            try:
                await self.handle_record(record)
            except asyncio.CancelledError:
                raise
            except Exception:
                stopped.add(tp)
            else:
                done[tp] = record.offset + 1
        if done:
            try:
                await consumer.commit({tp: offset for tp, offset in done.items()})
            except KafkaError as error:
                # Lost the partitions in a rebalance: their new owner reads them again
                # and the inbox absorbs what was already applied.
                log.warning("offset commit failed: %s", error)
        for tp in stopped:
            consumer.seek(tp, done.get(tp, first[tp]))
        await self._report_lag(consumer)

    async def _apply_together(self, records: Sequence[ConsumerRecord]) -> bool:
        """The whole batch in one transaction — the common case, and far cheaper than one
        transaction per event. Anything unusual (a record that does not parse, a handler
        that fails, the database away) rolls it all back and the batch is taken record by
        record, with retries and the DLQ. Returns whether the batch was applied."""
        started = time.perf_counter()
        outcomes: list[tuple[str, str]] = []
        try:
            async with UnitOfWork(
                self._pool(), schema=self.service, acquire_timeout=self.settings.db_acquire_timeout_s,
                settings=self.settings,
            ) as uow:
                wanted: list[tuple[ConsumerRecord, Envelope, Event]] = []
                for record in records:
                    envelope = Envelope.from_kafka(record.headers, record.value, record.key)
                    if not self.consumer.handlers_of(envelope.type):
                        outcomes.append((record.topic, "ignored"))
                        continue
                    wanted.append((record, envelope, envelope.parse()))
                fresh = await self.consumer.claim(uow, [envelope for _, envelope, _ in wanted]) if wanted else set()
                for record, envelope, event in wanted:
                    key = (envelope.source, envelope.id)
                    if key in fresh:
                        fresh.discard(key)  # a copy later in the same batch is a duplicate
                        await self.consumer.run_handlers(uow, envelope, event)
                        outcomes.append((record.topic, "handled"))
                    else:
                        outcomes.append((record.topic, "duplicate"))
        except asyncio.CancelledError:
            raise
        except Exception as error:
            log.debug("batch of %d taken apart: %r", len(records), error)
            return False
        for topic, outcome in outcomes:
            metrics.EVENTS_CONSUMED.labels(self.service, topic, outcome).inc()
        metrics.HANDLER_SECONDS.labels(self.service, "batch").observe(time.perf_counter() - started)
        return True

    async def handle_record(self, record: ConsumerRecord) -> None:
        where = (record.topic, record.partition, record.offset)
        started = time.perf_counter()
        try:
            envelope = Envelope.from_kafka(record.headers, record.value, record.key)
            if not self.consumer.handlers_of(envelope.type):
                metrics.EVENTS_CONSUMED.labels(self.service, record.topic, "ignored").inc()
                return
            event = envelope.parse()
            outcome = await self.consumer.apply(self._pool(), self.settings, envelope, event)
            metrics.EVENTS_CONSUMED.labels(self.service, record.topic, outcome).inc()
            metrics.HANDLER_SECONDS.labels(self.service, envelope.type).observe(
                time.perf_counter() - started
            )
            self._failures.pop(where, None)
        except (InvalidEnvelope, ValidationError, UnknownEventType, PermanentError) as error:
            await self._dead_letter(record, error, attempts=1)
        except Exception as error:
            if db.is_unavailable(error):
                log.warning("database unavailable while handling %s: %s", where, error)
                await asyncio.sleep(1.0)
                raise
            attempts = self._failures.get(where, 0) + 1
            self._failures[where] = attempts
            metrics.EVENTS_FAILED.labels(self.service, record.topic).inc()
            log.warning("handler failed (attempt %d) at %s: %r", attempts, where, error)
            if attempts >= self.settings.consumer_max_attempts:
                await self._dead_letter(record, error, attempts=attempts)
                self._failures.pop(where, None)
                return
            await asyncio.sleep(min(0.1 * 2**attempts, 2.0))
            raise

    async def _dead_letter(self, record: ConsumerRecord, error: BaseException, attempts: int) -> None:
        headers = list(record.headers or ())
        headers += [
            # by class, SQLSTATE and constraint: a database error's text holds the failing row
            ("dlq_error", logs.describe(error, stack=False)[:2000].encode()),
            ("dlq_error_trace", logs.describe(error)[-4000:].encode()),
            ("dlq_original_topic", record.topic.encode()),
            ("dlq_original_partition", str(record.partition).encode()),
            ("dlq_original_offset", str(record.offset).encode()),
            ("dlq_consumer_group", consumer_group(self.service).encode()),
            ("dlq_attempts", str(attempts).encode()),
            ("dlq_time", datetime.now(UTC).isoformat().encode()),
        ]
        await self.broker.publish(
            record.value, topic=dlq_topic(record.topic), key=record.key, headers=dict(
                (k, v.decode("utf-8", "replace")) for k, v in headers
            )
        )
        metrics.EVENTS_DEAD_LETTERED.labels(self.service, record.topic).inc()
        log.error("dead-lettered %s/%d@%d: %s", record.topic, record.partition, record.offset, error)

    async def _report_lag(self, consumer: AIOKafkaConsumer) -> None:
        """The lag gauge of every assigned partition, at most once a second: under load a batch
        comes every few milliseconds and the gauges (tens of partitions) are scraped far less
        often. A batch within the second leaves one report for its end, so the gauge never
        keeps the lag of a burst that is over."""
        wait = self._lag_reported_at + LAG_REPORT_EVERY_S - time.monotonic()
        if wait <= 0:
            await self._set_lag(consumer)
        elif self._lag_task is None or self._lag_task.done():
            self._lag_task = asyncio.ensure_future(self._set_lag(consumer, after=wait))

    async def _set_lag(self, consumer: AIOKafkaConsumer, *, after: float = 0.0) -> None:
        if after:
            await asyncio.sleep(after)
        self._lag_reported_at = time.monotonic()
        try:
            for tp in consumer.assignment():
                high = consumer.highwater(tp)
                if high is None:
                    continue
                position = await consumer.position(tp)
                metrics.CONSUMER_LAG.labels(self.service, tp.topic, str(tp.partition)).set(
                    max(0, high - position)
                )
        except Exception:  # lag is a metric, never a reason to fail a batch
            log.debug("could not read consumer lag", exc_info=True)


# --- retention ----------------------------------------------------------------------------

PURGE_BATCH = 5000
# Every ten seconds, so each round deletes about ten seconds' rows: a round every five minutes
# deleted five minutes' rows at once, a burst of writes and dead rows that the consumers'
# own transactions waited behind.
PURGE_EVERY_S = 10.0


async def purge_handled(runtime: Runtime) -> int:
    """Delete one batch of inbox rows older than ``inbox_retention_hours``; the count deleted.

    An event topic keeps 30 days, so a row kept longer than that can no longer meet its event
    again from the topic. Registry topics keep every event, and a consumer group that lost its
    offsets reads them from the start: their handlers are projections that apply an event again
    without harm, which ``liaison replay`` relies on already."""
    deleted: str = await runtime.started_pool().execute(
        "DELETE FROM inbox WHERE ctid = ANY (ARRAY(SELECT ctid FROM inbox"
        " WHERE handled_at < now() - make_interval(secs => $1) LIMIT $2))",
        runtime.settings.inbox_retention_hours * 3600, PURGE_BATCH,
    )
    return int(deleted.rsplit(" ", 1)[-1])


# Background job of every service: batches until none is left, then every ten seconds.
run_inbox_retention = periodic(purge_handled, every=PURGE_EVERY_S, drain=True, name="inbox retention")
