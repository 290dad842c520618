"""Open data publishes no group small enough to point at a person (k = 5)."""

import pytest
from feedback.domain.disclosure import K, published_count, published_figures

pytestmark = pytest.mark.unit


def figures(cases, responded=0, resolved=0, satisfied=0, rated=0, on_time=0, timed=0):
    return {"cases": cases, "responded": responded, "resolved": resolved, "satisfied": satisfied,
            "rated": rated, "on_time": on_time, "timed": timed}


def test_a_count_under_k_is_withheld_and_k_is_published():
    assert K == 5 and published_count(4) is None and published_count(5) == 5


def test_every_rate_needs_k_behind_it():
    out = published_figures(figures(12, responded=9, resolved=6, satisfied=1, rated=2, on_time=5, timed=5))
    assert out == {"cases": 12, "response_rate": 0.75, "resolution_rate": 0.5,
                   "satisfaction_rate": None,  # two ratings: who was unhappy would show
                   "on_time_rate": 1.0}


def test_a_small_group_publishes_nothing_at_all():
    assert set(published_figures(figures(3, responded=3, resolved=3, rated=3, satisfied=3)).values()) == {None}
