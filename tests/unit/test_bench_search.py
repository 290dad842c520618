"""The benchmark's rate is the highest one that held in the median of its own repetitions: when
the repetitions at the rate the search passed once do not hold it, they run again a little
lower, and every round is kept."""

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from search import confirmation_rate, held, rate_to_soak_at, repeat_until_held, summarise  # noqa: E402


def test_the_confirmation_rate_is_a_rate_the_search_passed_just_below():
    assert confirmation_rate(560, [200, 300, 450, 540, 560]) == 540
    assert confirmation_rate(560, [200, 300, 450, 535, 540]) == 540


def test_without_such_a_rate_it_is_five_percent_below_rounded_to_five():
    # 450 passed too, but far below the edge: a pass long ago says little about it
    assert confirmation_rate(560, [200, 300, 450, 560]) == 530
    assert confirmation_rate(100, []) == 95


def test_the_confirmation_rate_is_always_below_the_rate_that_did_not_hold():
    for failed in (4, 10, 33, 101, 560, 999):
        assert 0 < confirmation_rate(failed, [failed]) < failed


def test_held_is_the_verdicts_rule_on_the_medians():
    def summary(*passes: bool, p99s=(300.0, 300.0, 300.0)) -> dict:
        return summarise([_repetition(560, ok, p99) for ok, p99 in zip(passes, p99s, strict=True)])

    assert held(summary(True, False, True))
    assert not held(summary(True, False, False))
    # sustained in all three, but the median p99 over 1 s
    assert not held(summary(True, True, True, p99s=(900.0, 1051.0, 1200.0)))
    assert held(summary(True, True, True, p99s=(957.0, 1051.0, 745.0)))


def _step(holds_up_to: float, log: list):
    async def step(rate: float, label: str) -> dict:
        log.append((rate, label))
        return _repetition(rate, rate <= holds_up_to, 300.0 if rate <= holds_up_to else 2000.0)
    return step


def _repetition(rate: float, sustained: bool, p99: float) -> dict:
    passed = sustained and p99 <= 1000
    latency = {q: p99 for q in ("p50", "p95", "p99", "max")}
    return {"rate_per_s": rate, "passed": passed, "sustained": sustained, "generator_behind": False,
            "throughput_per_s": rate if sustained else rate * 0.8, "lag_ms": {"p99": 1.0},
            "latency_ms": {kind: latency for kind in ("first_notification", "email_received", "http_answer")},
            "cpu_ms_per_opinion": {"feedback": 1.0}, "rss_peak_mb": {"feedback": 100.0},
            "machine_cpu": {"busy_pct": 90.0, "steal_pct": 0.0, "speed_probe_ms": 50.0}}


def test_repetitions_that_do_not_hold_step_down_until_they_do():
    log: list = []
    rounds = asyncio.run(repeat_until_held(_step(530, log), 560, 3, passed=[450, 560], confirmations=2,
                                           room=lambda: True))
    assert [r["at_rate"]["rate_per_s"] for r in rounds] == [560, 530]
    assert [held(r["at_rate"]) for r in rounds] == [False, True]
    assert log == [(560, "repetition 1/3"), (560, "repetition 2/3"), (560, "repetition 3/3"),
                   (530, "confirmation 1/3"), (530, "confirmation 2/3"), (530, "confirmation 3/3")]


def test_at_most_the_confirmations_allowed_and_the_last_round_is_judged_as_it_is():
    rounds = asyncio.run(repeat_until_held(_step(100, []), 560, 3, passed=[560], confirmations=2,
                                           room=lambda: True))
    assert [r["at_rate"]["rate_per_s"] for r in rounds] == [560, 530, 505]
    assert not rounds[-1]["at_rate"]["sustained_median"]


def test_no_confirmation_without_room_or_when_the_first_round_holds():
    assert len(asyncio.run(repeat_until_held(_step(100, []), 560, 3, passed=[], confirmations=2,
                                             room=lambda: False))) == 1
    assert len(asyncio.run(repeat_until_held(_step(600, []), 560, 3, passed=[], confirmations=2,
                                             room=lambda: True))) == 1


def test_the_soak_takes_the_rate_the_repetitions_held():
    search = {"found_rate_per_s": 620}
    stepped_down = summarise([_repetition(560, True, 300.0) for _ in range(3)])
    assert rate_to_soak_at({"search": search, "at_rate": stepped_down}) == (560, "repetitions")


def test_not_a_rate_that_did_not_hold_nor_one_given_by_hand():
    not_held = summarise([_repetition(590, False, 2000.0) for _ in range(3)])
    assert rate_to_soak_at({"search": {"found_rate_per_s": 620}, "at_rate": not_held}) == (620, "search")
    given = summarise([_repetition(800, True, 300.0) for _ in range(3)])  # a --rate run: no search
    assert rate_to_soak_at({"at_rate": given}) == (None, "search")
