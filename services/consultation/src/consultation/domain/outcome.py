"""成果 — a consensus point or suggestion of a consultation: converted, then evaluated (pure rules).

drafted → converted (into a report to the party committee and government, a department
task with a deadline, a proposal, or a public-opinion report) → evaluated. An outcome
evaluated as adopted or being implemented may be evaluated again as it goes on; a topic
closes only when every one of its outcomes is evaluated.
"""

from __future__ import annotations

from liaison_shared.errors import Conflict, Forbidden

STILL_GOING = {"adopted", "implementing"}
RULES: dict[str, tuple[set[str], set[str]]] = {
    "convert": ({"drafted"}, {"staff"}),
    "instruct": ({"converted", "evaluated"}, {"leader"}),
    "evaluate": ({"converted", "evaluated"}, {"staff"}),
    # 公开: once it is more than a draft; withdrawn the same way
    "publish": ({"converted", "evaluated"}, {"staff"}),
}


def check(action: str, outcome: dict, actor: str) -> None:
    states, actors = RULES[action]
    if actor not in actors:
        raise Forbidden(f"{actor} may not {action} an outcome")
    if outcome["status"] not in states:
        allowed = ", ".join(sorted(states))
        raise Conflict(f"cannot {action} an outcome that is {outcome['status']}; allowed when: {allowed}",
                       code="illegal_transition")
    if action == "evaluate" and outcome["status"] == "evaluated" and outcome["result"] not in STILL_GOING:
        raise Conflict(f"the outcome was evaluated as {outcome['result']}: that is final", code="illegal_transition")
    if action == "instruct" and outcome["target_kind"] != "party_report":
        raise Conflict("a 批示 is recorded on a report to the party committee and government",
                       code="illegal_transition")


def satisfaction_rate(satisfied: int, basically: int, unsatisfied: int) -> float | None:
    total = satisfied + basically + unsatisfied
    return round((satisfied + basically) / total, 4) if total else None
