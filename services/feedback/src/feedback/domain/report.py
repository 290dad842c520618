"""社情民意信息, 政协专报 — a report from its draft to its adoption and instructions (pure rules).

draft → submitted (to the parent unit; a member's draft to its own committee, once every
co-author confirmed) → forwarded up any number of levels → adopted | not_adopted; an adopted
report takes a leader's instructions (批示).
"""

from __future__ import annotations

from liaison_shared.errors import Conflict

from .action import ActionName


class Action(ActionName):
    """What staff and leaders do to a report (docs/api.md, Actions)."""

    CONFIRM = "confirm"      # 联名确认 (a co-author)
    SUBMIT = "submit"        # 报送
    FORWARD = "forward"      # 转报 (up one more level)
    ADOPT = "adopt"          # 采用
    REJECT = "reject"        # 未采用
    INSTRUCT = "instruct"    # 批示


STATES: dict[Action, set[str]] = {
    Action.CONFIRM: {"draft"}, Action.SUBMIT: {"draft"}, Action.FORWARD: {"submitted"},
    Action.ADOPT: {"submitted"}, Action.REJECT: {"submitted"}, Action.INSTRUCT: {"adopted"},
}

# the levels of adoption, lowest first: a unit adopts at its own level, or records an adoption
# that came back from above it — never one below it (a county adoption is not "city", nor the reverse)
ADOPTION_LEVELS = ("town", "county", "city", "province", "national")


def adoption_levels(receiving_level: str) -> tuple[str, ...]:
    """What the staff of a receiving unit of ``receiving_level`` may name as ``adopted_by``."""
    if receiving_level not in ADOPTION_LEVELS:  # a village receives nothing: its town would
        return ()
    return ADOPTION_LEVELS[ADOPTION_LEVELS.index(receiving_level):]


def unconfirmed(member_ids: list[str], confirmed: list[str]) -> list[str]:
    """Co-authors who have not confirmed yet (联名: every one confirms before it is submitted)."""
    return [m for m in member_ids if m not in confirmed]


def check(action: Action, status: str) -> None:
    """Refuse an action the report's state does not allow (409, naming the states it is allowed in)."""
    if status not in STATES[action]:
        allowed = ", ".join(sorted(STATES[action]))
        raise Conflict(f"cannot {action} a report that is {status}; allowed when: {allowed}",
                       code="illegal_transition")
