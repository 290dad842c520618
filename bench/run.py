"""``make bench``: the whole pipeline under load on a stack of its own, held to the contract.

1. The stack (``stack.py``): a broker (``KAFKA_BOOTSTRAP_SERVERS``, else Apache Kafka where it
   can run, else the embedded one; ``--broker`` chooses), PostgreSQL as durable as production's
   (or ``DATABASE_URL``),
   an SMTP sink, the four services with every feature on.
2. A rate search (``search.py``): open-loop steps of public opinions (``loadgen.py``), each
   judged (``analysis.py``) on what completed inside its measured window, whether every
   5-second window kept up and the backlog drained, p99 from due time ≤ 1 s, and whether the
   generator kept its schedule. ``--rate`` measures one rate instead.
3. Three repetitions at the rate found: median and spread of throughput, latency to the first
   notification event and to the e-mail received, CPU-ms per opinion by process, peak RSS. When
   they do not hold it (the verdict's rule), three more a little lower (``search.repeat_until_held``).
4. The limits in the same run (``limits.py``): the intake stage alone, the raw broker, the
   raw database; ``fraction_of_limit`` against the intake.
5. Verdicts, JSON and PNG (``report.py``) in ``bench/results/``.

``--soak`` instead runs 20 minutes at 60 % of the found rate (``soak.py``). The whole default
run keeps within ``--budget-minutes`` (15); ``--quick`` shortens every phase for a smoke run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg  # noqa: E402
import limits  # noqa: E402
import psutil  # noqa: E402
import report  # noqa: E402
from analysis import (  # noqa: E402
    DRAIN_LIMIT_S,
    LAG_MAX_LIMIT_MS,
    LAG_P99_LIMIT_MS,
    P99_LIMIT_MS,
    SUSTAIN_FRACTION,
    SUSTAIN_WINDOW_S,
)
from logline import log  # noqa: E402
from observe import Observer, Sampler, machine_speed  # noqa: E402
from search import find_rate, rate_to_soak_at, repeat, repeat_until_held, room_for, summarise  # noqa: E402
from smtp_sink import SmtpSink  # noqa: E402
from soak import run_soak  # noqa: E402
from stack import Stack  # noqa: E402
from step import Bench, run_step  # noqa: E402

QUICK = {"seconds": 10.0, "warmup": 3.0, "settle": 20.0, "bisections": 1, "limit_seconds": 5.0,
         "budget_minutes": 6.0}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, help="Measure this rate (opinions/s) instead of searching for one.")
    parser.add_argument("--start-rate", type=float, default=200.0, help="First step of the search.")
    parser.add_argument("--step-factor", type=float, default=1.5, help="Each step up multiplies the rate by this.")
    parser.add_argument("--max-rate", type=float, default=3000.0)
    parser.add_argument("--bisections", type=int, default=3, help="At most this many bisecting steps.")
    parser.add_argument("--seconds", type=float, default=30.0, help="Measured window of each step.")
    parser.add_argument("--warmup", type=float, default=5.0, help="Seconds at the step's own rate before it.")
    parser.add_argument("--settle", type=float, default=60.0, help="How long a step may take to drain afterwards.")
    parser.add_argument("--repeats", type=int, default=3, help="Repetitions at the found rate.")
    parser.add_argument("--confirmations", type=int, default=3,
                        help="When the repetitions at the found rate do not hold it (median), at most this many"
                             " rounds of repetitions a little lower (the highest rate passed within 5 %%, else -5 %%).")
    parser.add_argument("--limit-seconds", type=float, default=10.0, help="Length of each limit measurement.")
    parser.add_argument("--no-limits", action="store_true", help="Skip the limits.")
    parser.add_argument("--budget-minutes", type=float, default=15.0, help="The search stops in time to fit in it.")
    parser.add_argument("--quick", action="store_true", help="A smoke run: 10 s windows, one bisection, short limits.")
    parser.add_argument("--connections", type=int, default=256, help="Most connections the generator opens.")
    parser.add_argument("--broker", choices=("auto", "embedded", "apache-kafka"), default="auto",
                        help="auto: KAFKA_BOOTSTRAP_SERVERS when set, else Apache Kafka (what production runs) where"
                             " Java 17 and its jars or Maven are here, else the embedded broker (log in memory).")
    parser.add_argument("--unsafe-db", action="store_true",
                        help="PostgreSQL with fsync off, for comparison only: no verdict is claimed from it.")
    parser.add_argument("--soak", action="store_true", help="A long steady run instead (memory, tables, p99 flat).")
    parser.add_argument("--soak-minutes", type=float, default=20.0)
    parser.add_argument("--soak-fraction", type=float, default=0.6, help="Of --rate, else of the found rate.")
    parser.add_argument("--soak-retention-minutes", type=float, default=5.0,
                        help="Outbox and inbox retention during the soak, so their plateau comes within the run.")
    parser.add_argument("--keep", action="store_true", help="Keep the stack's data directory.")
    parser.add_argument("--profile", type=Path, help="py-spy profiles of the services in the first repetition.")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the services (experiments).")
    args = parser.parse_args(argv)
    if args.quick:
        given = {a.lstrip("-").split("=")[0].replace("-", "_") for a in (argv or sys.argv[1:]) if a.startswith("--")}
        for name, value in QUICK.items():
            if name not in given:
                setattr(args, name, value)
    return args


def main() -> int:
    return asyncio.run(run(parse()))


async def run(args: argparse.Namespace) -> int:
    began = time.monotonic()
    budget_end = began + args.budget_minutes * 60
    home = Path(tempfile.mkdtemp(prefix="liaison-bench-"))
    result: dict = {"time": datetime.now(UTC).isoformat(timespec="seconds"), "machine": _machine(),
                    "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                    "rules": {"sustain_window_s": SUSTAIN_WINDOW_S, "sustain_fraction": SUSTAIN_FRACTION,
                              "drain_limit_s": DRAIN_LIMIT_S, "p99_limit_ms": P99_LIMIT_MS,
                              "generator_lag_p99_limit_ms": LAG_P99_LIMIT_MS,
                              "generator_lag_max_limit_ms": LAG_MAX_LIMIT_MS,
                              "latency": "from the request's due time on the open-loop schedule"}}
    extra_env = dict(item.split("=", 1) for item in args.env)
    if args.soak:
        extra_env.setdefault("OUTBOX_RETENTION_HOURS", str(args.soak_retention_minutes / 60))
        extra_env.setdefault("INBOX_RETENTION_HOURS", str(args.soak_retention_minutes / 60))
    with SmtpSink() as mailbox:
        stack = Stack(home, broker=args.broker, unsafe_db=args.unsafe_db, mailbox=mailbox, extra_env=extra_env)
        observer = sampler = None
        try:
            stack.start_infrastructure()
            await stack.ensure_topics()
            stack.start_services()
            await stack.register()
            result["stack"] = await stack.describe()
            result["services"] = list(stack.services)
            log("stack ready in {:.0f} s: {}; broker {} ({}), database {}".format(
                time.monotonic() - began, ", ".join(f"{n} :{s.port}" for n, s in stack.services.items()),
                result["stack"]["broker"]["kind"], result["stack"]["broker"]["chosen"], "durable" if result["stack"]["database"]["durable"] else
                "NOT durable"))
            observer = Observer(stack.settings, mailbox)
            await observer.start()
            sampler = Sampler(stack.processes(), set(stack.services), mailbox.native_id)
            sampler.start()
            bench = Bench(stack, observer, sampler, origin=time.monotonic(), warmup_s=args.warmup,
                          seconds=args.seconds, settle_s=args.settle, connections=args.connections)
            if args.soak:
                await _soak(bench, args, result)
            else:
                await _headline(bench, args, result, budget_end)
            result["rss_peak_mb"] = {n: round(mb, 1) for n, mb in sampler.peak_mb.items()}
            result["rss_note"] = ("peak of 1-second samples; a service is its one process, postgres and the"
                                  " broker the sum over their process trees (shared memory counted repeatedly)")
        finally:
            if sampler:
                await sampler.stop()
            if observer:
                await observer.stop()
            await stack.stop(keep=args.keep)
            if not args.keep:
                shutil.rmtree(home, ignore_errors=True)
    result["machine"]["load_average_at_end"] = [round(v, 2) for v in os.getloadavg()]
    result["machine"]["speed_probe_ms_at_end"] = machine_speed()
    result["minutes"] = round((time.monotonic() - began) / 60, 1)
    if not args.soak:
        result["verdicts"] = report.verdicts(result)
    report.write(result, suffix="-soak" if args.soak else "")
    report.print_summary(result)
    return 0


async def _headline(bench: Bench, args, result: dict, budget_end: float) -> None:
    """Search (or the given rate), repetitions, the aim's check, then the limits."""
    first = True

    took: list[float] = []  # how long each step took, drain included

    async def step(rate: float, label: str) -> dict:
        nonlocal first
        profile = args.profile if label.startswith("repetition") and first else None
        first = first and not label.startswith("repetition")
        began = time.monotonic()
        try:
            return await run_step(bench, rate, label=label, profile=profile)
        finally:
            took.append(time.monotonic() - began)

    # what a passing step usually takes (generator start, drain, pauses included); a failing one
    # may take up to --settle more: the search's reserve and the last margin absorb one such round
    step_s = args.warmup + args.seconds + 15

    def another_round() -> bool:
        # a round that did not hold drained more slowly: the next is reckoned at its slowest step
        return room_for(budget_end, args.repeats * max([step_s, *took[-args.repeats:]]), limits_s + 60)()
    limits_s = 0 if args.no_limits else 3 * args.limit_seconds + 40
    rate = args.rate
    if rate is None:
        # the repetitions, one round of confirmation if they do not hold, the limits
        room = room_for(budget_end, step_s, (1 + min(args.confirmations, 1)) * args.repeats * step_s + limits_s + 60)
        result["search"] = await find_rate(step, start=args.start_rate, factor=args.step_factor,
                                           max_rate=args.max_rate, resolution=0.05, bisections=args.bisections,
                                           room=room)
        rate = result["search"]["found_rate_per_s"]
    if rate:
        passed = [s["rate_per_s"] for s in (result.get("search") or {}).get("steps", []) if s["passed"]]
        rounds = await repeat_until_held(step, rate, args.repeats, passed=passed,
                                         confirmations=0 if args.rate else args.confirmations,
                                         room=another_round)
        rate = rounds[-1]["at_rate"]["rate_per_s"]
        result["repetitions"], result["at_rate"] = rounds[-1]["repetitions"], rounds[-1]["at_rate"]
        if len(rounds) > 1:
            result["not_held"] = rounds[:-1]
        aim = report.AIM["rate_per_s"]
        if rate > aim and time.monotonic() + args.repeats * step_s + limits_s < budget_end:
            # a pipeline that sustains more than 1000/s is judged for the aim at 1000/s itself
            result["aim_repetitions"] = await repeat(step, aim, args.repeats, label="aim check")
            result["aim_check"] = summarise(result["aim_repetitions"])
    if not args.no_limits:
        result["limits"] = await _limits(bench, args.limit_seconds)
        intake = result["limits"]["intake"]["throughput_per_s"]
        result["fraction_of_limit"] = round(rate / intake, 3) if rate and intake else None


async def _limits(bench: Bench, seconds: float) -> dict:
    settings = bench.stack.settings
    sizes = bench.observer.sizes
    message_bytes = int(sum(sizes) / len(sizes)) if sizes else 700
    conn = await asyncpg.connect(settings.asyncpg_dsn())
    try:
        row_bytes = int(await conn.fetchval("SELECT coalesce(avg(pg_column_size(o.*)), 600) FROM"
                                            " (SELECT * FROM feedback.opinions LIMIT 1000) o"))
    finally:
        await conn.close()
    found = {"intake": await limits.intake(bench, seconds)}
    bench.stack.stop_services(["feedback"])
    bench.sampler.processes.pop("feedback", None)
    found["broker"] = await limits.broker(settings, message_bytes, seconds)
    found["database"] = await limits.database(settings, row_bytes, seconds)
    return found


async def _soak(bench: Bench, args, result: dict) -> None:
    """60 % of --rate, else of the last headline run's found rate on the same broker and an
    equally durable database, else of a rate searched for now (which makes the run longer)."""
    base, source = args.rate, "--rate"
    if base is None:
        base, source = _last_found_rate(result["stack"])
    if base is None:
        search = await find_rate(lambda rate, label: run_step(bench, rate, label=label), start=args.start_rate,
                                 factor=args.step_factor, max_rate=args.max_rate, resolution=0.05,
                                 bisections=args.bisections, room=lambda: True)
        result["search"] = search
        base, source = search["found_rate_per_s"], "searched now"
    if not base:
        raise SystemExit("no rate to soak at: nothing passed the search")
    result["soak_base"] = {"rate_per_s": base, "from": source, "fraction": args.soak_fraction}
    result["soak"] = await run_soak(bench, round(base * args.soak_fraction, 1), args.soak_minutes,
                                    args.soak_retention_minutes)


def _last_found_rate(stack: dict) -> tuple[float | None, str]:
    latest = report.RESULTS / f"latest-{stack['broker']['kind']}.json"
    if not latest.exists():
        latest = report.RESULTS / "latest.json"
    if not latest.exists():
        return None, ""
    last = json.loads(latest.read_text())
    same = (last.get("stack", {}).get("broker", {}).get("kind") == stack["broker"]["kind"]
            and last.get("stack", {}).get("database", {}).get("durable") == stack["database"]["durable"])
    found, whose = rate_to_soak_at(last)
    return (found, f"rate of {latest.name}'s {whose} ({last['time']})") if same and found else (None, "")


def _machine() -> dict:
    return {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
            "speed_probe_ms_at_start": machine_speed()}


if __name__ == "__main__":
    sys.exit(main())
