"""群众意见 — an opinion handed in by a member of the public, and the rules of its triage.

The case moves through a small state machine. Each action names the states it is
allowed in and who may take it; anything else is refused with a clear reason (409).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Literal

from liaison_shared.contracts.feedback import Rating
from liaison_shared.errors import Conflict, Forbidden

from .action import ActionName


class Status(str, Enum):  # noqa: UP042 — as auth.Role: a StrEnum would change what str() and f-strings make of a status
    RECEIVED = "received"        # 已受理: waiting for triage at its handling unit
    ESCALATED = "escalated"      # 已上报: handed up, waiting for triage at the unit above
    ANSWERED = "answered"        # 当场答复: answered on the spot
    ASSIGNED = "assigned"        # 交办: with one or more departments, a deadline running
    REPLIED = "replied"          # 已答复: every department answered, or what it became answered it
    RATED = "rated"              # 已评价: the submitter was satisfied (or basically)
    SUPERVISED = "supervised"    # 督办: unsatisfied after a reopening
    CONVERTED = "converted"      # 已转化: became a proposal, report, speech or topic; open toward the
                                 # citizen until that is answered (then replied) or closed
    MERGED = "merged"            # 已合并: folded into another case
    CLOSED = "closed"            # 已办结


class Actor(str, Enum):  # noqa: UP042 — as auth.Role
    STAFF = "staff"              # staff of the handling unit or of a unit above it
    DEPARTMENT = "department"    # a department the case is assigned to
    PUBLIC = "public"            # the submitter, by tracking code


class Action(ActionName):
    """What staff, departments and the public do to a case (docs/api.md, Actions): the names the
    action models, the state machine and the history use."""

    ANSWER_ON_SPOT = "answer_on_spot"  # 当场答复
    ASSIGN = "assign"                  # 交办
    RECALL = "recall"                  # 召回
    ESCALATE = "escalate"              # 上报
    CONVERT = "convert"                # 成果转化
    MERGE = "merge"                    # 合并
    RETURN = "return"                  # 退单
    RULE_RETURN = "rule_return"        # 退单审核
    EXTEND = "extend"                  # 延期
    REPLY = "reply"                    # 答复
    RATE = "rate"                      # 评价
    SUPERVISE = "supervise"            # 督办
    CLOSE = "close"                    # 办结


ConversionTarget = Literal["proposal", "public_opinion_report", "special_report", "plenary_speech", "topic"]
SupervisionForm = Literal["督办", "专题视察", "电视问政", "专项评议", "协商监督建议书"]

OPEN = {Status.RECEIVED, Status.ESCALATED, Status.ASSIGNED, Status.ANSWERED, Status.REPLIED, Status.SUPERVISED}
TRIAGE = {Status.RECEIVED, Status.ESCALATED}  # waiting for staff of the handling unit


@dataclass(frozen=True)
class Rule:
    states: frozenset[Status]
    actors: frozenset[Actor]


def _rule(states, actors) -> Rule:
    return Rule(frozenset(states), frozenset(actors))


S, D = Actor.STAFF, Actor.DEPARTMENT
RULES: dict[Action, Rule] = {
    Action.ANSWER_ON_SPOT: _rule(TRIAGE, {S}),
    Action.ASSIGN: _rule(TRIAGE, {S}),
    Action.RECALL: _rule({Status.ASSIGNED}, {S}),
    Action.ESCALATE: _rule(TRIAGE, {S}),
    Action.CONVERT: _rule({*TRIAGE, Status.ANSWERED, Status.REPLIED, Status.RATED}, {S}),
    Action.MERGE: _rule(TRIAGE, {S}),
    Action.RETURN: _rule({Status.ASSIGNED}, {D}),
    # after a return: the case waits in triage, or stays assigned while co-handlers still work
    Action.RULE_RETURN: _rule({*TRIAGE, Status.ASSIGNED}, {S}),
    Action.EXTEND: _rule({Status.ASSIGNED}, {S, D}),
    Action.REPLY: _rule({Status.ASSIGNED}, {D}),
    Action.RATE: _rule({Status.ANSWERED, Status.REPLIED}, {S, Actor.PUBLIC}),
    Action.SUPERVISE: _rule({Status.ASSIGNED, Status.SUPERVISED, Status.REPLIED}, {S}),
    Action.CLOSE: _rule({*TRIAGE, Status.ANSWERED, Status.REPLIED, Status.RATED,
                         Status.SUPERVISED, Status.CONVERTED}, {S}),
}

HINTS = {
    (Action.ESCALATE, Status.ASSIGNED): " (recall the assignment first: action recall with a reason)",
    (Action.CONVERT, Status.ASSIGNED): " (recall the assignment first: action recall with a reason)",
}


def allowed(status: Status, actor: Actor) -> list[Action]:
    """The actions ``actor`` may take on a case in ``status`` — what ``check`` lets through."""
    return [action for action, rule in RULES.items() if actor in rule.actors and status in rule.states]


def check(action: Action, status: Status, actor: Actor) -> None:
    """Refuse an action the current state or the actor does not allow."""
    rule = RULES[action]
    if actor not in rule.actors:
        raise Forbidden(f"{actor.value} may not {action.replace('_', ' ')} a case")
    if status not in rule.states:
        allowed = ", ".join(sorted(s.value for s in rule.states))
        hint = HINTS.get((action, status), "")
        raise Conflict(
            f"cannot {action.replace('_', ' ')} a case that is {status.value}; allowed when: {allowed}{hint}",
            code="illegal_transition",
        )


def after_rating(rating: Rating, reopened_before: bool, had_departments: bool) -> Status:
    """满意 closes the loop; 不满意 reopens once (back to its departments), then 督办."""
    if rating != "unsatisfied":
        return Status.RATED
    if reopened_before:
        return Status.SUPERVISED
    return Status.ASSIGNED if had_departments else Status.RECEIVED


def after_department_change(active: int, replied: int) -> Status:
    """Where an assigned case stands once a department replied or returned it."""
    if active == 0:
        return Status.REPLIED if replied else Status.RECEIVED
    return Status.ASSIGNED


CONVERTED_INTO: dict[ConversionTarget, str] = {
    "proposal": "a proposal", "topic": "a consultation topic", "public_opinion_report": "a public-opinion report",
    "special_report": "a special report", "plenary_speech": "a plenary speech",
}


def deadline_in_force(status: Status, converted_to: dict | None, active_deadlines: list[date]
                      ) -> tuple[date | None, str | None]:
    """The reply deadline that runs now — the latest of the open assignments — or none, and why.
    Returns, recalls, escalations and conversions end the deadline that ran before them."""
    if status in (Status.ASSIGNED, Status.SUPERVISED) and active_deadlines:
        return max(active_deadlines), None
    if converted_to and status is Status.CONVERTED:
        kind = converted_to.get("kind")
        return None, f"converted into {CONVERTED_INTO.get(kind, kind) if kind else kind}:" \
                     " answered when that is"
    reasons = {
        Status.RECEIVED: "waiting for triage at its handling unit",
        Status.ESCALATED: "handed up: waiting for triage at the unit above",
        Status.SUPERVISED: "under supervision (督办)",
        Status.MERGED: "merged into another case: its deadline runs there",
    }
    return None, reasons.get(status, "answered: no reply deadline runs")


def short_title(text: str, limit: int = 40) -> str:
    """A title from a text: its first sentence, at most ``limit`` characters (…when cut)."""
    first = text.strip()
    for stop in "。！？!?\n；;":
        first = first.split(stop, 1)[0]
    first = first.strip() or text.strip()
    return first if len(first) <= limit else first[: limit - 1] + "…"


def mask_name(name: str | None) -> str | None:
    """张三 → 张*, 欧阳修 → 欧**: enough to recognise, not to identify."""
    if not name:
        return None
    return name[0] + "*" * max(1, len(name) - 1)


def mask_phone(phone: str | None) -> str | None:
    """13812345678 → 138****5678."""
    if not phone:
        return None
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
