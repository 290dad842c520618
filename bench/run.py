"""``make bench``: the whole pipeline under load on its own embedded stack, measured against
the limits of this machine.

1. An embedded broker, PostgreSQL, an SMTP sink and the four services as processes (every
   feature on: audit log, encryption, notifications), the public rate limit raised.
2. End to end: public opinions POSTed by an open-loop generator at rising rates; for each,
   the time from its POST to the ``notification.sent`` of its first notification, observed
   on Kafka like any subscriber would.
3. The limits, on the same machine: raw aiokafka produce+consume and raw asyncpg inserts of
   the same sizes.
4. RSS of each service, CPU seconds per 1,000 opinions, the generator's own CPU.

Results go to ``bench/results/<time>.json`` (and ``latest.json``) with a PNG plot.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
from aiokafka import AIOKafkaConsumer
from liaison_shared import db, registry
from liaison_shared.devstack import EmbeddedBroker, EmbeddedPostgres, free_port
from liaison_shared.kafka import ensure_topics, partitions_of
from liaison_shared.service import all_topics
from liaison_shared.testing import ServiceProcess, make_settings, token_for

sys.path.insert(0, str(Path(__file__).resolve().parent))
import limits  # noqa: E402
import loadgen  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
CITY, COUNTY, TOWN, VILLAGE = "640200000000", "640221000000", "640221100000", "640221100201"


def log(text: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {text}", flush=True)


class Observer:
    """Reads what subscribers read: opinion.submitted (opinion → event) and notification.sent
    (event → first notification), stamping each with when it was seen."""

    def __init__(self, settings) -> None:
        self.settings = settings
        self.submitted: dict[str, str] = {}   # opinion id → event id
        self.sent: dict[str, float] = {}      # event id → first notification.sent seen
        self.sizes: list[int] = []            # bytes of each opinion.submitted record
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(**self.settings.kafka_client_options(), group_id=None,
                                         enable_auto_commit=False, fetch_max_wait_ms=50, fetch_min_bytes=16_384)
        await self.consumer.start()
        parts = await partitions_of(self.consumer, ["cppcc.feedback.opinion", "cppcc.notify.notification"])
        self.consumer.assign(parts)
        await self.consumer.seek_to_end(*parts)
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=100, max_records=5000)
            now = time.time()
            for records in batch.values():
                for record in records:
                    headers = dict(record.headers or ())
                    kind = headers.get("ce_type", b"").decode()
                    if kind.startswith("cppcc.feedback.opinion.submitted"):
                        self.submitted[headers["ce_subject"].decode()] = headers["ce_id"].decode()
                        self.sizes.append(len(record.value) + sum(len(k) + len(v) for k, v in headers.items()))
                    elif kind.startswith("cppcc.notify.notification.sent"):
                        event = json.loads(record.value)["event_id"]
                        self.sent.setdefault(event, now)

    def seen(self, opinion: str) -> float | None:
        event = self.submitted.get(opinion)
        return self.sent.get(event) if event else None

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
        await self.consumer.stop()


def cpu_seconds(process: psutil.Process) -> float:
    total = 0.0
    for p in [process, *process.children(recursive=True)]:
        try:
            times = p.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def rss_mb(process: psutil.Process) -> float:
    return round(process.memory_info().rss / 2**20, 1)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rates", default="500,505,510,515", help="Opinions per second, one stage each.")
    parser.add_argument("--stage-seconds", type=float, default=15.0, help="Length of each stage.")
    parser.add_argument("--warmup", type=float, default=5.0, help="Seconds at 100/s before measuring.")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--keep", action="store_true", help="Keep the stack's data directory.")
    parser.add_argument("--profile", type=Path, help="Record py-spy profiles of the services into this directory.")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the services (experiments).")
    args = parser.parse_args()
    stages = [(args.stage_seconds, float(r)) for r in args.rates.split(",")]
    return asyncio.run(run(stages, args))


async def run(stages, args) -> int:
    home = Path(tempfile.mkdtemp(prefix="liaison-bench-"))
    broker = EmbeddedBroker(free_port(), log_path=home / "broker.log").start()
    postgres = EmbeddedPostgres(home / "pgdata", free_port(), durable=False, log_path=home / "pg.log").start()
    settings = make_settings({"KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
                              "DATABASE_URL": postgres.url("liaison_bench")}, kafka_topic_partitions=6,
                             **broker.client_settings)
    specs = registry.specs()
    for name, spec in specs.items():
        db.migrate(settings, name, spec.migration_dirs())
    await ensure_topics(settings, all_topics(specs.values()))
    services: dict[str, ServiceProcess] = {}
    with SmtpSink() as mailbox:
        env = {"PUBLIC_RATE_LIMIT_PER_MINUTE": "1000000000", "SMTP_PORT": str(mailbox.port), "LOG_LEVEL": "WARNING",
               "KAFKA_TOPIC_PARTITIONS": "6", "OUTBOX_POLL_INTERVAL_S": "1", "DELIVERY_POLL_INTERVAL_S": "0.5",
               **dict(item.split("=", 1) for item in args.env)}
        try:
            for name in ("members", "feedback", "consultation"):
                services[name] = ServiceProcess(name, settings, log_dir=home, **env).start(timeout=120)
            env.update({"MEMBERS_URL": services["members"].url, "FEEDBACK_URL": services["feedback"].url})
            services["notify"] = ServiceProcess("notify", settings, log_dir=home, **env).start(timeout=120)
            await register(settings, services["members"].url)
            log("stack ready: " + ", ".join(f"{n} :{s.port}" for n, s in services.items()))
            result = await measure(settings, services, stages, args, mailbox, postgres, broker)
        finally:
            for service in services.values():
                service.stop()
    result["limit_kafka_per_s"] = await limits.kafka(settings, result["message_bytes"])
    log(f"limit: kafka produce+consume {result['limit_kafka_per_s']:.0f} msgs/s")
    result["limit_postgres_per_s"] = await limits.postgres(settings, result["row_bytes"])
    log(f"limit: postgres inserts {result['limit_postgres_per_s']:.0f} rows/s")
    broker.stop()
    postgres.stop()
    if not args.keep:
        shutil.rmtree(home, ignore_errors=True)
    limit = min(result["limit_kafka_per_s"], result["limit_postgres_per_s"])
    result["fraction_of_limit"] = round(result["e2e_throughput_per_s"] / limit, 4) if limit else None
    write(result)
    return 0


async def register(settings, members_url: str) -> None:
    admin = token_for(settings, "admin", CITY)
    async with httpx.AsyncClient(base_url=members_url, headers=admin, timeout=10) as client:
        for code, name in [(CITY, "石嘴山市"), (COUNTY, "平罗县"), (TOWN, "黄渠桥镇")]:
            await client.post("/api/v1/org-units", json={"code": code, "name": name})
        await client.post("/api/v1/org-units", json={"code": VILLAGE, "name": "东风村",
                                                      "duty_contact": {"email": "dongfeng@example.cn"}})
    import asyncpg

    conn = await asyncpg.connect(settings.asyncpg_dsn())
    try:
        for _ in range(300):
            if await conn.fetchval("SELECT (SELECT count(*) FROM feedback.org_units WHERE code = $1)"
                                   " + (SELECT count(*) FROM notify.org_units WHERE code = $1)", VILLAGE) == 2:
                return
            await asyncio.sleep(0.2)
    finally:
        await conn.close()
    raise RuntimeError("the registry did not reach feedback and notify")


def _generate(port: int, stages, connections: int):
    receiver, sender = multiprocessing.Pipe(duplex=False)
    process = multiprocessing.get_context("spawn").Process(
        target=loadgen.generate, args=("127.0.0.1", port, stages, connections, VILLAGE, sender))
    process.start()
    return process, receiver


async def measure(settings, services, stages, args, mailbox, postgres, broker) -> dict:
    observer = Observer(settings)
    await observer.start()
    port = services["feedback"].port
    if args.warmup:
        log(f"warm-up: {args.warmup:.0f} s at 100/s")
        process, receiver = _generate(port, [(args.warmup, 100.0)], 16)
        await asyncio.to_thread(receiver.recv)
        process.join()
        await asyncio.sleep(3)
    procs = {name: psutil.Process(s.process.pid) for name, s in services.items()}
    procs["postgres"] = psutil.Process(postgres.process.pid)
    procs["broker"] = psutil.Process(broker.process.pid)
    cpu_before = {name: cpu_seconds(p) for name, p in procs.items()}
    log("load: " + ", ".join(f"{rate:.0f}/s for {seconds:.0f} s" for seconds, rate in stages))
    spies = []
    if args.profile:
        import subprocess

        args.profile.mkdir(parents=True, exist_ok=True)
        spies = [subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--nonblocking", "--format",
                                   "raw", "-r", "50", "-d", str(int(sum(s for s, _ in stages))), "-p",
                                   str(s.process.pid), "-o", str(args.profile / f"{name}.txt")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for name, s in services.items()]
    started = time.time()
    process, receiver = _generate(port, stages, args.connections)
    generated = await asyncio.to_thread(receiver.recv)
    process.join()
    load_seconds = sum(s for s, _ in stages)
    results = generated["results"]
    accepted = [r for r in results if r[4] == 201]
    log(f"sent {len(results)}, accepted {len(accepted)}; waiting for the pipeline to drain")
    deadline = time.time() + 60
    while time.time() < deadline and sum(observer.seen(r[5]) is not None for r in accepted) < len(accepted):
        await asyncio.sleep(0.5)
    cpu_after = {name: cpu_seconds(p) for name, p in procs.items()}
    for spy in spies:
        spy.wait(60)
    rss = {name: rss_mb(procs[name]) for name in services}
    await observer.stop()

    latencies, timeline = [], {}
    for _number, due, sent, _answered, _status, opinion in accepted:
        seen = observer.seen(opinion)
        slot = timeline.setdefault(int(due - started), {"offered": 0, "done": 0, "latencies": []})
        if seen is not None:
            latencies.append((seen - sent) * 1000)
            slot["latencies"].append((seen - sent) * 1000)
            # completions are counted in the second they happened
            timeline.setdefault(int(seen - started), {"offered": 0, "done": 0, "latencies": []})["done"] += 1
    for _number, due, *_ in results:
        timeline.setdefault(int(due - started), {"offered": 0, "done": 0, "latencies": []})["offered"] += 1
    completed = len(latencies)
    http = [(r[3] - r[2]) * 1000 for r in accepted]
    platform_cpu = sum(cpu_after[n] - cpu_before[n] for n in services)
    all_cpu = sum(cpu_after[n] - cpu_before[n] for n in procs)
    throughput = completed / load_seconds
    result = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
                    "python": platform.python_version(), "platform": platform.platform()},
        "stages": [{"seconds": s, "rate_per_s": r} for s, r in stages],
        "sent": len(results), "accepted": len(accepted), "completed": completed,
        "errors": {str(k): v for k, v in Counter(r[4] for r in results if r[4] != 201).items()},
        "e2e_throughput_per_s": round(throughput, 1),
        "e2e_latency_ms": {"p50": _r(percentile(latencies, 50)), "p95": _r(percentile(latencies, 95)),
                           "p99": _r(percentile(latencies, 99)), "max": _r(max(latencies) if latencies else None)},
        "http_latency_ms": {"p50": _r(percentile(http, 50)), "p99": _r(percentile(http, 99))},
        "rss_mb": rss,
        "cpu_s_per_1000": round(platform_cpu / completed * 1000, 2) if completed else None,
        "cpu_s_per_1000_with_postgres_and_broker": round(all_cpu / completed * 1000, 2) if completed else None,
        "cpu_s_by_process": {n: round(cpu_after[n] - cpu_before[n], 1) for n in procs},
        "generator_cpu_s": round(generated["cpu_s"], 1),
        "emails_received": len(mailbox.message_ids),
        "timeline": [{"second": s, "offered": v["offered"], "completed": v["done"],
                      "p50_ms": _r(percentile(v["latencies"], 50)), "p99_ms": _r(percentile(v["latencies"], 99))}
                     for s, v in sorted(timeline.items())],
        "message_bytes": int(sum(observer.sizes) / len(observer.sizes)) if observer.sizes else 700,
        "row_bytes": await _row_bytes(settings),
    }
    result["must_reach"] = {
        "throughput_at_least_500_per_s": throughput >= 500,
        "p99_at_most_1000_ms": (result["e2e_latency_ms"]["p99"] or 1e9) <= 1000,
        "every_service_at_most_150_mb": all(v <= 150 for v in rss.values()),
    }
    log(f"end to end: {throughput:.0f} opinions/s, p50 {result['e2e_latency_ms']['p50']} ms, "
        f"p99 {result['e2e_latency_ms']['p99']} ms; rss {rss}; generator {result['generator_cpu_s']} cpu s")
    return result


async def _row_bytes(settings) -> int:
    import asyncpg

    conn = await asyncpg.connect(settings.asyncpg_dsn())
    try:
        return int(await conn.fetchval("SELECT coalesce(avg(pg_column_size(o.*)), 600) FROM feedback.opinions o"))
    finally:
        await conn.close()


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def write(result: dict) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = result["time"].replace(":", "").replace("-", "")
    path = RESULTS / f"{stamp}.json"
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    shutil.copyfile(path, RESULTS / "latest.json")
    plot(result, RESULTS / f"{stamp}.png")
    shutil.copyfile(RESULTS / f"{stamp}.png", RESULTS / "latest.png")
    summary = {k: result[k] for k in ("e2e_throughput_per_s", "e2e_latency_ms", "limit_kafka_per_s",
                                      "limit_postgres_per_s", "fraction_of_limit", "rss_mb", "cpu_s_per_1000",
                                      "generator_cpu_s", "must_reach")}
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    log(f"written {path} and {path.with_suffix('.png')}")


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    seconds = [p["second"] for p in result["timeline"]]
    figure, left = plt.subplots(figsize=(10, 5))
    left.plot(seconds, [p["offered"] for p in result["timeline"]], label="offered /s", color="#999999")
    left.plot(seconds, [p["completed"] for p in result["timeline"]], label="completed /s (POST → notification.sent)",
              color="#c0392b")
    left.set_xlabel("seconds")
    left.set_ylabel("opinions per second")
    right = left.twinx()
    right.plot(seconds, [p["p50_ms"] for p in result["timeline"]], label="p50 ms", color="#2980b9", linestyle="--")
    right.plot(seconds, [p["p99_ms"] for p in result["timeline"]], label="p99 ms", color="#8e44ad", linestyle=":")
    right.set_ylabel("latency (ms)")
    lines = left.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    labels = left.get_legend_handles_labels()[1] + right.get_legend_handles_labels()[1]
    left.legend(lines, labels, loc="upper left", fontsize=8)
    figure.suptitle(f"cppcc-liaison end to end: {result['e2e_throughput_per_s']}/s, "
                    f"p99 {result['e2e_latency_ms']['p99']} ms ({result['machine']['cpus']} cpus)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


if __name__ == "__main__":
    sys.exit(main())
