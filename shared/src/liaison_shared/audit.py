"""The audit log: every write through the API, who did it, to what, and a hash chain over it all.

A write request gets an ``AuditContext`` (the HTTP middleware starts it and hashes the body
as the endpoint reads it). The unit of work that commits the write appends one row to
``audit_log`` in the same statement as its outbox rows — who (sub, role, org), the action
(method and route), the resource, the trace id, an HMAC of the change (request body and the
events it caused). About once a second the sealer (one per service, under an advisory lock)
seals the rows of every transaction finished since the last seal as one block:
``hash = HMAC(prev_hash | the block's rows in id order)``, in ``audit_seals``. Rows are never
updated; triggers refuse updates, deletes and TRUNCATE of rows and seals; ``liaison
audit-verify`` recomputes every block, so a row changed behind the trigger's back, removed or
slipped in breaks the chain at its block.

Both hashes are keyed (``AUDIT_HMAC_KEY``): a plain SHA-256 of a body lets anyone who reads
the log try every phone number, and lets anyone who can write the tables recompute the chain.
What the key cannot stop — the newest blocks dropped, the chain cut back — is found against
a head kept elsewhere: ``liaison audit-head`` prints ``seq:hash``, ``liaison audit-verify
--against seq:hash`` fails when that seal is missing or different.

The MAC is HMAC-SHA256, or HMAC-SM3 (GB/T 32905) where ``CRYPTO_SUITE=sm4-gcm`` asks for China's
commercial cryptography (密评). Each seal names its own (``audit_seals.mac``), so a deployment that
switches keeps one chain: older blocks verify as they were sealed, newer ones under SM3.
"""

from __future__ import annotations

import contextvars
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

import asyncpg
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from starlette.types import Scope

from . import tracing
from .jobs import periodic
from .settings import Settings

if TYPE_CHECKING:
    from .auth import Principal
    from .events import Envelope
    from .service import Runtime

GENESIS = "0" * 64
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
SEAL_LOCK = 0x6175646974  # "audit"


@dataclass
class AuditContext:
    method: str
    path: str
    scope: Scope
    body: Mac
    principal: Principal | None = None

    @property
    def action(self) -> str:
        return f"{self.method} {route_template(self.scope)}"

    @property
    def resource_id(self) -> str | None:
        params = self.scope.get("path_params") or {}
        return str(next(iter(params.values()))) if params else None


def route_template(scope: Scope) -> str:
    """The matched route's template (``/api/v1/topics/{topic_id}``) from the concrete path and
    its parameters — whatever way the framework nested the routers."""
    params = {str(v): k for k, v in (scope.get("path_params") or {}).items()}
    if scope.get("route") is None and not params:
        return "unmatched"
    return "/".join("{" + params[part] + "}" if part in params else part
                    for part in scope.get("path", "").split("/"))


current: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("audit", default=None)


MacName = Literal["hmac-sha256", "hmac-sm3"]
DIGESTS: dict[MacName, Callable[[], hashes.HashAlgorithm]] = {"hmac-sha256": hashes.SHA256, "hmac-sm3": hashes.SM3}


class Mac:
    """An HMAC in progress (cryptography's, which has SM3 whatever the system OpenSSL offers)."""

    def __init__(self, state: crypto_hmac.HMAC) -> None:
        self._state = state

    def update(self, data: bytes) -> None:
        self._state.update(data)

    def copy(self) -> Mac:
        return Mac(self._state.copy())

    def hexdigest(self) -> str:
        return self._state.copy().finalize().hex()


def keyed(key: str, mac: MacName = "hmac-sha256") -> Mac:
    """An HMAC under the audit key: made once, copied per request (a copy skips the keying)."""
    return Mac(crypto_hmac.HMAC(key.encode(), DIGESTS[mac]()))


def key_of(settings: Settings) -> str:
    return settings.audit_hmac_key.get_secret_value()


def mac_of(settings: Settings) -> MacName:
    """HMAC-SM3 for the GM/T suite, HMAC-SHA256 otherwise."""
    return "hmac-sm3" if settings.crypto_suite == "sm4-gcm" else "hmac-sha256"


def start(scope: Scope, mac: Mac) -> contextvars.Token[AuditContext | None] | None:
    """Open the audit context of a write request; ``mac`` is ``keyed(key)``, copied here."""
    if scope.get("method") not in WRITE_METHODS:
        return None
    return current.set(AuditContext(method=scope["method"], path=scope.get("path", ""), scope=scope,
                                    body=mac.copy()))


def saw_principal(principal: Principal) -> None:
    ctx = current.get()
    if ctx is not None:
        ctx.principal = principal


COLUMNS = ("actor_sub", "actor_role", "actor_org", "action", "resource", "resource_id", "trace_id", "change_hash",
           "events")
# A row of the audit log in COLUMNS order.
Row = tuple[str, str, str | None, str, str, str | None, str | None, str, list[str]]


def pending_row(events: list[Envelope]) -> Row | None:
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


def _canonical(row: Mapping[str, Any]) -> str:
    at: datetime = row["at"]
    return json.dumps([
        row["id"], at.isoformat(), row["actor_sub"], row["actor_role"], row["actor_org"], row["action"],
        row["resource"], row["resource_id"], row["trace_id"], row["change_hash"], list(row["events"]),
    ], ensure_ascii=False, separators=(",", ":"))


def block_hash(key: str, prev_hash: str, rows: Iterable[Mapping[str, Any]], mac: MacName = "hmac-sha256") -> str:
    """The seal of a block: the previous seal's hash, then every row of the block in id order,
    under the audit key."""
    digest = keyed(key, mac)
    digest.update(prev_hash.encode())
    for row in rows:
        digest.update(b"\n" + _canonical(row).encode())
    return digest.hexdigest()


ROW = "id, at, actor_sub, actor_role, actor_org, action, resource, resource_id, trace_id, change_hash, events"
# The rows of the transactions from txid $1 up to $2: one block of the chain.
BLOCK = f"SELECT {ROW} FROM audit_log WHERE txid >= $1::xid8 AND txid < $2::xid8 ORDER BY id"  # noqa: S608 — ROW above


async def seal(conn: asyncpg.Connection, key: str, mac: MacName = "hmac-sha256") -> int:
    """Seal the rows of every transaction finished since the last seal with ``mac``; returns how
    many rows.

    Only one sealer per schema works at once (an advisory lock)."""
    if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", SEAL_LOCK):
        return 0
    try:
        async with conn.transaction():
            last = await conn.fetchrow("SELECT seq, to_txid::text AS to_txid, hash FROM audit_seals"
                                       " ORDER BY seq DESC LIMIT 1")
            horizon = int(await conn.fetchval("SELECT pg_snapshot_xmin(pg_current_snapshot())::text"))
            start = int(last["to_txid"]) if last else 0
            rows = await conn.fetch(BLOCK, start, horizon)
            if not rows:
                return 0
            prev = last["hash"] if last else GENESIS
            await conn.execute(
                "INSERT INTO audit_seals (seq, from_txid, to_txid, row_count, prev_hash, hash, mac)"
                " VALUES ($1, $2::xid8, $3::xid8, $4, $5, $6, $7)",
                (last["seq"] if last else 0) + 1, start, horizon, len(rows), prev, block_hash(key, prev, rows, mac),
                mac)
            return len(rows)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", SEAL_LOCK)


@dataclass
class Verification:
    ok: bool
    rows: int
    unsealed: int
    broken_at: int | None = None
    reason: str | None = None
    head: str | None = None


def parse_head(text: str) -> tuple[int, str]:
    """``seq:hash`` as printed by ``liaison audit-head``."""
    seq, _, digest = text.strip().partition(":")
    if not seq.isascii() or not seq.isdigit() or len(digest) != 64:
        raise ValueError(f"not a kept head (seq:hash): {text!r}")
    return int(seq), digest


async def head(conn: asyncpg.Connection) -> str | None:
    """The newest seal as ``seq:hash`` — to be kept outside the database (``audit-verify --against``)."""
    last = await conn.fetchrow("SELECT seq, hash FROM audit_seals ORDER BY seq DESC LIMIT 1")
    return f"{last['seq']}:{last['hash']}" if last else None


async def verify(conn: asyncpg.Connection, key: str, *, against: tuple[int, str] | None = None,
                 progress: Callable[[int, int | None], object] | None = None) -> Verification:
    """Walk the seals from the first: each must follow the one before and match its rows now.
    ``broken_at`` names the first seal (block) that does not. With ``against`` (a head kept
    elsewhere), that seal must still be in the chain with that hash: cutting the newest blocks
    off leaves a chain that is whole, but shorter than what was published."""
    prev, expected, rows = GENESIS, 1, 0
    last_to = 0
    kept = None
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        seals = await conn.fetch("SELECT seq, from_txid::text AS from_txid, to_txid::text AS to_txid, row_count,"
                                 " prev_hash, hash, mac FROM audit_seals ORDER BY seq")
        for seal_row in seals:
            if seal_row["seq"] != expected or int(seal_row["from_txid"]) != last_to:
                return Verification(False, rows, 0, expected, f"seal {expected} of the chain is missing")
            block = await conn.fetch(BLOCK, int(seal_row["from_txid"]), int(seal_row["to_txid"]))
            if (seal_row["prev_hash"] != prev or len(block) != seal_row["row_count"]
                    or seal_row["mac"] not in DIGESTS
                    or not hmac.compare_digest(block_hash(key, prev, block, seal_row["mac"]), seal_row["hash"])):
                return Verification(False, rows, 0, seal_row["seq"], "the block does not match its hash")
            if against is not None and seal_row["seq"] == against[0]:
                kept = seal_row["hash"]
            prev, expected, last_to, rows = seal_row["hash"], expected + 1, int(seal_row["to_txid"]), rows + len(block)
            if progress:
                progress(rows, None)
        unsealed = await conn.fetchval("SELECT count(*) FROM audit_log WHERE txid >= $1::xid8", last_to)
    if against is not None:
        if kept is None:
            return Verification(False, rows, unsealed, against[0], f"the kept head's seal {against[0]} is missing")
        if not hmac.compare_digest(kept, against[1]):
            return Verification(False, rows, unsealed, against[0], f"seal {against[0]} differs from the kept head")
    return Verification(True, rows, unsealed, head=f"{expected - 1}:{prev}" if expected > 1 else None)


async def seal_appended(runtime: Runtime) -> None:
    async with runtime.started_pool().acquire() as conn:
        await seal(conn, key_of(runtime.settings), mac_of(runtime.settings))


# Background job of every service: seal what was appended, about once a second.
run_sealer = periodic(seal_appended, every=lambda runtime: runtime.settings.audit_seal_interval_s, name="audit sealer")
