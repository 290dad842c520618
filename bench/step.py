"""One step of load: the generator at one rate for warm-up + measured window, then what came of it.

The warm-up runs at the step's own rate, so the measured window starts in the steady state it
measures. After the load, the step waits for the pipeline to finish what it accepted (up to
``settle_s``): the drain is judged from the timestamps (``analysis``), and the next step
starts on an empty pipeline rather than on this one's leftovers.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import loadgen
import psutil
from analysis import Outcome, analyse
from logline import log
from observe import Observer, Sampler, machine_cpu, machine_share, machine_speed
from stack import VILLAGE, Stack


@dataclass
class Bench:
    """What every step needs: the stack, the watchers, the timings, and the zero of the timeline."""

    stack: Stack
    observer: Observer
    sampler: Sampler
    origin: float
    warmup_s: float
    seconds: float
    settle_s: float
    connections: int


class Generator:
    """The generator's process, and the records it streams back through a pipe."""

    def __init__(self, target, *args) -> None:
        self._receiver, sender = multiprocessing.Pipe(duplex=False)
        self.process = multiprocessing.get_context("spawn").Process(target=target, args=(*args, sender))
        self.process.start()
        sender.close()  # ours closed, so the pipe ends when the child's does
        self.records: list = []
        self.summary: dict | None = None
        self._started = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            while True:
                kind, value = await asyncio.to_thread(self._receiver.recv)
                if kind == "start":
                    self._started.set_result(value)
                elif kind == "records":
                    self.records.extend(value)
                else:
                    self.summary = value
                    return
        except EOFError:
            if not self._started.done():
                self._started.set_exception(RuntimeError("the generator exited before it started"))
            self.summary = {"cpu_s": None, "error": "the generator exited early"}

    async def started(self) -> float:
        return await self._started

    async def finished(self) -> dict:
        await self._reader
        await asyncio.to_thread(self.process.join)
        return self.summary

    @property
    def pid(self) -> int:
        return self.process.pid


def outcomes_of(records: list) -> list[Outcome]:
    return [Outcome(due, sent, answered, status, outcome if status == 201 else None)
            for due, sent, answered, status, outcome in records]


async def until(moment: float) -> None:
    await asyncio.sleep(max(0.0, moment - time.monotonic()))


async def settle(observer: Observer, outcomes: list[Outcome], deadline: float, *, quiet_s: float = 15) -> bool:
    """Wait until every accepted opinion has its first notification and its e-mail, or the
    deadline, or ``quiet_s`` without progress; fill in what was seen. True when all came."""
    waiting = [o for o in outcomes if o.accepted]
    last_progress = time.monotonic()
    while True:
        still = []
        for o in waiting:
            o.notified = o.notified or observer.notified(o.opinion)
            o.emailed = o.emailed or observer.emailed(o.opinion)
            if o.notified is None or o.emailed is None:
                still.append(o)
        if len(still) < len(waiting):
            last_progress = time.monotonic()
        waiting = still
        now = time.monotonic()
        if not waiting or now >= deadline or now - last_progress >= quiet_s:
            return not waiting
        await asyncio.sleep(0.5)


async def run_step(bench: Bench, rate: float, *, label: str, profile: Path | None = None) -> dict:
    """``rate`` opinions per second for warm-up + window; the step's figures and verdicts."""
    stack, sampler = bench.stack, bench.sampler
    speed = machine_speed()
    generator = Generator(loadgen.open_loop, "127.0.0.1", stack.services["feedback"].port, rate,
                          bench.warmup_s + bench.seconds, bench.connections, VILLAGE)
    start = await generator.started()
    sampler.processes["generator"] = psutil.Process(generator.pid)
    measured_from, measured_to = start + bench.warmup_s, start + bench.warmup_s + bench.seconds
    spies = _profile(stack, profile, measured_to - time.monotonic()) if profile else []
    await until(measured_from)
    cpu_from, machine_from = sampler.cpu(), machine_cpu()
    await until(measured_to)
    cpu_to, machine_to = sampler.cpu(), machine_cpu()
    summary = await generator.finished()
    sampler.processes.pop("generator", None)
    outcomes = outcomes_of(generator.records)
    settled = await settle(bench.observer, outcomes, measured_to + bench.settle_s)
    for spy in spies:
        spy.wait(60)
    result = {"label": label, "rate_per_s": rate, "started_s": round(start - bench.origin, 1),
              "measured_s": [round(measured_from - bench.origin, 1), round(measured_to - bench.origin, 1)],
              **analyse(outcomes, measured_from=measured_from, measured_to=measured_to, origin=bench.origin)}
    completed = result["completed_in_window"]
    cpu = {name: cpu_to[name] - cpu_from.get(name, 0.0) for name in cpu_to}
    result["cpu_s_in_window"] = {name: round(v, 2) for name, v in cpu.items()}
    result["cpu_ms_per_opinion"] = _per_opinion(cpu, completed, stack.services)
    result["machine_cpu"] = {**machine_share(machine_from, machine_to), "speed_probe_ms": speed}
    result["rss_peak_mb"] = sampler.peak_since(start)
    result["generator"] = {**summary, "cpu_s": round(summary.get("cpu_s") or 0.0, 2)}
    result["settled"] = settled
    bench.observer.forget(o.opinion for o in outcomes if o.accepted)
    _say(result)
    return result


def _per_opinion(cpu: dict[str, float], completed: int, services) -> dict:
    if not completed:
        return {}
    found = {name: round(seconds * 1000 / completed, 3) for name, seconds in cpu.items()}
    found["services"] = round(sum(cpu[n] for n in services if n in cpu) * 1000 / completed, 3)
    found["platform"] = round(sum(v for n, v in cpu.items() if n in services or n in ("postgres", "broker"))
                              * 1000 / completed, 3)
    return found


def _profile(stack: Stack, directory: Path, seconds: float) -> list[subprocess.Popen]:
    """py-spy on every service for the rest of the window (``bench/hotspots.py`` reads the result)."""
    directory.mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--nonblocking", "--format",
                              "raw", "-r", "50", "-d", str(max(1, int(seconds))), "-p", str(s.process.pid),
                              "-o", str(directory / f"{name}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for name, s in stack.services.items()]


def _say(step: dict) -> None:
    first, email = step["latency_ms"]["first_notification"], step["latency_ms"]["email_received"]
    sustain = step["sustain"]
    verdict = "PASS" if step["passed"] else "fail"
    why = [] if step["passed"] else [
        *([] if step["sustained"] else [f"not sustained ({sustain['windows_ok']}/{sustain['windows_total']} windows, "
                                        f"drained after {sustain['drained_after_s']} s)"]),
        *([] if step["p99_within_limit"] else ["p99 over 1 s"]),
        *(["generator behind its schedule"] if step["generator_behind"] else [])]
    log(f"{step['label']} {step['rate_per_s']:g}/s: {step['throughput_per_s']}/s completed in the window, "
        f"first notification p50/p99/max {first['p50']}/{first['p99']}/{first['max']} ms "
        f"({first['incomplete']} never), e-mail p99 {email['p99']} ms, lag p99 {step['lag_ms']['p99']} ms, "
        f"errors {step['errors'] or 'none'}, machine busy {step['machine_cpu']['busy_pct']} % "
        f"stolen {step['machine_cpu']['steal_pct']} %, speed probe {step['machine_cpu']['speed_probe_ms']} ms → {verdict}" + (f": {'; '.join(why)}" if why else ""))
