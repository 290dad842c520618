"""The labelled set of the duplicate suggester (关注多): 212 complaints of ten kinds as villagers
put them, grouped by the matter they raise (``group``: the same lamp, the same ditch, the same
pension not paid). Two complaints of one group say the same thing; of two groups, they do not —
whatever words they share (村口路灯不亮 and 村口到学校的路面破了 are not the same).

How the suggester is measured: each complaint in turn is the new case and the 211 others the
open cases of one unit (the hardest case: a unit with every kind of complaint at once); the
suggester answers at most ``SHOWN`` of them. Every suggestion of the same group is a true
positive, of another group a false positive; every complaint of the group not suggested a false
negative.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

SET = Path(__file__).with_name("duplicates.jsonl")
SHOWN = 3  # the route's default limit


def load() -> list[dict]:
    return [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line.strip()]


def precision_recall(rows: Sequence[dict], suggested: Callable[[int], set[int]]) -> tuple[float, float]:
    """``suggested(i)``: the indexes the suggester proposes for complaint ``i`` among the others."""
    true_pos = false_pos = false_neg = 0
    for i, row in enumerate(rows):
        same = {j for j, other in enumerate(rows) if j != i and other["group"] == row["group"]}
        found = suggested(i)
        assert i not in found, "a case is never its own duplicate"
        true_pos += len(found & same)
        false_pos += len(found - same)
        false_neg += len(same - found)
    return true_pos / max(true_pos + false_pos, 1), true_pos / max(true_pos + false_neg, 1)
