"""议题遴选 — "切口小、关注多、能解决" as a transparent score.

Each part is a number in 0..1 with the figures it came from, so staff can see why a topic
ranks where it does; the weights are data (``selection_weights``) and staff decide.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Part:
    value: float
    weight: float
    basis: dict

    @property
    def weighted(self) -> float:
        return self.value * self.weight


@dataclass(frozen=True)
class Score:
    scope: Part
    attention: Part
    solvability: Part

    @property
    def total(self) -> float:
        weights = self.scope.weight + self.attention.weight + self.solvability.weight
        if weights == 0:
            return 0.0
        return round((self.scope.weighted + self.attention.weighted + self.solvability.weighted) / weights, 4)

    def as_dict(self) -> dict:
        return {"total": self.total, **{name: {**asdict(getattr(self, name)), "value": round(getattr(self, name).value, 4)}
                                       for name in ("scope", "attention", "solvability")}}


def score(weights: dict[str, float], *, org_unit: str, source_units: list[str], people_concerned: int,
          linked_opinions: int, supporters: int, department_units: list[str]) -> Score:
    units = sorted(set(source_units)) or [org_unit]
    scope = Part(1 / len(units), weights.get("scope", 0.0), {"source_org_units": len(units)})

    count = people_concerned + linked_opinions + supporters
    half = max(weights.get("attention_half", 10.0), 1e-9)
    attention = Part(count / (count + half), weights.get("attention", 0.0), {
        "people_concerned": people_concerned, "linked_opinions": linked_opinions, "supporters": supporters,
        "attention_half": half})

    if department_units:
        here = sum(1 for unit in department_units if unit == org_unit)
        solvability = Part(here / len(department_units), weights.get("solvability", 0.0), {
            "departments": len(department_units), "at_this_unit": here})
    else:
        # nobody named yet: neither solvable nor unsolvable here
        solvability = Part(0.5, weights.get("solvability", 0.0), {"departments": 0, "at_this_unit": 0})
    return Score(scope, attention, solvability)
