"""``liaison rewrap``: what the master key sealed, moved under the current key and suite.

After ``DATA_MASTER_KEY`` changed (the old one kept in ``DATA_MASTER_KEYS_PREVIOUS``) or
``CRYPTO_SUITE`` did, every service's wrapped data keys and sealed secrets (the columns its
``ServiceSpec.master_sealed`` names) are opened with the key that sealed them and sealed again
with the current one. The personal data sealed under the data keys is not touched: a data key
keeps its bytes, only its wrapping changes.

Rows already current are passed over, so a run that stopped is simply started again. Each batch
is one statement, committed by itself, and writes new bytes only over the very bytes it read: a
subject erased meanwhile stays erased, a row changed meanwhile is left to the next run.
Nothing leaves the process but counts: no id, no key, no value is logged or printed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import asyncpg
from cryptography.exceptions import InvalidTag

from . import crypto, db
from .service import ServiceSpec
from .settings import Settings

Progress = Callable[[int, int], None]
FIRST_FORMAT = "v1 aes-gcm (first format)"


@dataclass
class RewrapReport:
    dry_run: bool = False
    # per "service.table.column": rewrapped, unreadable, changed_meanwhile — or, dry, would_rewrap, current
    counts: dict[str, Counter[str]] = field(default_factory=dict)
    # per "service.table.column": how many rows each master key version and suite sealed (dry runs)
    versions: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def unreadable(self) -> int:
        return sum(c["unreadable"] for c in self.counts.values())

    def as_dict(self) -> dict[str, object]:
        return {"dry_run": self.dry_run, "counts": {k: dict(v) for k, v in self.counts.items()},
                "versions": {k: dict(v) for k, v in self.versions.items()}}


def _label(head: bytes | None) -> str:
    found = crypto.header_of(head) if head is not None else None
    return FIRST_FORMAT if found is None else f"v{found.version} {found.suite}"


async def _pending(conn: asyncpg.Connection, place: crypto.MasterSealed, current: bytes) -> int:
    return int(await conn.fetchval(
        f"SELECT count(*) FROM {place.table} WHERE {place.column} IS NOT NULL"  # noqa: S608 — names from the ServiceSpec
        f" AND substring({place.column} FROM 1 FOR $2) IS DISTINCT FROM $1", current, crypto.HEADER))


async def _versions(conn: asyncpg.Connection, place: crypto.MasterSealed) -> Counter[str]:
    rows = await conn.fetch(
        f"SELECT CASE WHEN substring({place.column} FROM 1 FOR $1) = $2"  # noqa: S608 — names from the ServiceSpec
        f" THEN substring({place.column} FROM 1 FOR $3) END AS head, count(*) AS n"
        f" FROM {place.table} WHERE {place.column} IS NOT NULL GROUP BY 1",
        len(crypto.MAGIC), crypto.MAGIC, crypto.HEADER)
    found: Counter[str] = Counter()
    for row in rows:
        found[_label(row["head"])] += row["n"]
    return found


async def _batch(conn: asyncpg.Connection, place: crypto.MasterSealed, current: bytes, after: object,
                 size: int) -> list[asyncpg.Record]:
    """The next rows not yet current, in id order after ``after`` (so an unreadable row is passed, once)."""
    rows: list[asyncpg.Record] = await conn.fetch(
        f"SELECT {place.id_column} AS id, {place.column} AS sealed FROM {place.table}"  # noqa: S608 — names from the ServiceSpec
        f" WHERE {place.column} IS NOT NULL AND substring({place.column} FROM 1 FOR $2) IS DISTINCT FROM $1"
        + (f" AND {place.id_column} > $4" if after is not None else "")
        + f" ORDER BY {place.id_column} LIMIT $3", current, crypto.HEADER, size,
        *(() if after is None else (after,)))
    return rows


async def _write(conn: asyncpg.Connection, place: crypto.MasterSealed,
                 changed: list[tuple[object, bytes, bytes]]) -> int:
    """One statement, one commit: the new bytes only where the old ones are still there."""
    status = await conn.execute(
        f"UPDATE {place.table} t SET {place.column} = r.new"  # noqa: S608 — names from the ServiceSpec
        f" FROM unnest($1::uuid[], $2::bytea[], $3::bytea[]) AS r(id, old, new)"
        f" WHERE t.{place.id_column} = r.id AND t.{place.column} = r.old",
        [c[0] for c in changed], [c[1] for c in changed], [c[2] for c in changed])
    return int(status.split()[-1])


async def rewrap(settings: Settings, specs: Iterable[ServiceSpec], *, dry_run: bool = False,
                 batch_size: int = 500, progress: Progress | None = None) -> RewrapReport:
    """Every column of ``master_sealed`` of every spec, under the current master key and suite."""
    ring = crypto.keyring(settings)
    current = ring.current_header
    report = RewrapReport(dry_run=dry_run)
    places = [(spec.name, place) for spec in specs for place in spec.master_sealed]
    connections = {name: await db.connect(settings, name) for name in {name for name, _ in places}}
    try:
        pending = {(name, place): await _pending(connections[name], place, current) for name, place in places}
        total, done = sum(pending.values()), 0
        for name, place in places:
            conn, label = connections[name], f"{name}.{place.table}.{place.column}"
            counts = report.counts.setdefault(label, Counter())
            if dry_run:
                report.versions[label] = await _versions(conn, place)
                counts["would_rewrap"] = pending[(name, place)]
                counts["current"] = report.versions[label].total() - pending[(name, place)]
                continue
            after: object = None
            while rows := await _batch(conn, place, current, after, batch_size):
                after = rows[-1]["id"]
                changed = []
                for row in rows:
                    try:
                        changed.append((row["id"], row["sealed"], ring.reseal(row["id"], place.field, row["sealed"])))
                    except (InvalidTag, crypto.UnknownKeyVersion):
                        counts["unreadable"] += 1  # a key not configured, or damaged bytes: left as they are
                written = await _write(conn, place, changed) if changed else 0
                counts["rewrapped"] += written
                counts["changed_meanwhile"] += len(changed) - written
                done += len(rows)
                if progress:
                    progress(done, max(total, done))
    finally:
        for conn in connections.values():
            await conn.close()
    return report
