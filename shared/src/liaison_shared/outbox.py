"""The outbox relay: sends committed events to Kafka in order and marks them sent.

Design, against the known traps:
- It never remembers "the highest id sent": sequences are not commit-ordered, so it
  scans ``published_at IS NULL`` every time and a late-committing row is still found.
- One relay per service at a time holds a session advisory lock (leader); replicas
  wait on it, so two replicas neither double-send nor reorder an aggregate. If the
  leader's connection dies, the lock is released and another replica takes over.
- A commit in the process where the relay leads wakes it directly (``wake_local``); a commit
  elsewhere (another replica, a command-line tool) sends NOTIFY; the relay also polls as a
  fallback. Not NOTIFY for every commit: PostgreSQL takes a lock for a notifying transaction's
  commit and holds it to the end — one lock for the whole server (on database 0), not per
  database — so every notifying commit waits for the one before it, WAL flush included — at the intake's rate that cost PostgreSQL a sixth of its CPU.
- A crash between send and mark re-sends the batch: at least once, and consumers
  are idempotent on ``ce_source`` + ``ce_id``.
- The broker being down only grows the backlog: requests keep writing the outbox.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import asyncpg
from aiokafka import AIOKafkaProducer

from . import db, metrics, tracing
from .kafka import new_producer
from .settings import Settings

log = logging.getLogger(__name__)

AfterPublish = Callable[[list[int]], Awaitable[None] | None]


# A batch not acknowledged within this is a broker that does not answer (a send normally takes
# milliseconds; the client's own timeout, which ends the attempt, is far longer).
STALLED_AFTER_S = 5.0

# The relay leading in this process, by service (at most one: the advisory lock is per service).
_LEADING_HERE: dict[str, OutboxRelay] = {}


def leads_here(service: str) -> bool:
    """Whether this process's relay leads for ``service``: a commit here then needs no NOTIFY."""
    return service in _LEADING_HERE


def wake_local(service: str) -> None:
    """After a commit that wrote events without NOTIFY: wake the relay leading here. Had it
    stopped leading meanwhile, the next leader finds the rows at once or by polling."""
    relay = _LEADING_HERE.get(service)
    if relay is not None:
        relay._wake.set()


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        *,
        service: str,
        after_publish: AfterPublish | None = None,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._service = service
        self._after_publish = after_publish
        self._wake = asyncio.Event()
        self._producer: AIOKafkaProducer | None = None
        self.broker_up = False
        self.is_leader = False
        self.has_led = False  # this replica has talked to the broker as the relay: broker_up means something
        self.last_error: str | None = None
        self._last_housekeeping = 0.0
        self._stop_requested = False

    @property
    def lock_key(self) -> str:
        return f"outbox-relay:{self._service}"

    async def run(self) -> None:
        """Run until cancelled, surviving database and broker outages."""
        backoff = 0.5
        while not self._stop_requested:
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception as error:  # an outage: keep the backlog, try again later
                self.last_error = f"{type(error).__name__}: {error}"
                log.warning("outbox relay paused: %s", self.last_error)
                self.is_leader = False
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            else:
                backoff = 0.5

    def request_stop(self) -> None:
        self._stop_requested = True
        self._wake.set()

    async def stop(self) -> None:
        if self._producer is not None:
            try:
                await self._producer.stop()
            finally:
                self._producer = None

    async def _lead(self) -> None:
        conn = await db.connect(self._settings, self._service)
        try:
            while not self._stop_requested and not await conn.fetchval(
                "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", self.lock_key
            ):
                self.is_leader = False
                await asyncio.sleep(self._settings.outbox_poll_interval_s)
            self.is_leader = self.has_led = True
            await self._connect_producer()
            await conn.add_listener(db.outbox_channel(self._service), self._on_notify)
            _LEADING_HERE[self._service] = self
            while not self._stop_requested:
                if conn.is_closed():
                    raise db.DatabaseUnavailable("relay connection lost")
                sent = await self.publish_batch()
                await self._housekeeping()
                if sent < self._settings.outbox_batch_size:
                    await self._sleep_until_woken()
        finally:
            self.is_leader = False
            if _LEADING_HERE.get(self._service) is self:
                del _LEADING_HERE[self._service]
            try:
                await asyncio.wait_for(conn.close(), 2)
            except Exception:
                conn.terminate()

    def _on_notify(self, *_args: object) -> None:
        self._wake.set()

    async def _sleep_until_woken(self) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), self._settings.outbox_poll_interval_s)
        except TimeoutError:
            pass
        else:
            # under load a commit arrives every millisecond or two: let a few gather into
            # one batch rather than chase each with two queries
            await asyncio.sleep(self._settings.outbox_linger_s)
        self._wake.clear()

    async def _connect_producer(self) -> None:
        """Connect at once so the broker's state is known before there is anything to send."""
        try:
            await self._ensure_producer()
        except Exception as error:
            self.last_error = f"{type(error).__name__}: {error}"
        else:
            self._mark_broker(True)

    def _mark_broker(self, up: bool) -> None:
        self.broker_up = up
        metrics.BROKER_UP.labels(self._service).set(1 if up else 0)
        if up:
            self.last_error = None

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = new_producer(self._settings, f"{self._service}-relay")
            try:
                await producer.start()
            except Exception:
                self._mark_broker(False)
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def publish_batch(self) -> int:
        """Send one batch in id order; returns how many rows were sent and marked."""
        rows = await self._pool.fetch(
            "SELECT id, topic, record_key, headers, payload FROM outbox"
            " WHERE published_at IS NULL ORDER BY id LIMIT $1",
            self._settings.outbox_batch_size,
        )
        if not rows:
            return 0
        producer = await self._ensure_producer()
        sending = tracing.Sending()
        try:
            futures = [
                await producer.send(
                    row["topic"],
                    value=row["payload"],
                    key=row["record_key"].encode(),
                    headers=sending.headers(row["topic"], [
                        (name, value.encode())
                        for name, _, value in (h.partition("=") for h in row["headers"])
                    ]),
                )
                for row in rows
            ]
            acknowledged = asyncio.gather(*futures)
            done, _ = await asyncio.wait({acknowledged}, timeout=STALLED_AFTER_S)
            if not done:
                # the client waits its request timeout out (tens of seconds) before it fails:
                # say at once that the broker is not answering, for /readyz and the gauge
                self._mark_broker(False)
                self.last_error = f"no acknowledgement from the broker for {STALLED_AFTER_S:g} s"
            await acknowledged
        except Exception as error:
            sending.end(error)
            self._mark_broker(False)
            # A stuck producer is rebuilt rather than trusted after a failed batch.
            await self.stop()
            raise
        sending.end()
        self._mark_broker(True)
        ids = [row["id"] for row in rows]
        if self._after_publish is not None:
            outcome = self._after_publish(ids)
            if asyncio.iscoroutine(outcome):
                await outcome
        await self._pool.execute(
            "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", ids
        )
        for row in rows:
            metrics.EVENTS_PUBLISHED.labels(self._service, row["topic"]).inc()
        return len(rows)

    async def _housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._last_housekeeping < 5:
            return
        self._last_housekeeping = now
        backlog = await self._pool.fetchrow(
            "SELECT count(*) AS n, extract(epoch FROM now() - min(created_at)) AS age"
            " FROM outbox WHERE published_at IS NULL"
        )
        metrics.OUTBOX_BACKLOG.labels(self._service).set(backlog["n"])
        metrics.OUTBOX_OLDEST_SECONDS.labels(self._service).set(float(backlog["age"] or 0))
        await self._pool.execute(
            "DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)",
            self._settings.outbox_retention_hours * 3600,
        )


async def backlog(pool: asyncpg.Pool) -> int:
    waiting: int = await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    return waiting
