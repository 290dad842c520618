"""议题 — a topic's way from the pool to its close (pure rules).

proposed → selected → plan_submitted → approved → consulting → concluded → closed, or
declined from the pool. 小事简议 (small_matter) skips the plan and its approval: a selected
small matter goes straight to a session, and its one sitting concludes it. 急事快议
(urgent) keeps every step with shorter deadlines and is notified at once. A topic still in
the pool or selected may be raised to the parent unit or handed down to one below; it
keeps its id and history and starts again in the new unit's pool.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import Enum

from liaison_shared import orgunits
from liaison_shared.errors import Conflict, Forbidden, Unprocessable


class Stage(str, Enum):  # noqa: UP042 — as auth.Role: a StrEnum would change what str() and f-strings make of a stage
    PROPOSED = "proposed"              # 议题库: in the pool
    SELECTED = "selected"              # 选定: taken up, its track chosen
    PLAN_SUBMITTED = "plan_submitted"  # 协商计划报党委审定
    APPROVED = "approved"              # 党委审定同意
    CONSULTING = "consulting"          # 协商议事: sessions scheduled or held
    CONCLUDED = "concluded"            # 协商结束: outcomes being converted and evaluated
    CLOSED = "closed"                  # 办结: every outcome evaluated
    DECLINED = "declined"              # 未采用


class Track(str, Enum):  # noqa: UP042 — as auth.Role
    STANDARD = "standard"
    SMALL_MATTER = "small_matter"      # 小事简议
    URGENT = "urgent"                  # 急事快议


P, S = Stage.PROPOSED, Stage.SELECTED
RULES: dict[str, tuple[set[Stage], set[str]]] = {
    "select": ({P}, {"staff"}),
    "decline": ({P, S}, {"staff"}),
    "support": ({P, S}, {"staff", "member"}),
    "raise": ({P, S}, {"staff"}),
    "hand_down": ({P, S}, {"staff"}),
    "submit_plan": ({S}, {"staff"}),
    "approve": ({Stage.PLAN_SUBMITTED}, {"leader"}),
    "return_plan": ({Stage.PLAN_SUBMITTED}, {"leader"}),
    "conclude": ({Stage.CONSULTING}, {"staff"}),
    "close": ({Stage.CONCLUDED}, {"staff"}),
}
OPEN = {P, S, Stage.PLAN_SUBMITTED, Stage.APPROVED, Stage.CONSULTING, Stage.CONCLUDED}
RESEARCH_STAGES = {S, Stage.PLAN_SUBMITTED, Stage.APPROVED, Stage.CONSULTING}
OUTCOME_STAGES = {Stage.CONSULTING, Stage.CONCLUDED}


def check(action: str, stage: Stage, actor: str, track: Track) -> None:
    stages, actors = RULES[action]
    if actor not in actors:
        raise Forbidden(f"{actor} may not {action.replace('_', ' ')} a topic")
    if stage not in stages:
        allowed = ", ".join(sorted(s.value for s in stages))
        raise Conflict(f"cannot {action.replace('_', ' ')} a topic that is {stage.value}; allowed when: {allowed}",
                       code="illegal_transition")
    if action == "submit_plan" and track is Track.SMALL_MATTER:
        raise Conflict("小事简议 needs no plan approval: schedule its session directly", code="illegal_transition")


def may_schedule(stage: Stage, track: Track) -> None:
    """Sessions follow the approved plan; a small matter needs only its selection."""
    if stage in (Stage.APPROVED, Stage.CONSULTING):
        return
    if stage is Stage.SELECTED and track is Track.SMALL_MATTER:
        return
    needed = "selected (小事简议) or approved" if stage is Stage.SELECTED else "approved"
    raise Conflict(f"a session needs a topic that is {needed}; this one is {stage.value}", code="illegal_transition")


def hand_down_target(current: str, target: str) -> str:
    if not orgunits.is_valid_code(target) or target == current or not orgunits.is_within(target, current):
        raise Unprocessable(f"{target} is not an org unit below {current}")
    return target


def raise_target(current: str) -> str:
    parent = orgunits.parent_of(current)
    if parent is None:
        raise Conflict("the city is the top level: there is nowhere to raise the topic to", code="illegal_transition")
    return parent


def due(track: Track, step_days: dict[str, int], today: date, steps: list[str]) -> dict[str, str]:
    """Due dates (calendar days, China time) of the given steps on this track."""
    return {step: (today + timedelta(days=step_days[step])).isoformat() for step in steps if step in step_days}


def urgency(track: Track | str) -> str:
    return "urgent" if Track(track) is Track.URGENT else "normal"
