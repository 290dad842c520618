"""Org units and departments: the registry every other service projects from."""

from __future__ import annotations

from dataclasses import dataclass

from liaison_shared import orgunits
from liaison_shared.errors import Conflict, Unprocessable
from liaison_shared.orgunits import Level

# 政协委员会 at city and county level, 联络小组 in towns, 联系点 in villages.
KIND_BY_LEVEL = {
    Level.CITY: "committee",
    Level.COUNTY: "committee",
    Level.TOWN: "liaison_group",
    Level.VILLAGE: "contact_point",
}


@dataclass(frozen=True)
class NewOrgUnit:
    """组织单元 — a unit of one of the four levels, keyed by its division code."""

    code: str
    name: str
    parent: str | None
    level: Level
    kind: str


def plan_org_unit(code: str, name: str, *, parent_exists: bool, exists: bool) -> NewOrgUnit:
    """Check a new unit against the tree: a valid code whose parent is already registered."""
    if not orgunits.is_valid_code(code):
        raise Unprocessable(f"{code!r} is not a city, county, town or village division code")
    if exists:
        raise Conflict(f"org unit {code} already exists", code="duplicate")
    level = orgunits.level_of(code)
    parent = orgunits.parent_of(code)
    if parent is not None and not parent_exists:
        raise Unprocessable(f"the parent unit {parent} of {code} is not registered")
    if not name.strip():
        raise Unprocessable("an org unit needs a name")
    return NewOrgUnit(code=code, name=name.strip(), parent=parent, level=level, kind=KIND_BY_LEVEL[level])
