"""Proposal rules: numbering, deadlines in months, evaluation, transitions."""

from datetime import date

import pytest
from feedback.domain import proposal as rules
from liaison_shared.errors import Conflict, Forbidden

pytestmark = pytest.mark.unit


def test_numbers_read_year_and_sequence():
    assert rules.number(2026, 1) == "2026-0001" and rules.number(2026, 123) == "2026-0123"


def test_months_end_on_the_last_day_when_the_day_is_missing():
    assert rules.add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert rules.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert rules.add_months(date(2026, 3, 15), 6) == date(2026, 9, 15)


def test_unsatisfied_is_rehandled_once_then_supervised():
    assert rules.after_evaluation("satisfied", False) == "evaluated"
    assert rules.after_evaluation("unsatisfied", False) == "assigned"
    assert rules.after_evaluation("unsatisfied", True) == "supervised"


def test_who_may_do_what_and_when():
    rules.check("file", "draft", "member")
    with pytest.raises(Forbidden):
        rules.check("accept", "filed", "member")
    with pytest.raises(Conflict, match="allowed when: replied"):
        rules.check("evaluate", "assigned", "member")
    with pytest.raises(Forbidden):
        rules.check("mark_key", "accepted", "staff")


def test_the_filing_window_includes_both_ends():
    assert rules.in_window(date(2026, 1, 5), date(2026, 1, 5), date(2026, 2, 5))
    assert rules.in_window(date(2026, 2, 5), date(2026, 1, 5), date(2026, 2, 5))
    assert not rules.in_window(date(2026, 2, 6), date(2026, 1, 5), date(2026, 2, 5))
