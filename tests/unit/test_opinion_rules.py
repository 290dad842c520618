"""The triage state machine, ratings, masking and working-day deadlines of the feedback domain."""

import base64
from datetime import date

import pytest
from feedback.domain import opinion as rules
from feedback.domain.deadlines import add_working_days
from feedback.domain.opinion import Actor, Status
from feedback.handlers.intake import new_tracking_code
from liaison_shared.errors import Conflict, Forbidden

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("action", "status", "actor"), [
    ("assign", Status.RECEIVED, Actor.STAFF),
    ("reply", Status.ASSIGNED, Actor.DEPARTMENT),
    ("rate", Status.REPLIED, Actor.PUBLIC),
    ("close", Status.RATED, Actor.STAFF),
    ("escalate", Status.RECEIVED, Actor.STAFF),
])
def test_legal_transitions_pass(action, status, actor):
    rules.check(action, status, actor)


@pytest.mark.parametrize(("action", "status"), [
    ("rate", Status.RECEIVED),       # a rating before any answer
    ("reply", Status.RECEIVED),
    ("assign", Status.CLOSED),
    ("merge", Status.ASSIGNED),
    ("close", Status.ASSIGNED),
    ("escalate", Status.REPLIED),
])
def test_illegal_transitions_are_conflicts_that_say_why(action, status):
    actor = Actor.DEPARTMENT if action == "reply" else Actor.STAFF
    with pytest.raises(Conflict, match=f"that is {status.value}; allowed when"):
        rules.check(action, status, actor)


def test_departments_cannot_triage_and_the_public_cannot_close():
    with pytest.raises(Forbidden):
        rules.check("assign", Status.RECEIVED, Actor.DEPARTMENT)
    with pytest.raises(Forbidden):
        rules.check("close", Status.RATED, Actor.PUBLIC)


def test_unsatisfied_reopens_once_then_goes_to_supervision():
    assert rules.after_rating("satisfied", False, True) is Status.RATED
    assert rules.after_rating("basically_satisfied", True, True) is Status.RATED
    assert rules.after_rating("unsatisfied", False, True) is Status.ASSIGNED
    assert rules.after_rating("unsatisfied", False, False) is Status.RECEIVED
    assert rules.after_rating("unsatisfied", True, True) is Status.SUPERVISED


def test_a_case_with_all_departments_returned_goes_back_to_triage():
    assert rules.after_department_change(active=0, replied=0) is Status.RECEIVED
    assert rules.after_department_change(active=0, replied=1) is Status.REPLIED
    assert rules.after_department_change(active=1, replied=1) is Status.ASSIGNED


def test_masks_keep_enough_to_recognise_not_to_identify():
    assert rules.mask_name("张三") == "张*"
    assert rules.mask_name("欧阳修") == "欧**"
    assert rules.mask_phone("13812345678") == "138****5678"
    assert rules.mask_name(None) is None and rules.mask_phone("") is None


def test_deadlines_skip_the_national_day_holiday():
    deadline = add_working_days(date(2026, 9, 30), 1)
    assert deadline.due == date(2026, 10, 8) and deadline.calendar_known


def test_a_year_without_an_official_schedule_falls_back_to_weekdays_and_says_so():
    deadline = add_working_days(date(2031, 3, 6), 1)  # a Thursday
    assert deadline.due == date(2031, 3, 7) and not deadline.calendar_known
    assert add_working_days(date(2031, 3, 7), 1).due == date(2031, 3, 10)  # over the weekend


def test_tracking_codes_carry_at_least_80_random_bits():
    codes = {new_tracking_code() for _ in range(1000)}
    assert len(codes) == 1000
    raw = base64.b32decode(next(iter(codes)) + "====")
    assert len(raw) * 8 >= 80
