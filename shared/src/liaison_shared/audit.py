"""The audit log: every write through the API, who did it, to what, and a hash chain over it all.

A write request gets an ``AuditContext`` (the HTTP middleware starts it and hashes the body
as the endpoint reads it). The unit of work that commits the write appends one row to
``audit_log`` in the same transaction — who (sub, role, org), the action (method and route),
the resource, the trace id, a SHA-256 of the change (request body and the events it
caused). Rows are chained afterwards by the sealer, one per service under an advisory lock,
in the order they become visible: ``hash = sha256(prev_hash | row)``. A trigger refuses
updates and deletes of sealed rows; ``liaison audit-verify`` recomputes the chain, so a row
changed behind the trigger's back (or removed) breaks it where it happened.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from . import tracing

GENESIS = "0" * 64
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
SEAL_LOCK = 0x6175646974  # "audit"


@dataclass
class AuditContext:
    method: str
    path: str
    scope: dict
    body: hashlib._Hash = field(default_factory=hashlib.sha256)
    principal: object | None = None

    @property
    def action(self) -> str:
        return f"{self.method} {route_template(self.scope)}"

    @property
    def resource_id(self) -> str | None:
        params = self.scope.get("path_params") or {}
        return str(next(iter(params.values()))) if params else None


def route_template(scope) -> str:
    """The matched route's template (``/api/v1/topics/{topic_id}``) from the concrete path and
    its parameters — whatever way the framework nested the routers."""
    params = {str(v): k for k, v in (scope.get("path_params") or {}).items()}
    if scope.get("route") is None and not params:
        return "unmatched"
    return "/".join("{" + params[part] + "}" if part in params else part
                    for part in scope.get("path", "").split("/"))


current: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("audit", default=None)


def start(scope) -> contextvars.Token | None:
    if scope.get("method") not in WRITE_METHODS:
        return None
    return current.set(AuditContext(method=scope["method"], path=scope.get("path", ""), scope=scope))


def saw_principal(principal) -> None:
    ctx = current.get()
    if ctx is not None:
        ctx.principal = principal


COLUMNS = ("actor_sub", "actor_role", "actor_org", "action", "resource", "resource_id", "trace_id", "change_hash",
           "events")


def pending_row(events: list) -> tuple | None:
    """The row a committing write appends (None outside an audited request), in ``COLUMNS`` order.

    ``events`` are the envelopes the write publishes: their ids go into the change's hash,
    their types into the row, and the first one's subject names what a create created.
    The unit of work inserts it in its commit statement, with the outbox rows.
    """
    ctx = current.get()
    if ctx is None:
        return None
    principal = ctx.principal
    change = ctx.body.copy()
    for envelope in events:
        change.update(envelope.id.encode())
    return (
        getattr(principal, "sub", "public"), getattr(getattr(principal, "role", None), "value", "public"),
        getattr(principal, "org", None), ctx.action, ctx.path, ctx.resource_id or (events[0].subject if events else None),
        tracing.trace_id_of(tracing.current_traceparent.get()), change.hexdigest(),
        sorted({envelope.type for envelope in events}),
    )


def row_hash(prev_hash: str, row) -> str:
    at: datetime = row["at"]
    material = json.dumps([
        prev_hash, row["id"], at.isoformat(), row["actor_sub"], row["actor_role"], row["actor_org"], row["action"],
        row["resource"], row["resource_id"], row["trace_id"], row["change_hash"], list(row["events"]),
    ], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(material.encode()).hexdigest()


ROW = ("id, at, actor_sub, actor_role, actor_org, action, resource, resource_id, trace_id, change_hash, events,"
       " seq, prev_hash, hash")


async def seal(conn: asyncpg.Connection, *, batch: int = 1000) -> int:
    """Chain the rows not sealed yet; returns how many. Only one sealer per schema works at once."""
    if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", SEAL_LOCK):
        return 0
    try:
        sealed = 0
        while True:
            async with conn.transaction():
                last = await conn.fetchrow("SELECT seq, hash FROM audit_log WHERE seq IS NOT NULL"
                                           " ORDER BY seq DESC LIMIT 1")
                seq, prev = (last["seq"], last["hash"]) if last else (0, GENESIS)
                rows = await conn.fetch(f"SELECT {ROW} FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT $1", batch)
                if not rows:
                    return sealed
                updates = []
                for row in rows:
                    seq += 1
                    digest = row_hash(prev, row)
                    updates.append((row["id"], seq, prev, digest))
                    prev = digest
                await conn.executemany("UPDATE audit_log SET seq = $2, prev_hash = $3, hash = $4 WHERE id = $1",
                                       updates)
                sealed += len(rows)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", SEAL_LOCK)


@dataclass
class Verification:
    ok: bool
    rows: int
    unsealed: int
    broken_at: int | None = None
    reason: str | None = None


async def verify(conn: asyncpg.Connection, *, progress=None) -> Verification:
    """Walk the chain from the start; the first seq whose hash does not follow is reported."""
    prev, expected, rows = GENESIS, 1, 0
    unsealed = await conn.fetchval("SELECT count(*) FROM audit_log WHERE seq IS NULL")
    total = await conn.fetchval("SELECT count(*) FROM audit_log WHERE seq IS NOT NULL")
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        async for row in conn.cursor(f"SELECT {ROW} FROM audit_log WHERE seq IS NOT NULL ORDER BY seq"):
            if row["seq"] != expected:
                return Verification(False, rows, unsealed, expected, f"row {expected} of the chain is missing")
            if row["prev_hash"] != prev or row_hash(prev, row) != row["hash"]:
                return Verification(False, rows, unsealed, row["seq"], "the row does not match its hash")
            prev, expected, rows = row["hash"], expected + 1, rows + 1
            if progress and rows % 500 == 0:
                progress(rows, total)
    return Verification(True, rows, unsealed)


async def run_sealer(runtime) -> None:
    """Background job of every service: seal what was appended, about once a second."""
    while not runtime.stopping:
        async with runtime.pool.acquire() as conn:
            await seal(conn)
        await asyncio.sleep(runtime.settings.audit_seal_interval_s)
