"""委员 and 下沉: members, their committee, and where they go to meet the public."""

from __future__ import annotations

from dataclasses import dataclass

from liaison_shared import orgunits
from liaison_shared.errors import Unprocessable
from liaison_shared.orgunits import Level

COMMITTEE_LEVELS = {Level.CITY, Level.COUNTY}
# 基层联系点 sit in towns (街道) and villages (村居).
CONTACT_POINT_LEVELS = {Level.TOWN, Level.VILLAGE}


def check_committee(org_unit: str) -> None:
    """A member sits on the committee of a city or a county."""
    if orgunits.level_of(org_unit) not in COMMITTEE_LEVELS:
        raise Unprocessable("a member's org_unit is the city or county whose committee they sit on")


def check_contact_point(member_org_unit: str, contact_point: str) -> None:
    if orgunits.level_of(contact_point) not in CONTACT_POINT_LEVELS:
        raise Unprocessable("a contact point is a town or village unit")
    if not orgunits.is_within(contact_point, member_org_unit):
        raise Unprocessable("a member is assigned to contact points under its own committee")


@dataclass(frozen=True)
class Candidate:
    """A contact point with what is known of it for the suggestion."""

    code: str
    name: str
    sectors_present: frozenset[str]   # sectors of the members already assigned there
    occupations_present: frozenset[str]
    members_assigned: int


@dataclass(frozen=True)
class Suggestion:
    code: str
    name: str
    score: float
    reasons: tuple[str, ...]


def suggest_contact_points(
    *, sector_id: str, occupation: str | None, region: str | None,
    candidates: list[Candidate], limit: int = 5,
) -> list[Suggestion]:
    """Rank contact points for a member by region, sector and occupation (seed 对策 三).

    Near home counts most (the member knows the place); then places where the member's
    sector is not yet present (so every sector reaches the grassroots); then places
    with few members (to fill gaps); a matching occupation is a small plus.
    """
    ranked: list[Suggestion] = []
    for c in candidates:
        score, reasons = 0.0, []
        if region and orgunits.is_valid_code(region):
            if orgunits.is_within(c.code, region) or orgunits.is_within(region, c.code):
                score += 3
                reasons.append("in the member's region")
            elif orgunits.parent_of(c.code) and orgunits.is_within(region, orgunits.parent_of(c.code) or ""):
                score += 1.5
                reasons.append("next to the member's region")
        if sector_id not in c.sectors_present:
            score += 2
            reasons.append("the member's sector is not yet there")
        if c.members_assigned == 0:
            score += 2
            reasons.append("no member is assigned there yet")
        else:
            score += 1 / (1 + c.members_assigned)
        if occupation and occupation in c.occupations_present:
            score += 0.5
            reasons.append("colleagues of the same occupation are there")
        ranked.append(Suggestion(c.code, c.name, round(score, 3), tuple(reasons)))
    ranked.sort(key=lambda s: (-s.score, s.code))
    return ranked[:limit]
