"""What one run of load amounts to: pure functions over its requests, no I/O.

The rules the verdicts rest on live here, with their numbers:

- **Throughput** is what completed *inside* the measured window, divided by its length: an
  opinion finishing after the load stopped does not count (the old figure divided every
  completion, the drain included, by the load's seconds).
- **Sustained**: every 5-second window after the warm-up completes at least 95 % of what was
  offered in it, and the backlog left when the load stops (accepted − notified) is gone within
  5 s of its end.
- **Latency** runs from when a request was *due* on the open-loop schedule, never from when it
  was sent; an opinion never notified counts as infinitely late.
- **The generator kept its schedule** while due→sent lag stayed under 50 ms at p99 and 1 s at
  most; otherwise the run measured the generator, and says so.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from dataclasses import dataclass

SUSTAIN_WINDOW_S = 5.0
SUSTAIN_FRACTION = 0.95
DRAIN_LIMIT_S = 5.0
LAG_P99_LIMIT_MS = 50.0
LAG_MAX_LIMIT_MS = 1000.0
P99_LIMIT_MS = 1000.0


@dataclass(slots=True)
class Outcome:
    """One request and what became of it (times from ``time.monotonic()``)."""

    due: float
    sent: float
    answered: float | None
    status: int
    opinion: str | None          # the opinion's id when accepted (201)
    notified: float | None = None  # its first notification.sent seen on Kafka
    emailed: float | None = None   # its e-mail received by the SMTP sink

    @property
    def accepted(self) -> bool:
        return self.status == 201


def percentile(values: list[float], q: float) -> float | None:
    """Nearest rank: the smallest value with at least q % of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _ms(value: float | None) -> float | None:
    """Rounded milliseconds; None for no data and for infinity (JSON has no infinity)."""
    return None if value is None or math.isinf(value) else round(value, 1)


def distribution(values: list[float], *, quantiles=(50, 95, 99)) -> dict:
    """Percentiles and max in ms; ``incomplete`` counts the infinite values (never completed)."""
    found = {f"p{q}": _ms(percentile(values, q)) for q in quantiles}
    found["max"] = _ms(max(values)) if values else None
    found["count"] = len(values)
    found["incomplete"] = sum(math.isinf(v) for v in values)
    return found


def _latency(outcome: Outcome, at: float | None) -> float:
    return (at - outcome.due) * 1000 if at is not None else math.inf


def analyse(outcomes: list[Outcome], *, measured_from: float, measured_to: float, origin: float) -> dict:
    """The figures and verdicts of one run of load; ``origin`` is the zero of the timeline."""
    window_s = measured_to - measured_from
    in_window = [o for o in outcomes if measured_from <= o.due < measured_to]
    accepted = [o for o in outcomes if o.accepted]
    completed = sum(1 for o in accepted if o.notified is not None and measured_from <= o.notified < measured_to)
    first = [_latency(o, o.notified) if o.accepted else math.inf for o in in_window]
    email = [_latency(o, o.emailed) if o.accepted else math.inf for o in in_window]
    lag = [(o.sent - o.due) * 1000 for o in outcomes]
    lag_p99 = percentile(lag, 99) or 0.0
    lag_max = max(lag, default=0.0)
    sustain = _sustain(outcomes, accepted, measured_from, measured_to)
    p99 = percentile(first, 99)
    result = {
        "window_s": round(window_s, 1),
        "offered": len(in_window),
        "sent": len(outcomes),
        "accepted": len(accepted),
        "errors": {str(k): v for k, v in Counter(o.status for o in outcomes if not o.accepted).items()},
        "completed_in_window": completed,
        "throughput_per_s": round(completed / window_s, 1) if window_s > 0 else None,
        "sustained": sustain["met"],
        "sustain": sustain,
        "latency_ms": {
            "first_notification": distribution(first),
            "email_received": distribution(email),
            "http_answer": distribution([(o.answered - o.due) * 1000 if o.answered else math.inf
                                         for o in in_window]),
        },
        "lag_ms": {"p50": _ms(percentile(lag, 50)), "p99": _ms(lag_p99), "max": _ms(lag_max),
                   "over_50_ms": sum(v > 50 for v in lag)},
        "generator_behind": lag_p99 > LAG_P99_LIMIT_MS or lag_max > LAG_MAX_LIMIT_MS,
        "timeline": timeline(outcomes, origin),
    }
    result["p99_within_limit"] = p99 is not None and p99 <= P99_LIMIT_MS
    result["passed"] = result["sustained"] and result["p99_within_limit"] and not result["generator_behind"]
    return result


def _sustain(outcomes: list[Outcome], accepted: list[Outcome], start: float, end: float) -> dict:
    dues = sorted(o.due for o in outcomes)
    notified = sorted(o.notified for o in accepted if o.notified is not None)
    answered = sorted(o.answered for o in accepted if o.answered is not None)

    def between(values: list[float], low: float, high: float) -> int:
        return bisect.bisect_left(values, high) - bisect.bisect_left(values, low)

    windows = []
    at = start
    while at + SUSTAIN_WINDOW_S <= end + 1e-6:
        stop = at + SUSTAIN_WINDOW_S
        offered, done = between(dues, at, stop), between(notified, at, stop)
        windows.append({"from_s": round(at - start, 1), "offered": offered, "completed": done,
                        "ratio": round(done / offered, 3) if offered else None,
                        "ok": done >= SUSTAIN_FRACTION * offered})
        at = stop
    backlog = bisect.bisect_right(answered, end) - bisect.bisect_right(notified, end)
    if len(notified) == len(accepted):
        drained_after = max(0.0, notified[-1] - end) if notified else 0.0
    else:
        drained_after = None  # some were never notified
    drained = drained_after is not None and drained_after <= DRAIN_LIMIT_S
    return {"windows": windows, "windows_ok": sum(w["ok"] for w in windows), "windows_total": len(windows),
            "backlog_at_end": backlog,
            "drained_after_s": None if drained_after is None else round(drained_after, 2), "drained": drained,
            "met": bool(windows) and all(w["ok"] for w in windows) and drained}


def timeline(outcomes: list[Outcome], origin: float) -> list[dict]:
    """Per second since ``origin``: offered (by due), accepted (by answer), completed (by first
    notification), e-mails (by receipt), the backlog accepted − notified at the second's end,
    and the latencies of what was due in it."""
    if not outcomes:
        return []
    bins: dict[int, dict] = {}

    def at(t: float) -> dict:
        second = int(math.floor(t - origin))
        return bins.setdefault(second, {"offered": 0, "accepted": 0, "completed": 0, "emails": 0,
                                        "first": [], "email": [], "lag": []})

    for o in outcomes:
        slot = at(o.due)
        slot["offered"] += 1
        slot["lag"].append((o.sent - o.due) * 1000)
        slot["first"].append(_latency(o, o.notified) if o.accepted else math.inf)
        slot["email"].append(_latency(o, o.emailed) if o.accepted else math.inf)
        if o.accepted:
            at(o.answered)["accepted"] += 1
            if o.notified is not None:
                at(o.notified)["completed"] += 1
            if o.emailed is not None:
                at(o.emailed)["emails"] += 1
    rows, backlog = [], 0
    for second in range(min(bins), max(bins) + 1):
        slot = bins.get(second) or at(origin + second)
        backlog += slot["accepted"] - slot["completed"]
        rows.append({"t": second, "offered": slot["offered"], "accepted": slot["accepted"],
                     "completed": slot["completed"], "emails": slot["emails"], "backlog": backlog,
                     "p50_ms": _ms(percentile(slot["first"], 50)), "p99_ms": _ms(percentile(slot["first"], 99)),
                     "email_p99_ms": _ms(percentile(slot["email"], 99)),
                     "lag_p99_ms": _ms(percentile(slot["lag"], 99))})
    return rows
