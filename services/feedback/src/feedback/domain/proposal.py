"""提案 — a proposal from a member's draft to the proposer's evaluation (pure rules).

draft → filed → accepted | not_accepted | merged; accepted → assigned → replied →
evaluated, or on ``unsatisfied`` re-handled once (assigned again), then supervised.
"""

from __future__ import annotations

from datetime import date

from liaison_shared import orgunits
from liaison_shared.contracts.feedback import Rating, ReplyClass
from liaison_shared.errors import Conflict, Forbidden

from .action import ActionName


class Action(ActionName):
    """What members, staff, departments and leaders do to a proposal (docs/api.md, Actions)."""

    SIGN = "sign"            # 联名: a co-signer confirms
    FILE = "file"            # 提交
    ACCEPT = "accept"        # 立案
    REJECT = "reject"        # 不予立案
    MERGE = "merge"          # 并案
    ASSIGN = "assign"        # 交办
    RETURN = "return"        # 退回
    EXTEND = "extend"        # 延期
    OPINION = "opinion"      # 协办意见
    REPLY = "reply"          # 答复
    EVALUATE = "evaluate"    # 评价
    MARK_KEY = "mark_key"    # 重点提案
    PROGRESS = "progress"    # 督办进展
    CLOSE = "close"          # 办结
    CONSENT = "consent_disclosure"  # 同意公开: a proposer agrees to the reply being made public
    PUBLISH = "publish_reply"       # 公开答复


REPLIED = {"replied", "evaluated", "supervised", "closed"}  # a reply exists (a closed one may have none)
STATES: dict[Action, set[str]] = {
    Action.SIGN: {"draft"},
    Action.FILE: {"draft"},
    Action.ACCEPT: {"filed"},
    Action.REJECT: {"filed"},
    Action.MERGE: {"filed"},
    Action.ASSIGN: {"accepted"},
    Action.RETURN: {"assigned"},
    Action.EXTEND: {"assigned"},
    Action.OPINION: {"assigned"},
    Action.REPLY: {"assigned"},
    Action.EVALUATE: {"replied"},
    Action.MARK_KEY: {"accepted", "assigned", "replied"},
    Action.PROGRESS: {"accepted", "assigned", "replied", "supervised"},
    Action.CLOSE: {"evaluated", "supervised", "not_accepted"},
    Action.CONSENT: {"draft", "filed", "accepted", "assigned", "replied", "evaluated", "supervised", "closed"},
    Action.PUBLISH: REPLIED,
}
ACTORS: dict[Action, set[str]] = {
    Action.SIGN: {"member"}, Action.FILE: {"member", "staff"}, Action.ACCEPT: {"staff"},
    Action.REJECT: {"staff"}, Action.MERGE: {"staff"}, Action.ASSIGN: {"staff"}, Action.RETURN: {"department"},
    Action.EXTEND: {"department", "staff"}, Action.OPINION: {"department"}, Action.REPLY: {"department"},
    Action.EVALUATE: {"member"}, Action.MARK_KEY: {"leader"}, Action.PROGRESS: {"staff", "leader"},
    Action.CLOSE: {"staff"}, Action.CONSENT: {"member"}, Action.PUBLISH: {"staff"},
}
REPLY_CLASSES: dict[ReplyClass, str] = {
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


def check(action: Action, status: str, actor: str) -> None:
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


def after_evaluation(evaluation: Rating, rehandled: bool) -> str:
    if evaluation != "unsatisfied":
        return "evaluated"
    return "supervised" if rehandled else "assigned"


def in_window(today: date, opens: date, closes: date) -> bool:
    return opens <= today <= closes
