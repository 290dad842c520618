"""``--soak``: a long steady run (20 minutes at 60 % of the found rate) for what only time shows.

Verdicts, each with its definition in the JSON:

- **memory**: every service's RSS at the end (median of the last minute's samples) is at most
  10 % above its RSS in minute 2 (median of that minute's samples; minute 1 is warm-up).
- **tables**: every schema's outbox and inbox stop growing once the retention window has
  passed: rows at the end at most 10 % above rows one retention window + 2 minutes in. The
  soak shortens the outbox and inbox retention (``--soak-retention-minutes``; 72 h and 35
  days in production) so that the plateau comes within the run.
- **p99 flat**: the p99 of the last L minutes is at most 25 % (+25 ms, for noise at low
  latencies) above the p99 of minutes 2 to 2+L, L = min(5, (minutes − 2) / 2); and no
  minute's p99 exceeds 1 s.

Beside the verdicts, ``per_minute`` says what each minute was like, so that a minute out of line
can be explained rather than guessed at: the p99 of each stage (answer to the POST, first
notification, e-mail received), the machine's share busy and stolen and its speed probe, and
PostgreSQL's checkpoints, WAL written, autovacuum runs on the outbox and inbox tables and which
other tables autovacuum or autoanalyze worked on; each process's share of the machine's CPU and the slowest
write-and-sync of a page to the database's disk.

Every second is recorded too (``seconds``: CPU milliseconds of each process, the machine's busy
and I/O-wait shares, the disk's sync time), and every second whose notifications' p99 passed 1 s
is logged with what the seconds around it were like: a stall is then a process that was busy, a
disk that did not sync, or a machine that was not there.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import loadgen
import psutil
from analysis import P99_LIMIT_MS, analyse, percentile
from liaison_shared.settings import Settings
from logline import log
from observe import machine_cpu, machine_share
from stack import VILLAGE
from step import Bench, Generator, outcomes_of, settle

RSS_GROWTH_LIMIT = 0.10
TABLE_GROWTH_LIMIT = 0.10
TABLE_SAMPLE_EVERY_S = 30.0
DISK_PROBE_BYTES = 8192  # one PostgreSQL page
HERE = Path(__file__).resolve().parent


async def run_soak(bench: Bench, rate: float, minutes: float, retention_minutes: float) -> dict:
    stack, sampler = bench.stack, bench.sampler
    seconds = minutes * 60
    log(f"soak: {rate:g}/s for {minutes:g} minutes (outbox and inbox retention {retention_minutes:g} min)")
    generator = Generator(loadgen.open_loop, "127.0.0.1", stack.services["feedback"].port, rate, seconds,
                          bench.connections, VILLAGE)
    start = await generator.started()
    sampler.processes["generator"] = psutil.Process(generator.pid)
    tables = TableSampler(stack.settings, list(stack.services), start)
    every_second = SecondSampler(sampler, stack.settings, stack.home / "disk-probe", bench.origin)
    measured_from = start + 60  # minute 1 is warm-up
    tables.start()
    every_second.start()
    try:
        await asyncio.sleep(max(0.0, measured_from - time.monotonic()))
        cpu_from = sampler.cpu()
        await asyncio.sleep(max(0.0, start + seconds - time.monotonic()))
        cpu_to = sampler.cpu()
    finally:
        try:
            await tables.stop()
        finally:  # the per-second sampler stops even if the tables' last reading failed
            await every_second.stop()
    summary = await generator.finished()
    sampler.processes.pop("generator", None)
    outcomes = outcomes_of(generator.records)
    await settle(bench.observer, outcomes, start + seconds + bench.settle_s)
    result = {"label": "soak", "rate_per_s": rate, "minutes": minutes, "started_s": round(start - bench.origin, 1),
              "measured_s": [round(measured_from - bench.origin, 1), round(start + seconds - bench.origin, 1)],
              **analyse(outcomes, measured_from=measured_from, measured_to=start + seconds, origin=bench.origin)}
    completed = result["completed_in_window"] or 1
    result["cpu_ms_per_opinion"] = {n: round((cpu_to[n] - cpu_from.get(n, 0.0)) * 1000 / completed, 3)
                                    for n in cpu_to}
    result["generator"] = summary
    services = list(stack.services)
    p99s = _per_minute_p99(outcomes, start, minutes)
    result["per_minute_p99_ms"] = p99s
    seconds_seen = every_second.seconds()
    result["per_minute"] = _per_minute(outcomes, tables.samples, start, minutes, seconds_seen, bench.origin)
    result["seconds"] = seconds_seen
    result["stalls"] = _stalls(result["timeline"], seconds_seen)
    result["rss_mb_every_10_s"] = [{"t": round(at - start), **{n: round(found.get(n, 0.0), 1) for n in services}}
                                   for at, found in sampler.series[::10] if at >= start]
    # the minutes say which tables were maintained; the samples keep the counters only
    result["tables"] = [{**s, "postgres": {k: v for k, v in s["postgres"].items() if k != "maintained"}}
                        if "postgres" in s else s for s in tables.samples]
    result["verdicts"] = {
        "memory": _memory(sampler.series, start, start + seconds, services),
        "tables": _tables(tables.samples, retention_minutes, minutes),
        "p99_flat": _flat(outcomes, start, minutes, p99s),
    }
    result["verdicts"]["met"] = all(v["met"] for v in result["verdicts"].values())
    bench.observer.forget(o.opinion for o in outcomes if o.accepted)
    for row in result["per_minute"]:
        log(_minute_line(row))
    for stall in result["stalls"]:
        log(_stall_line(stall))
    for name, verdict in result["verdicts"].items():
        if name != "met":
            log(f"soak {name}: {'met' if verdict['met'] else 'NOT met'} — {verdict['detail']}")
    return result


class Every:
    """``once`` every ``period`` seconds, on whole multiples of it since ``origin``, until stopped.
    A run that fails is logged and the next one comes on time (a sampler must not fall silent for
    the rest of a soak because one reading failed); ``stop`` lets the run in progress finish, so
    nothing it started (a thread, a file) outlives it."""

    def __init__(self, name: str, period: float, once: Callable[[], Awaitable[None]], origin: float) -> None:
        self.name, self.period, self.once, self.origin = name, period, once, origin
        self._stopped = asyncio.Event()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._stopped.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while not self._stopped.is_set():
            try:
                await self.once()
            except Exception as error:  # noqa: BLE001 — logged; the next reading may well work
                log(f"soak: a {self.name} reading failed: {type(error).__name__}: {error}")
            wait = self.period - (time.monotonic() - self.origin) % self.period
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), wait)


class TableSampler:
    """Rows of every schema's outbox and inbox, and the age of their oldest row: every 30 s,
    and once more at the end of the load. Each sample carries also the counters ``per_minute``
    is made of: PostgreSQL's (cumulative), the machine's CPU seconds and a speed probe."""

    def __init__(self, settings: Settings, schemas: list[str], start: float) -> None:
        self.settings, self.schemas, self.start_at = settings, schemas, start
        self.samples: list[dict] = []
        self._every = Every("table", TABLE_SAMPLE_EVERY_S, self._once, start)

    def start(self) -> None:
        self._every.start()

    async def stop(self) -> None:
        """The last sample is taken at the end of the load, whenever that falls."""
        await self._every.stop()
        await self._once()

    async def _once(self) -> None:
        speed = await _speed_probe()
        conn = await asyncpg.connect(self.settings.asyncpg_dsn())
        try:
            sample: dict = {"t": round(time.monotonic() - self.start_at, 1), "machine": machine_cpu(),
                            "speed_probe_ms": speed, "postgres": await _postgres_counters(conn)}
            for schema in self.schemas:
                outbox = await conn.fetchrow(
                    "SELECT count(*) AS rows, count(*) FILTER (WHERE published_at IS NULL) AS unpublished,"  # noqa: S608 — schema is one of the stack's service names
                    f" extract(epoch FROM now() - min(published_at)) AS oldest_s FROM {schema}.outbox")
                inbox = await conn.fetchrow("SELECT count(*) AS rows, extract(epoch FROM now() - min(handled_at))"  # noqa: S608 — schema is one of the stack's service names
                                            f" AS oldest_s FROM {schema}.inbox")
                sample[schema] = {"outbox_rows": outbox["rows"], "outbox_unpublished": outbox["unpublished"],
                                  "outbox_oldest_s": round(float(outbox["oldest_s"] or 0)),
                                  "inbox_rows": inbox["rows"], "inbox_oldest_s": round(float(inbox["oldest_s"] or 0))}
            self.samples.append(sample)
        finally:
            await conn.close()


async def _speed_probe() -> float | None:
    """``observe.machine_speed`` in a process of its own: run here it would hold the event loop
    that stamps the notifications for 150 ms."""
    probe = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from observe import machine_speed; print(machine_speed())",
        cwd=HERE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL)
    out, _ = await probe.communicate()
    try:
        return float(out)
    except ValueError:
        return None


async def _postgres_counters(conn: asyncpg.Connection) -> dict:
    """Checkpoints and buffers they wrote, WAL bytes, autovacuum runs and dead rows of the
    outbox and inbox tables, all cumulative. ``pg_stat_checkpointer`` is PostgreSQL 17+; an
    older server (``DATABASE_URL``) answers from ``pg_stat_bgwriter``."""
    try:
        checkpoints = await conn.fetchrow("SELECT num_timed AS timed, num_requested AS requested,"
                                          " buffers_written FROM pg_stat_checkpointer")
    except asyncpg.UndefinedTableError:
        checkpoints = await conn.fetchrow("SELECT checkpoints_timed AS timed, checkpoints_req AS requested,"
                                          " buffers_checkpoint AS buffers_written FROM pg_stat_bgwriter")
    tables = await conn.fetchrow("SELECT coalesce(sum(autovacuum_count), 0) AS autovacuums,"
                                 " coalesce(sum(n_dead_tup), 0) AS dead_rows FROM pg_stat_user_tables"
                                 " WHERE relname IN ('outbox', 'inbox')")
    # every table's autovacuum and autoanalyze runs: which large table was vacuumed in a minute
    runs = {f"{r['schemaname']}.{r['relname']}": r["runs"] for r in await conn.fetch(
        "SELECT schemaname, relname, autovacuum_count + autoanalyze_count AS runs FROM pg_stat_user_tables")}
    return {"checkpoints": checkpoints["timed"] + checkpoints["requested"],
            "checkpoints_requested": checkpoints["requested"], "checkpoint_buffers": checkpoints["buffers_written"],
            "wal_bytes": int(await conn.fetchval("SELECT wal_bytes FROM pg_stat_wal")),
            "autovacuums": int(tables["autovacuums"]), "dead_rows": int(tables["dead_rows"]), "maintained": runs}


def _per_minute(outcomes, samples: list[dict], start: float, minutes: float, seconds: list[dict],
                origin: float) -> list[dict]:
    """Each minute (by when its requests were due): p99 of every stage from the due time, and
    what the machine and PostgreSQL did between the samples nearest its start and its end."""
    stages = {"answer": lambda o: o.answered, "first_notification": lambda o: o.notified,
              "email": lambda o: o.emailed}
    by_minute: list[list] = [[] for _ in range(math.ceil(minutes))]
    for o in outcomes:
        minute = int((o.due - start) // 60)
        if 0 <= minute < len(by_minute):
            by_minute[minute].append(o)

    def nearest(t: float) -> dict:
        return min(samples, key=lambda s: abs(s["t"] - t))

    found = []
    for minute, due in enumerate(by_minute):
        row: dict = {"minute": minute + 1}
        for stage, at in stages.items():
            values = [(at(o) - o.due) * 1000 if at(o) is not None else math.inf for o in due if o.accepted]
            p99 = percentile(values, 99)
            row[f"{stage}_p99_ms"] = None if p99 is None or math.isinf(p99) else round(p99, 1)
        if samples:
            first, last = nearest(minute * 60), nearest((minute + 1) * 60)
            if last["t"] > first["t"]:
                row["machine"] = machine_share(first["machine"], last["machine"])
                row["speed_probe_ms"] = last["speed_probe_ms"]
                pg_then, pg_now = first["postgres"], last["postgres"]
                row["postgres"] = {k: pg_now[k] - pg_then[k] for k in pg_now if k not in ("dead_rows", "maintained")}
                row["postgres"]["maintained"] = sorted(
                    t for t, runs in pg_now["maintained"].items()
                    if runs > pg_then["maintained"].get(t, 0) and not t.endswith((".outbox", ".inbox")))
                row["postgres"]["wal_mb"] = round(row["postgres"].pop("wal_bytes") / 2**20, 1)
                row["postgres"]["dead_rows"] = pg_now["dead_rows"]
        begins = start - origin + minute * 60
        inside = [s for s in seconds if begins <= s["t"] < begins + 60]
        if inside:
            names = {name for s in inside for name in s["cpu_pct"]}
            # weighted by each interval's length: a late reading's long second counts for its length
            length = sum(s["seconds"] for s in inside)
            row["cpu_pct"] = {name: round(sum(s["cpu_pct"].get(name, 0.0) * s["seconds"] for s in inside) / length, 1)
                              for name in sorted(names)}
            row["disk_sync_max_ms"] = max(s["disk_sync_ms"] for s in inside)
        found.append(row)
    return found


def _minute_line(row: dict) -> str:
    line = (f"soak minute {row['minute']}: p99 answer/first notification/e-mail {row['answer_p99_ms']}/"
            f"{row['first_notification_p99_ms']}/{row['email_p99_ms']} ms")
    if machine := row.get("machine"):
        pg = row["postgres"]
        line += (f"; machine busy {machine['busy_pct']} % stolen {machine['steal_pct']} %, probe "
                 f"{row['speed_probe_ms']} ms; checkpoints {pg['checkpoints']}, WAL {pg['wal_mb']} MB, "
                 f"autovacuums {pg['autovacuums']}, dead rows {pg['dead_rows']}"
                 + (f"; vacuumed or analysed: {', '.join(pg['maintained'])}" if pg["maintained"] else ""))
    if "cpu_pct" in row:
        line += (f"; disk sync max {row['disk_sync_max_ms']} ms; % of the machine's CPU: "
                 + ", ".join(f"{name} {pct}" for name, pct in row["cpu_pct"].items()))
    return line


def _stalls(timeline: list[dict], seconds: list[dict]) -> list[dict]:
    """Each second whose notifications' p99 passed the limit, with the seconds from two before
    it to two after as the sampler saw them: who was busy, how long the disk took to sync."""
    by_t = {s["t"]: s for s in seconds}
    found = []
    for row in timeline:
        if row["p99_ms"] is not None and row["p99_ms"] > P99_LIMIT_MS:
            around = [by_t[t] for t in range(row["t"] - 2, row["t"] + 3) if t in by_t]
            found.append({"t": row["t"], "p99_ms": row["p99_ms"], "accepted": row["accepted"],
                          "completed": row["completed"], "around": around})
    return found


def _stall_line(stall: dict) -> str:
    seen = "; ".join(
        f"{s['t']} s: busy {s['busy_pct']} % iowait {s['iowait_pct']} % steal {s['steal_pct']} %, sync {s['disk_sync_ms']} ms, "
        + ", ".join(f"{name} {ms:.0f}" for name, ms in sorted(s["cpu_ms"].items(), key=lambda kv: -kv[1])[:4])
        + (f", autovacuum: {' + '.join(s['autovacuum'])}" if s["autovacuum"] else "")
        for s in stall["around"])
    return (f"soak stall at {stall['t']} s: p99 {stall['p99_ms']} ms, accepted {stall['accepted']}, completed "
            f"{stall['completed']} — CPU ms by process around it: {seen}")


class SecondSampler:
    """Every second, off the event loop: the CPU of every process, the machine's busy, I/O-wait and
    stolen shares, and how long writing one page beside the database and syncing it took; and
    what PostgreSQL's autovacuum workers are doing then."""

    def __init__(self, sampler, settings: Settings, probe_path: Path, origin: float) -> None:
        self.sampler, self.settings, self.probe_path, self.origin = sampler, settings, probe_path, origin
        self.readings: list[Reading] = []
        self._conn: asyncpg.Connection | None = None
        self._every = Every("per-second", 1.0, self._once, origin)

    def start(self) -> None:
        self._every.start()

    async def stop(self) -> None:
        await self._every.stop()
        if self._conn is not None:
            await self._conn.close()
        self.probe_path.unlink(missing_ok=True)

    async def _once(self) -> None:
        at, cpu, machine, sync_ms = await asyncio.to_thread(self._read)
        self.readings.append(Reading(at, cpu, machine, sync_ms, await self._autovacuum()))

    async def _autovacuum(self) -> list[str] | None:
        """What the autovacuum workers are doing ("VACUUM notify.notifications", …), or None when
        the database could not be asked: that second's CPU and sync are kept all the same, and a
        lost connection is opened again at the next reading."""
        try:
            if self._conn is None or self._conn.is_closed():
                self._conn = await asyncpg.connect(self.settings.asyncpg_dsn())
            queries = await self._conn.fetchval("SELECT coalesce(array_agg(query), '{}') FROM pg_stat_activity"
                                                " WHERE backend_type = 'autovacuum worker' AND query <> ''")
        except (asyncpg.PostgresConnectionError, OSError) as error:
            self._conn = None
            log(f"soak: autovacuum not read at this second ({type(error).__name__}); its CPU reading is kept")
            return None
        return [query.removeprefix("autovacuum: ") for query in queries]

    def _read(self) -> tuple[float, dict[str, float], psutil._common.scputimes, float]:
        at = time.monotonic() - self.origin
        cpu, machine = self.sampler.cpu(), psutil.cpu_times()
        began = time.perf_counter()
        descriptor = os.open(self.probe_path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            os.pwrite(descriptor, os.urandom(DISK_PROBE_BYTES), 0)
            os.fdatasync(descriptor)
        finally:
            os.close(descriptor)
        return at, cpu, machine, (time.perf_counter() - began) * 1000

    def seconds(self) -> list[dict]:
        return seconds_between(self.readings, os.cpu_count() or 1)


@dataclass(frozen=True)
class Reading:
    """One per-second reading: taken at ``at`` (seconds since the run's origin), with the
    cumulative CPU seconds of every process and of the machine, and the sync and autovacuum
    seen at that moment."""

    at: float
    cpu: dict[str, float]
    machine: Any  # psutil's scputimes
    sync_ms: float
    autovacuum: list[str] | None  # None: not known at that second


def seconds_between(readings: list[Reading], cpus: int) -> list[dict]:
    """From each reading to the next, labelled like the timeline's seconds — by the second the
    interval starts in — with rates over the interval's real length (a late reading does not
    make a busier second): CPU ms per second of each process, ``cpu_pct`` its share of the whole
    machine (all ``cpus``, like ``busy_pct``), and the sync and autovacuum seen at its start."""
    found = []
    for first, then in zip(readings, readings[1:], strict=False):
        length = then.at - first.at
        if length <= 0:
            continue
        spent = {k: getattr(then.machine, k) - getattr(first.machine, k) for k in then.machine._fields}
        total = sum(v for k, v in spent.items() if k not in ("guest", "guest_nice")) or 1.0
        idle = spent["idle"] + spent.get("iowait", 0.0)
        cpu_ms = {name: (then.cpu[name] - first.cpu.get(name, then.cpu[name])) * 1000 / length for name in then.cpu}
        found.append({
            "t": math.floor(first.at), "seconds": round(length, 3),
            "busy_pct": round(100 * (total - idle - spent.get("steal", 0.0)) / total, 1),
            "iowait_pct": round(100 * spent.get("iowait", 0.0) / total, 1),
            "steal_pct": round(100 * spent.get("steal", 0.0) / total, 1), "disk_sync_ms": round(first.sync_ms, 1),
            "cpu_ms": {name: round(ms, 1) for name, ms in cpu_ms.items()},
            "cpu_pct": {name: round(ms / (10 * cpus), 1) for name, ms in cpu_ms.items()},
            "autovacuum": first.autovacuum,
        })
    return found


def _per_minute_p99(outcomes, start: float, minutes: float) -> list[float | None]:
    """p99 of first-notification latency (from due) of what was due in each minute."""
    by_minute: list[list[float]] = [[] for _ in range(math.ceil(minutes))]
    for o in outcomes:
        minute = int((o.due - start) // 60)
        if 0 <= minute < len(by_minute):
            by_minute[minute].append((o.notified - o.due) * 1000 if o.notified is not None else math.inf)
    return [None if (p := percentile(v, 99)) is None or math.isinf(p) else round(p, 1) for v in by_minute]


def _memory(series, start: float, end: float, services: list[str]) -> dict:
    growth = {}
    for name in services:
        base = [found[name] for at, found in series if start + 60 <= at < start + 120 and found.get(name)]
        last = [found[name] for at, found in series if end - 60 <= at < end and found.get(name)]
        if base and last:
            growth[name] = round(statistics.median(last) / statistics.median(base) - 1, 3)
    met = len(growth) == len(services) and all(g <= RSS_GROWTH_LIMIT for g in growth.values())
    return {"definition": "median RSS of the last minute ≤ 1.10 × median RSS of minute 2, every service",
            "growth": growth, "met": met,
            "detail": ", ".join(f"{n} {g:+.1%}" for n, g in growth.items()) or "too short to judge"}


def _tables(samples: list[dict], retention_minutes: float, minutes: float) -> dict:
    plateau_from = (retention_minutes + 2) * 60
    later = [s for s in samples if s["t"] >= plateau_from - 1]  # samples come a moment early or late
    definition = (f"rows at the end ≤ 1.10 × rows at {retention_minutes + 2:g} min (one retention window + 2 min),"
                  " every schema's outbox and inbox")
    if len(later) < 2:
        return {"definition": definition, "met": False, "growth": {},
                "detail": f"not judged: the soak ({minutes:g} min) ends before the retention window"
                          f" ({retention_minutes:g} min) has passed and been watched"}
    first, last = later[0], later[-1]
    growth = {}
    for schema in (k for k, v in first.items() if isinstance(v, dict) and "outbox_rows" in v):
        for table in ("outbox", "inbox"):
            rows_then, rows_now = first[schema][f"{table}_rows"], last[schema][f"{table}_rows"]
            if rows_then or rows_now:
                growth[f"{schema}.{table}"] = round(rows_now / max(rows_then, 1) - 1, 3)
    grown = [k for k, g in growth.items() if g > TABLE_GROWTH_LIMIT]
    retains = {"outbox": "outbox_retention_hours" in Settings.model_fields,
               "inbox": any(f.startswith("inbox_retention") for f in Settings.model_fields)}
    detail = ("no table grew past its plateau" if not grown else "still growing: " + ", ".join(
        f"{k} {growth[k]:+.0%}" + ("" if retains[k.split(".")[1]] else " (it has no retention setting)")
        for k in grown))
    return {"definition": definition, "growth": growth, "met": not grown, "detail": detail}


def _flat(outcomes, start: float, minutes: float, per_minute: list[float | None]) -> dict:
    span = min(5.0, (minutes - 2) / 2)
    definition = ("p99 of the last L minutes ≤ 1.25 × p99 of minutes 2..2+L + 25 ms, L = min(5, (minutes − 2)/2);"
                  " and every minute's p99 ≤ 1 s")
    if span < 0.5:
        return {"definition": definition, "met": False, "detail": "not judged: the soak is too short"}

    def p99_between(low: float, high: float) -> float:
        values = [(o.notified - o.due) * 1000 if o.notified is not None else math.inf
                  for o in outcomes if low <= o.due - start < high]
        return percentile(values, 99) or math.inf

    early = p99_between(60, 60 + span * 60)
    late = p99_between((minutes - span) * 60, minutes * 60)
    worst = max((math.inf if p is None else p) for p in per_minute[1:]) if len(per_minute) > 1 else math.inf
    met = late <= 1.25 * early + 25 and worst <= P99_LIMIT_MS
    return {"definition": definition, "early_p99_ms": None if math.isinf(early) else round(early, 1),
            "late_p99_ms": None if math.isinf(late) else round(late, 1),
            "worst_minute_p99_ms": None if math.isinf(worst) else round(worst, 1), "met": met,
            "detail": f"minutes 2–{2 + span:g}: {early:.0f} ms, last {span:g}: {late:.0f} ms, worst minute {worst:.0f} ms"}
