"""社情民意信息, 政协专报 — a report from its draft to its adoption and instructions (pure rules).

draft → submitted (to the parent unit) → adopted | not_adopted; an adopted report takes a
leader's instructions (批示).
"""

from __future__ import annotations

from liaison_shared.errors import Conflict

from .action import ActionName


class Action(ActionName):
    """What staff and leaders do to a report (docs/api.md, Actions)."""

    SUBMIT = "submit"        # 报送
    ADOPT = "adopt"          # 采用
    REJECT = "reject"        # 未采用
    INSTRUCT = "instruct"    # 批示


STATES: dict[Action, set[str]] = {
    Action.SUBMIT: {"draft"}, Action.ADOPT: {"submitted"}, Action.REJECT: {"submitted"},
    Action.INSTRUCT: {"adopted"},
}


def check(action: Action, status: str) -> None:
    """Refuse an action the report's state does not allow (409, naming the states it is allowed in)."""
    if status not in STATES[action]:
        allowed = ", ".join(sorted(STATES[action]))
        raise Conflict(f"cannot {action} a report that is {status}; allowed when: {allowed}",
                       code="illegal_transition")
