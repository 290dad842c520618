"""提案 — a proposal from a member's draft to the proposer's evaluation (pure rules).

draft → filed → accepted | not_accepted | merged; accepted → assigned → replied →
evaluated, or on ``unsatisfied`` re-handled once (assigned again), then supervised.
"""

from __future__ import annotations

from datetime import date

from liaison_shared import orgunits
from liaison_shared.errors import Conflict, Forbidden

STATES = {
    "sign": {"draft"},
    "file": {"draft"},
    "accept": {"filed"},
    "reject": {"filed"},
    "merge": {"filed"},
    "assign": {"accepted"},
    "return": {"assigned"},
    "extend": {"assigned"},
    "opinion": {"assigned"},
    "reply": {"assigned"},
    "evaluate": {"replied"},
    "mark_key": {"accepted", "assigned", "replied"},
    "progress": {"accepted", "assigned", "replied", "supervised"},
    "close": {"evaluated", "supervised", "not_accepted"},
}
ACTORS = {
    "sign": {"member"}, "file": {"member", "staff"}, "accept": {"staff"}, "reject": {"staff"},
    "merge": {"staff"}, "assign": {"staff"}, "return": {"department"}, "extend": {"department", "staff"},
    "opinion": {"department"}, "reply": {"department"}, "evaluate": {"member"}, "mark_key": {"leader"},
    "progress": {"staff", "leader"}, "close": {"staff"},
}
REPLY_CLASSES = {
    "A": "所提问题已经解决或基本解决、所提建议已被采纳",
    "B": "所提问题正在解决或列入计划解决",
    "C": "所提问题留作参考或列入规划逐步解决",
    "D": "因条件限制或其他原因目前无法解决，已说明原因",
}
DEFAULT_MONTHS, MAX_MONTHS = 3, 6


def committee_of(org_unit: str) -> str:
    """The city or county committee (政协) a unit belongs to: itself, or the nearest above it."""
    return next(u for u in [org_unit, *orgunits.ancestors_of(org_unit)]
                if orgunits.level_of(u) in (orgunits.Level.CITY, orgunits.Level.COUNTY))


def check(action: str, status: str, actor: str) -> None:
    if actor not in ACTORS[action]:
        raise Forbidden(f"{actor} may not {action.replace('_', ' ')} a proposal")
    if status not in STATES[action]:
        allowed = ", ".join(sorted(STATES[action]))
        raise Conflict(f"cannot {action.replace('_', ' ')} a proposal that is {status}; allowed when: {allowed}",
                       code="illegal_transition")


def number(year: int, sequence: int) -> str:
    return f"{year}-{sequence:04d}"


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for candidate in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)


def after_evaluation(evaluation: str, rehandled: bool) -> str:
    if evaluation != "unsatisfied":
        return "evaluated"
    return "supervised" if rehandled else "assigned"


def in_window(today: date, opens: date, closes: date) -> bool:
    return opens <= today <= closes
