"""Verdicts against the contract, the JSON, the plain-text summary and the PNG.

Must-reach: sustained ≥ 500/s with p99 ≤ 1 s (median of three repetitions), every service
≤ 150 MB RSS (the peak sampled over the whole run). Aim: 1000/s with p99 ≤ 250 ms. Neither
is claimed from a run that cannot support it: an unsafe database, or a generator that fell
behind its schedule, makes the verdict "not assessed" rather than "met".
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from logline import log

RESULTS = Path(__file__).resolve().parent / "results"
MUST_REACH = {"rate_per_s": 500, "p99_ms": 1000, "rss_mb": 150}
AIM = {"rate_per_s": 1000, "p99_ms": 250}


def _p99(summary: dict | None) -> float | None:
    return summary["latency_ms"]["first_notification"]["p99"]["median"] if summary else None


def verdicts(result: dict) -> dict:
    """The must-reach and the aim, each criterion named, from the repetitions' medians."""
    at = result.get("at_rate")
    durable = result["stack"]["database"]["durable"]
    services = result["services"]
    rss = {n: mb for n, mb in result["rss_peak_mb"].items() if n in services}
    if not at:
        return {"must_reach": {"met": None, "why": "no repetitions measured"},
                "aim": {"met": None, "why": "no repetitions measured"}}
    blockers = [*([] if durable else ["the database was not durable (--unsafe-db)"]),
                *([] if at["generator_kept_schedule"] else ["the generator fell behind its schedule"]),
                *([] if at["repetitions"] >= 3 else [f"{at['repetitions']} repetition(s), not three"])]
    p99 = _p99(at)
    must = {
        "rate_at_least_500_per_s": at["rate_per_s"] >= MUST_REACH["rate_per_s"],
        "sustained_in_median_of_repetitions": at["sustained_median"],
        "p99_median_at_most_1000_ms": p99 is not None and p99 <= MUST_REACH["p99_ms"],
        "every_service_peak_rss_at_most_150_mb": bool(rss) and all(v <= MUST_REACH["rss_mb"] for v in rss.values()),
    }
    aim_at = result.get("aim_check") or (at if at["rate_per_s"] >= AIM["rate_per_s"] else None)
    aim_p99 = _p99(aim_at)
    # without a measurement at 1000/s or more there is nothing else to judge
    aim = {"rate_at_least_1000_per_s": False} if aim_at is None else {
        "rate_at_least_1000_per_s": True,
        "sustained_in_median_of_repetitions": aim_at["sustained_median"],
        "p99_median_at_most_250_ms": aim_p99 is not None and aim_p99 <= AIM["p99_ms"],
    }
    return {
        "must_reach": {"target": "sustained ≥ 500/s with p99 ≤ 1 s, median of three, every service ≤ 150 MB RSS",
                       "rate_per_s": at["rate_per_s"], "p99_ms": p99, "peak_rss_mb": rss, "criteria": must,
                       "met": None if blockers else all(must.values()), "not_assessed_because": blockers},
        "aim": {"target": "1000/s with p99 ≤ 250 ms", "rate_per_s": aim_at["rate_per_s"] if aim_at else None,
                "p99_ms": aim_p99, "criteria": aim, "met": None if blockers else all(aim.values()),
                "not_assessed_because": blockers},
    }


def _plainly(verdict: dict) -> str:
    if verdict.get("met") is None:
        return "NOT ASSESSED (" + "; ".join(verdict.get("not_assessed_because") or [verdict.get("why", "")]) + ")"
    if verdict["met"]:
        return "MET"
    failed = [name.replace("_", " ") for name, ok in verdict["criteria"].items() if not ok]
    return "NOT MET (" + "; ".join(failed) + ")"


def write(result: dict, *, suffix: str = "") -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = result["time"].replace(":", "").replace("-", "") + suffix
    path = RESULTS / f"{stamp}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    shutil.copyfile(path, RESULTS / f"latest{suffix}.json")
    plot(result, path.with_suffix(".png"))
    shutil.copyfile(path.with_suffix(".png"), RESULTS / f"latest{suffix}.png")
    # and the last of its broker: the embedded broker and Apache Kafka give different figures
    broker = result.get("stack", {}).get("broker", {}).get("kind", "unknown")
    for extension in (".json", ".png"):
        shutil.copyfile(path.with_suffix(extension), RESULTS / f"latest{suffix}-{broker}{extension}")
    log(f"written {path} and {path.with_suffix('.png')}")
    return path


def print_summary(result: dict) -> None:
    stack = result["stack"]
    print(f"\nbroker {stack['broker']['kind']}, database {stack['database']['kind']} "
          f"({'durable' if stack['database']['durable'] else 'NOT durable'}: fsync {stack['database']['fsync']}, "
          f"synchronous_commit {stack['database']['synchronous_commit']})")
    if search := result.get("search"):
        failed = search["lowest_failed_rate_per_s"]
        print(f"search: highest rate sustained with p99 ≤ 1 s: {search['found_rate_per_s']}/s "
              f"({f'lowest failed {failed}/s' if failed else 'none failed up to --max-rate'}"
              f"{', cut short by the time budget' if search['cut_short'] else ''})")
    for rounds in result.get("not_held", []):
        before = rounds["at_rate"]
        print(f"at {before['rate_per_s']}/s the repetitions did not hold: sustained {before['sustained']}, p99 "
              f"{before['latency_ms']['first_notification']['p99']['values']} ms — repeated a little lower")
    if at := result.get("at_rate"):
        first, email = at["latency_ms"]["first_notification"], at["latency_ms"]["email_received"]

        def q(kind: dict, name: str) -> str:
            s = kind[name]
            return f"{s['median']} [{s['min']}–{s['max']}]"

        print(f"at {at['rate_per_s']}/s, median [range] of {at['repetitions']}: "
              f"throughput {q(at, 'throughput_per_s')}/s, sustained {at['sustained']}")
        print(f"  first notification ms  p50 {q(first, 'p50')}  p95 {q(first, 'p95')}  p99 {q(first, 'p99')}"
              f"  max {q(first, 'max')}")
        print(f"  e-mail received ms     p50 {q(email, 'p50')}  p95 {q(email, 'p95')}  p99 {q(email, 'p99')}"
              f"  max {q(email, 'max')}")
        cpu = at["cpu_ms_per_opinion"]
        print("  CPU ms per opinion: " + ", ".join(f"{n} {s['median']}" for n, s in cpu.items() if s))
        machine = at["machine"]
        print(f"  machine: busy {machine['busy_pct']['median']} %, stolen {machine['steal_pct']['median']} %, speed probe "
              f"{machine['speed_probe_ms']['median']} ms [{machine['speed_probe_ms']['min']}–"
              f"{machine['speed_probe_ms']['max']}] (run start {result['machine']['speed_probe_ms_at_start']} ms)")
        print("  peak RSS MB (whole run): " + ", ".join(f"{n} {mb}" for n, mb in result["rss_peak_mb"].items()))
    if limits := result.get("limits"):
        print(f"limits: intake alone {limits['intake']['throughput_per_s']}/s, broker "
              f"{limits['broker']['messages_per_s']} msgs/s, database {limits['database']['rows_per_s']} rows/s; "
              f"fraction of the intake limit {result.get('fraction_of_limit')}")
    if soak := result.get("soak"):
        print(f"soak {soak['rate_per_s']}/s for {soak['minutes']} min: "
              + ("MET" if soak["verdicts"]["met"] else "NOT MET") + " — "
              + "; ".join(f"{k}: {v['detail']}" for k, v in soak["verdicts"].items() if k != "met"))
    if v := result.get("verdicts"):
        print(f"MUST-REACH ({v['must_reach'].get('target', '')}): {_plainly(v['must_reach'])}")
        print(f"AIM ({v['aim'].get('target', '')}): {_plainly(v['aim'])}")


def _all_steps(result: dict) -> list[dict]:
    return [*(result.get("search") or {}).get("steps", []),
            *(r for rounds in result.get("not_held", []) for r in rounds["repetitions"]), *result.get("repetitions", []),
            *result.get("aim_repetitions", []), *([result["soak"]] if result.get("soak") else [])]


def plot(result: dict, path: Path) -> None:
    """The whole run against one clock: what was offered and completed, the backlog, latency
    (and in a soak, each service's RSS). Each step is drawn on its own, so no line bridges the
    pause between two steps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = _all_steps(result)
    soak = result.get("soak")
    figure, axes = plt.subplots(4 if soak else 3, 1, figsize=(12, 11 if soak else 9), sharex=True)
    rates, backlog, latency = axes[:3]
    series = [
        (rates, "offered", "offered /s (by due time)", "#999999"),
        (rates, "completed", "first notification /s", "#c0392b"),
        (rates, "emails", "e-mail received /s", "#27ae60"),
        (backlog, "backlog", "accepted − notified", "#e67e22"),
        (latency, "p50_ms", "p50 first notification", "#2980b9"),
        (latency, "p99_ms", "p99 first notification", "#8e44ad"),
        (latency, "email_p99_ms", "p99 e-mail received", "#27ae60"),
    ]
    for number, step in enumerate(steps):
        t = [r["t"] for r in step["timeline"]]
        rates.axvspan(step["measured_s"][0], step["measured_s"][1], color="#f2f2f2", zorder=0,
                      label="measured window" if number == 0 else None)
        for axis, key, label, colour in series:
            axis.plot(t, [r[key] for r in step["timeline"]], color=colour, linewidth=0.8,
                      label=label if number == 0 else None)
        rates.annotate(f"{step['rate_per_s']:g}/s", (step["started_s"], 1.0), xycoords=("data", "axes fraction"),
                       fontsize=7, color="#555555", rotation=90, va="top")
    rates.set_ylabel("opinions per second")
    backlog.set_ylabel("backlog\n(accepted − notified)")
    latency.axhline(1000, color="#c0392b", linestyle=":", linewidth=0.8)
    latency.axhline(250, color="#7f8c8d", linestyle=":", linewidth=0.8)
    latency.set_yscale("log")
    latency.set_ylabel("latency from due (ms)")
    if soak:
        rss = axes[3]
        for name in result["services"]:
            rss.plot([soak["started_s"] + r["t"] for r in soak["rss_mb_every_10_s"]],
                     [r[name] for r in soak["rss_mb_every_10_s"]], label=name, linewidth=0.8)
        rss.set_ylabel("RSS (MB)")
    for axis in axes:
        axis.legend(loc="upper right", fontsize=7)
    axes[-1].set_xlabel("seconds since the stack was ready (labels: offered rate of each step)")
    stack = result["stack"]
    title = (f"cppcc-liaison end to end — broker {stack['broker']['kind']}, database "
             f"{'durable' if stack['database']['durable'] else 'NOT durable'}, {result['machine']['cpus']} cpus")
    if at := result.get("at_rate"):
        title += (f"\nat {at['rate_per_s']}/s: {at['throughput_per_s']['median']}/s completed in the window, "
                  f"p99 {_p99(at)} ms (median of {at['repetitions']})")
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
