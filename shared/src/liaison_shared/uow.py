"""The unit of work: where the outbox lives. A handler changes state and records the events it
causes, and both are written in ONE transaction, so an event goes out if and only if its state
change committed. Calls to other systems are refused while one is open."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import logging
import re
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Protocol

import asyncpg

from . import audit, outbox
from .db import DatabaseUnavailable, is_unavailable, outbox_channel
from .events import Envelope, Event
from .settings import Settings

log = logging.getLogger(__name__)

_PARAMETER = re.compile(r"\$([0-9]+)")


def _renumbered(sql: str, offset: int) -> str:
    """``sql`` with its parameters ``$n`` renamed ``$(n + offset)``."""
    return _PARAMETER.sub(lambda m: f"${int(m[1]) + offset}", sql)


@functools.lru_cache(maxsize=256)
def _commit_statement(writes: tuple[tuple[str, int], ...], has_events: bool, audited: bool,
                      notify: bool = True) -> str:
    """The one statement a commit sends, for a shape of writes (their SQL and parameter count),
    events or none, NOTIFY of the relay or not (``outbox.leads_here``), and an audit row
    (``audit.COLUMNS``) or none — composed once per shape, not per request."""
    parts: list[str] = []
    count = 0
    tail = "SELECT 1"
    for number, (sql, n) in enumerate(writes):
        # the deferred writes first, their parameters renumbered after those before them
        parts.append(f"w{number} AS ({_renumbered(sql, count)})")
        count += n
    if has_events:
        p1, p2, p3, p4, p5, p6, p7, p8 = (f"${count + i}" for i in range(1, 9))
        count += 8 if notify else 7
        parts += [
            f"""locked AS (
                SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) AS n
                FROM (SELECT DISTINCT k FROM unnest({p1}::text[]) AS k ORDER BY k) AS keys
            )""",  # noqa: S608 — only parameter numbers are filled in
            f"""inserted AS (
                INSERT INTO outbox (event_id, topic, record_key, event_type, headers, payload)
                SELECT e.event_id, e.topic, e.record_key, e.event_type, string_to_array(e.headers, E'\\n'),
                       e.payload
                FROM unnest({p2}::uuid[], {p3}::text[], {p4}::text[], {p5}::text[], {p6}::text[], {p7}::bytea[])
                     WITH ORDINALITY AS e (event_id, topic, record_key, event_type, headers, payload, position)
                WHERE (SELECT n FROM locked) >= 0
                ORDER BY e.position
                RETURNING 1
            )""",  # noqa: S608 — only parameter numbers are filled in
        ]
        tail = (f"SELECT pg_notify({p8}, '') FROM (SELECT count(*) FROM inserted) AS done" if notify  # noqa: S608 — a parameter number
                else "SELECT count(*) FROM inserted")
    if audited:
        numbered = ", ".join(f"${count + 1 + i}" for i in range(len(audit.COLUMNS)))
        parts.append(f"audited AS (INSERT INTO audit_log ({', '.join(audit.COLUMNS)}) VALUES ({numbered})"  # noqa: S608 — audit.COLUMNS, parameter numbers
                     " RETURNING 1)")
    return f"WITH {', '.join(parts)} {tail}"


# Set while a unit of work holds its transaction open, in that task (and what it awaits).
_OPEN_TRANSACTION: contextvars.ContextVar[bool] = contextvars.ContextVar("open_transaction", default=False)


class NetworkCallInTransaction(RuntimeError):
    """A call to another system was made while a transaction was open: its row locks and its
    connection would be held for as long as the other side takes, and a retry would repeat a
    call that may already have been made. Claim and commit first, call, then record."""


def outside_transaction(what: str) -> None:
    """The guard every adapter that leaves the process (HTTP, SMTP, an SMS gateway) passes."""
    if _OPEN_TRANSACTION.get():
        raise NetworkCallInTransaction(f"{what} inside a database transaction")


class Writer(Protocol):
    """What a storage function that only writes needs of a connection (``UnitOfWork.writer``)."""

    async def execute(self, sql: str, *args: object) -> object: ...


class UnitOfWork:
    """One transaction: state changes plus the events they cause, written to the outbox.

    ``async with UnitOfWork(pool) as uow:`` commits on a clean exit and rolls back on an
    exception. Events are inserted at commit, after every state change has taken its
    row locks, under a transaction-scoped advisory lock per record key: two transactions
    on one aggregate therefore get outbox ids in commit order, and the relay — which
    sends in id order — keeps each aggregate's events in order.

    ``write_only`` is for a hot path that only inserts (the public intake): its writes
    (``await uow.write(sql, *args)``) wait for the commit, where they go out with the outbox
    and audit rows as one statement — atomic by itself, one round trip, no BEGIN/COMMIT.
    Reads through ``uow.conn`` then see nothing of them.
    """

    def __init__(self, pool: asyncpg.Pool, *, schema: str, acquire_timeout: float = 2.0,
                 settings: Settings | None = None, write_only: bool = False) -> None:
        self.settings = settings  # the service's settings, for handlers that need them
        self._pool = pool
        self._schema = schema
        self._acquire_timeout = acquire_timeout
        self._events: list[Envelope] = []
        self._writes: list[tuple[str, tuple[object, ...]]] = []
        self._later: dict[str, list[tuple[object, ...]]] = {}
        self._write_only = write_only
        self._tx: asyncpg.transaction.Transaction | None = None
        self._open: contextvars.Token[bool]
        self.conn: asyncpg.Connection

    async def __aenter__(self) -> UnitOfWork:
        try:
            self.conn = await self._pool.acquire(timeout=self._acquire_timeout)
        except Exception as error:
            if is_unavailable(error):
                raise DatabaseUnavailable(str(error)) from error
            raise
        if self._write_only:
            return self
        self._tx = tx = self.conn.transaction()
        try:
            await tx.start()
        except BaseException:
            await self._pool.release(self.conn)
            raise
        self._open = _OPEN_TRANSACTION.set(True)
        return self

    async def write(self, sql: str, *args: object) -> None:
        """An INSERT, UPDATE or DELETE whose result nobody reads: now, or (write-only) at commit."""
        if self._write_only:
            self._writes.append((sql, args))
        else:
            await self.conn.execute(sql, *args)

    def later(self, sql: str, *args: object) -> None:
        """A write nothing in this transaction reads back: sent with the others like it at
        commit (one pipelined round trip per statement), before the outbox rows."""
        if self._write_only:
            self._writes.append((sql, args))
        else:
            self._later.setdefault(sql, []).append(args)

    @property
    def writer(self) -> Writer:
        """Something with the connection's ``execute`` for storage functions that only write:
        the connection itself, or (write-only) the queue of writes for the commit."""
        return _Deferred(self) if self._write_only else self.conn


    def publish(self, event: Event) -> Envelope:
        """Queue ``event`` for the outbox of this transaction: about ``event.subject`` (its
        record key too), in ``event.org_unit``."""
        envelope = Envelope.wrap(event)
        self._events.append(envelope)
        return envelope

    @property
    def pending_events(self) -> list[Envelope]:
        """What this unit of work will publish if it commits (a handler may ask whether another did)."""
        return list(self._events)

    async def _write_commit_rows(self) -> bool:
        """In one round trip: the outbox rows — after the per-key locks (an InitPlan, so taken
        before any id is drawn), in publish order — the audit row of the request, and the
        wake-up of the relay: NOTIFY, or (the answer True) none because the relay leads in this
        process and is to be woken here once the transaction has committed."""
        audit_row = audit.pending_row(self._events)
        args: list[object] = []
        for _, values in self._writes:
            args += list(values)
        wake_here = bool(self._events) and outbox.leads_here(self._schema)
        if self._events:
            events = self._events
            args += [
                [e.key for e in events], [e.id for e in events], [e.topic for e in events], [e.key for e in events],
                [e.type for e in events], ["\n".join(k + "=" + v.decode() for k, v in e.headers()) for e in events],
                [e.value() for e in events], *([] if wake_here else [outbox_channel(self._schema)]),
            ]
        if audit_row is not None:
            args += list(audit_row)
        if self._writes or self._events or audit_row is not None:
            writes = tuple((sql, len(values)) for sql, values in self._writes)
            await self.conn.execute(_commit_statement(writes, bool(self._events), audit_row is not None,
                                                      notify=bool(self._events) and not wake_here), *args)
        return wake_here

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._tx is None:  # write-only: the one statement is the transaction
            try:
                if exc_type is None and await self._write_commit_rows():
                    outbox.wake_local(self._schema)
            except Exception as error:
                if is_unavailable(error):
                    raise DatabaseUnavailable(str(error)) from error
                raise
            finally:
                await self._pool.release(self.conn)
            return
        try:
            if exc_type is None:
                for sql, rows in self._later.items():
                    await self.conn.executemany(sql, rows)
                wake_here = await self._write_commit_rows()
                await self._tx.commit()
                if wake_here:
                    outbox.wake_local(self._schema)
            else:
                await self._tx.rollback()
        except Exception as error:
            if exc_type is None:
                # commit failed: roll back what is left and report it as unavailability
                # when that is what it was, so the caller answers 503 rather than 500.
                with contextlib.suppress(Exception):  # the connection is already gone
                    await self._tx.rollback()
                if is_unavailable(error):
                    raise DatabaseUnavailable(str(error)) from error
                raise
        finally:
            _OPEN_TRANSACTION.reset(self._open)
            await self._pool.release(self.conn)


class _Deferred:
    """The write-only unit of work seen as a connection that only executes."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def execute(self, sql: str, *args: object) -> None:
        await self._uow.write(sql, *args)


@contextlib.asynccontextmanager
async def snapshot(pool: asyncpg.Pool, *, acquire_timeout: float) -> AsyncIterator[asyncpg.Connection]:
    """A connection reading one moment of the database (REPEATABLE READ, read only): what a read
    composes of several queries — a ranking's figures and the scores beside them, a page and its
    total, a case and its history — comes from the same commits, never from both sides of one made
    between two of them. Every GET route reads through it (``Runtime.snapshot``). Like a unit of
    work it refuses calls to other systems while open, and a pool with no connection to give within
    ``acquire_timeout`` is unavailability (503), not a wait without end."""
    conn = await pool.acquire(timeout=acquire_timeout)
    opened = _OPEN_TRANSACTION.set(True)
    try:
        async with conn.transaction(isolation="repeatable_read", readonly=True):
            yield conn
    finally:
        _OPEN_TRANSACTION.reset(opened)
        await pool.release(conn)
