"""扫码签到 codes (issue 21.5): signed, short-lived, bound to one occasion; a forged, tampered or
foreign code is refused, a genuine one out of its time is told apart; windows and spans follow the
occasion; attendance of sessions and research credit the score under rules that are data."""

import base64
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from liaison_shared import checkin
from liaison_shared.auth import issue_dev_token
from liaison_shared.chinatime import CHINA
from liaison_shared.settings import DEV_AUDIT_KEY, Settings
from members.domain.assessment import AssessmentRules, MemberWork, score
from members.domain.checkin import (
    WindowClosed,
    activity_window,
    code_span,
    session_over,
    timed_window,
)
from pydantic import SecretStr, ValidationError

pytestmark = pytest.mark.unit

KEY = checkin.key_of(Settings(dev_mode=True))
DAY = "3f2b8c1e-5a4d-4e6f-9b7a-1c2d3e4f5a6b"


def _now() -> datetime:
    return datetime.now(UTC)


def _code(**span) -> str:
    now = _now()
    return checkin.issue(KEY, "reception_day", DAY, not_before=span.get("nbf", now - timedelta(seconds=5)),
                         expires=span.get("exp", now + timedelta(minutes=5)))


def test_a_genuine_code_names_its_occasion():
    read = checkin.read(KEY, _code())
    assert (read.occasion, read.occasion_id) == ("reception_day", DAY)
    assert read.not_before < _now() < read.expires


def test_a_tampered_code_is_refused():
    head, body, signature = _code().split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["sub"] = "reception_day:00000000-0000-4000-8000-000000000000"  # another occasion, same signature
    forged_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    with pytest.raises(checkin.InvalidCode) as refused:
        checkin.read(KEY, f"{head}.{forged_body}.{signature}")
    assert not isinstance(refused.value, checkin.CodeOutOfTime)
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    with pytest.raises(checkin.InvalidCode):
        checkin.read(KEY, f"{head}.{body}.{flipped}")


def test_a_code_signed_with_another_key_or_a_bearer_token_is_not_a_code():
    other = checkin.issue(b"x" * 32, "activity", DAY, not_before=_now(), expires=_now() + timedelta(minutes=1))
    with pytest.raises(checkin.InvalidCode):
        checkin.read(KEY, other)
    bearer = issue_dev_token(Settings(dev_mode=True), role="member", org="640221000000", member_id=DAY)
    with pytest.raises(checkin.InvalidCode):
        checkin.read(KEY, bearer)
    with pytest.raises(checkin.InvalidCode):
        checkin.read(KEY, "not-a-code")


def test_a_genuine_code_out_of_its_span_is_told_apart():
    now = _now()
    with pytest.raises(checkin.CodeOutOfTime):
        checkin.read(KEY, _code(nbf=now - timedelta(minutes=10), exp=now - timedelta(minutes=5)))
    with pytest.raises(checkin.CodeOutOfTime):
        checkin.read(KEY, _code(nbf=now + timedelta(minutes=5), exp=now + timedelta(minutes=10)))


def test_the_key_is_derived_from_the_audit_key_unless_its_own_is_set():
    derived = checkin.key_of(Settings(audit_hmac_key=SecretStr("a" * 40)))
    assert derived != b"a" * 40 and len(derived) == 32
    assert checkin.key_of(Settings(checkin_secret=SecretStr("k" * 32))) == b"k" * 32
    assert checkin.check_key(Settings(checkin_secret=SecretStr("short"))) is not None
    assert checkin.check_key(Settings(audit_hmac_key=SecretStr(DEV_AUDIT_KEY))) is not None
    assert checkin.check_key(Settings(audit_hmac_key=SecretStr("a" * 40))) is None


def test_an_activity_counts_on_its_day_in_china_and_a_session_with_grace():
    day = activity_window(date(2026, 6, 1))
    assert day.holds(datetime(2026, 6, 1, 0, 0, tzinfo=CHINA)) and day.holds(datetime(2026, 6, 1, 23, 59, tzinfo=CHINA))
    assert not day.holds(datetime(2026, 5, 31, 23, 59, tzinfo=CHINA))
    start = datetime(2026, 6, 1, 9, tzinfo=CHINA)
    session = timed_window(start, start + timedelta(hours=2), timedelta(minutes=30))
    assert session.holds(start - timedelta(minutes=29)) and not session.holds(start - timedelta(minutes=31))
    assert session.holds(start + timedelta(hours=2, minutes=29))
    open_ended = timed_window(start, None, timedelta(0))  # no end said: to the end of its day
    assert open_ended.closes == datetime(2026, 6, 2, tzinfo=CHINA)


def test_a_code_is_issued_only_in_the_window_and_never_outlives_it():
    start = datetime(2026, 6, 1, 9, tzinfo=CHINA)
    window = timed_window(start, start + timedelta(hours=1), timedelta(minutes=30))
    with pytest.raises(WindowClosed):
        code_span(window, start - timedelta(hours=1), timedelta(minutes=5))
    with pytest.raises(WindowClosed):
        code_span(window, start + timedelta(hours=2), timedelta(minutes=5))
    near_end = window.closes - timedelta(minutes=2)
    assert code_span(window, near_end, timedelta(minutes=5)) == (near_end, window.closes)


def test_sessions_attended_and_research_credit_the_score_by_the_rules_with_caps():
    work = MemberWork(member_id="m", sector_id="s", sessions_attended=3, research={"field_visit": 2, "material": 1})
    defaults = score(work, AssessmentRules())
    assert defaults.breakdown["sessions_attended"] == 6 and defaults.breakdown["research"] == 7
    rules = AssessmentRules(per_session_attended=5, session_cap=12, research_points={"field_visit": 10},
                            research_cap=100)
    changed = score(work, rules)
    assert changed.breakdown["sessions_attended"] == 12  # capped
    assert changed.breakdown["research"] == 20  # material earns nothing under these rules
    with pytest.raises(ValidationError, match="unknown research kinds"):
        AssessmentRules(research_points={"dancing": 1})


def test_only_a_scheduled_session_takes_check_ins():
    assert session_over("scheduled") is None
    assert "cancelled" in (session_over("cancelled") or "")
    assert "concluded" in (session_over("concluded") or "")
    assert "scheduled" in (session_over("postponed") or "")  # a status not known yet: refused, and said why
