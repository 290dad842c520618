"""The highest offered rate the pipeline sustains with p99 ≤ 1 s, and repetitions at it.

Step up by ``factor`` from ``start`` until a step fails (not sustained, p99 over 1 s, or the
generator behind its schedule), then bisect between the last rate that passed and the first
that failed until they are within ``resolution`` of each other. If the very first step fails,
step down by halves instead. A step is only started when the budget leaves room for it and
for what must come after (the repetitions and the limits): the search is then cut short and
says so.

The search passes a rate once; at the edge of what the machine holds, one lucky pass can pick
a rate that then fails most of its repetitions. So when the median of the repetitions fails,
``confirmation_rate`` picks a rate a little lower and the repetitions run again there (as long
as the budget allows): the rate reported is the highest one that held in the median of its
own repetitions, and every round before it is reported beside it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from analysis import P99_LIMIT_MS
from logline import log

Step = Callable[[float, str], Awaitable[dict]]


async def find_rate(step: Step, *, start: float, factor: float, max_rate: float, resolution: float,
                    bisections: int, room: Callable[[], bool]) -> dict:
    steps: list[dict] = []
    passed: float | None = None
    failed: float | None = None
    cut_short = False

    async def attempt(rate: float, label: str) -> bool:
        result = await step(rate, label)
        steps.append(result)
        return result["passed"]

    rate = start
    while rate <= max_rate:
        if not room():
            cut_short = True
            break
        if await attempt(rate, "step up"):
            passed = rate
            if rate >= max_rate:
                break
            rate = min(round(rate * factor), max_rate)
        else:
            failed = rate
            break
    while passed is None and failed is not None and failed > 10 and not cut_short:
        if not room():
            cut_short = True
            break
        rate = round(failed / 2)
        if await attempt(rate, "step down"):
            passed = rate
        else:
            failed = rate
    for _ in range(bisections):
        if passed is None or failed is None or failed / passed <= 1 + resolution:
            break
        if not room():
            cut_short = True
            break
        rate = round((passed + failed) / 2 / 5) * 5 or round((passed + failed) / 2)
        if rate in (passed, failed):
            break
        if await attempt(rate, "bisect"):
            passed = rate
        else:
            failed = rate
    log(f"search: highest rate passed {passed}/s, lowest failed {failed}/s"
        + (" (cut short by the time budget)" if cut_short else ""))
    return {"found_rate_per_s": passed, "lowest_failed_rate_per_s": failed, "cut_short": cut_short,
            "steps": steps}


def held(summary: dict) -> bool:
    """What the must-reach's verdict asks of a rate, from the medians of its repetitions
    (``summarise``): sustained in most of them, the median p99 within the limit, and the generator
    on its schedule in every one (else nothing can be judged from them)."""
    p99 = summary["latency_ms"]["first_notification"]["p99"]["median"]
    return (summary["sustained_median"] and p99 is not None and p99 <= P99_LIMIT_MS
            and summary["generator_kept_schedule"])


def rate_to_soak_at(last: dict) -> tuple[float | None, str]:
    """From a headline run's JSON, the rate a soak takes its share of, and whose it is: the rate
    the repetitions held (lower than the search's when they stepped down) — a ``--rate`` run's, or
    repetitions that did not hold, leave the search's own, if any."""
    at, searched = last.get("at_rate") or {}, last.get("search") or {}
    if searched and at and held(at):
        return at["rate_per_s"], "repetitions"
    return searched.get("found_rate_per_s"), "search"


def confirmation_rate(failed: float, passed: list[float], *, fraction: float = 0.95) -> float:
    """The next rate to repeat at, after the median at ``failed`` did not hold: the highest rate
    the search passed in [``fraction`` × failed, failed), else ``fraction`` × failed rounded to
    5/s — never ``failed`` itself, and never far below it (a rate passed long before says little
    about the edge)."""
    floor = fraction * failed
    seen = [rate for rate in passed if floor <= rate < failed]
    if seen:
        return max(seen)
    rounded = round(floor / 5) * 5
    return rounded if 0 < rounded < failed else round(floor, 1)


async def repeat(step: Step, rate: float, times: int, *, label: str = "repetition") -> list[dict]:
    return [await step(rate, f"{label} {i + 1}/{times}") for i in range(times)]


async def repeat_until_held(step: Step, rate: float, times: int, *, passed: list[float], confirmations: int,
                            room: Callable[[], bool]) -> list[dict]:
    """Repetitions at ``rate``; while they do not hold it and ``room`` allows, at most
    ``confirmations`` more rounds, each at ``confirmation_rate`` below the last. Every round, as
    ``{"at_rate": summary, "repetitions": [...]}``: the last is the one to judge."""
    rounds: list[dict] = []
    while True:
        repetitions = await repeat(step, rate, times, label="repetition" if not rounds else "confirmation")
        rounds.append({"at_rate": summarise(repetitions), "repetitions": repetitions})
        if held(rounds[-1]["at_rate"]) or len(rounds) > confirmations or not room():
            return rounds
        lower = confirmation_rate(rate, passed)
        log(f"the repetitions did not hold {rate:g}/s: {times} more at {lower:g}/s")
        rate = lower


def _spread(values: list) -> dict | None:
    """Median and range. None is a latency that never came: it sorts above every number, so
    it makes the median None when it is among the middle values, and is never dropped."""
    if not values:
        return None
    known = sorted(v for v in values if v is not None)
    ordered = known + [None] * (len(values) - len(known))
    middle = ordered[(len(ordered) - 1) // 2:len(ordered) // 2 + 1]
    return {"median": None if None in middle else round(sum(middle) / len(middle), 1),
            "min": known[0] if known else None, "max": known[-1] if len(known) == len(values) else None,
            "values": values}


def summarise(repetitions: list[dict]) -> dict:
    """Median and spread over the repetitions of everything the verdicts read."""
    latency = {kind: {q: _spread([r["latency_ms"][kind][q] for r in repetitions]) for q in ("p50", "p95", "p99", "max")}
               for kind in ("first_notification", "email_received", "http_answer")}
    names = sorted({n for r in repetitions for n in r["cpu_ms_per_opinion"]})
    rss = sorted({n for r in repetitions for n in r["rss_peak_mb"]})
    sustained = [r["sustained"] for r in repetitions]
    return {
        "rate_per_s": repetitions[0]["rate_per_s"],
        "repetitions": len(repetitions),
        "sustained": sustained,
        "sustained_median": sum(sustained) * 2 > len(sustained),
        "generator_kept_schedule": not any(r["generator_behind"] for r in repetitions),
        "throughput_per_s": _spread([r["throughput_per_s"] for r in repetitions]),
        "latency_ms": latency,
        "lag_ms_p99": _spread([r["lag_ms"]["p99"] for r in repetitions]),
        "cpu_ms_per_opinion": {n: _spread([r["cpu_ms_per_opinion"].get(n) for r in repetitions]) for n in names},
        "rss_peak_mb": {n: max(r["rss_peak_mb"].get(n, 0.0) for r in repetitions) for n in rss},
        "machine": {"busy_pct": _spread([r["machine_cpu"]["busy_pct"] for r in repetitions]),
                    "steal_pct": _spread([r["machine_cpu"]["steal_pct"] for r in repetitions]),
                    "speed_probe_ms": _spread([r["machine_cpu"]["speed_probe_ms"] for r in repetitions])},
    }


def room_for(budget_end: float, step_s: float, reserved_s: float) -> Callable[[], bool]:
    """Whether one more search step fits before ``budget_end`` with ``reserved_s`` left after it."""
    return lambda: time.monotonic() + step_s + reserved_s <= budget_end
