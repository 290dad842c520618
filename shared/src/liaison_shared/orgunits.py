"""Org units of the four levels, read off their 12-digit division codes (统计用区划代码).

A code is province(2) city(2) county(2) town(3) village(3): ``640200000000`` 石嘴山市,
``640221000000`` 平罗县, ``640221100000`` a town of it, ``640221100201`` a village.
The level and the parent follow from the code alone, and "a unit and everything under
it" is every code that starts with the unit's significant prefix — so scope checks
need no lookup and become an indexed ``LIKE 'prefix%'`` in SQL.
"""

from __future__ import annotations

import re
from enum import Enum

# [0-9], not \d: \d matches every script's digits (٦٤٠٢…), and $ a trailing newline.
_CODE = re.compile(r"[0-9]{12}")


class Level(str, Enum):  # noqa: UP042 — as auth.Role
    """The four levels: 市 city, 县/区 county, 乡镇/街道 town, 村/社区 village."""

    CITY = "city"
    COUNTY = "county"
    TOWN = "town"
    VILLAGE = "village"


# How many leading digits are significant at each level.
_PREFIX_LENGTH = {Level.CITY: 4, Level.COUNTY: 6, Level.TOWN: 9, Level.VILLAGE: 12}


class InvalidOrgCode(ValueError):
    pass


def is_valid_code(code: str) -> bool:
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        return False
    if code[2:4] == "00":  # a province: above the platform's four levels
        return False
    # A zero town section under a non-zero village section is no code. (A zero county
    # section above a town is allowed: cities without counties, like 东莞, have those.)
    return not (code[6:9] == "000" and code[9:] != "000")


def _level_unchecked(code: str) -> Level:
    if code[9:] != "000":
        return Level.VILLAGE
    if code[6:] != "000000":
        return Level.TOWN
    if code[4:] != "00000000":
        return Level.COUNTY
    return Level.CITY


def level_of(code: str) -> Level:
    if not is_valid_code(code):
        raise InvalidOrgCode(f"not a city, county, town or village division code: {code!r}")
    return _level_unchecked(code)


def prefix_of(code: str) -> str:
    """The significant digits: every unit under ``code`` starts with them."""
    return code[: _PREFIX_LENGTH[level_of(code)]]


def parent_of(code: str) -> str | None:
    """The unit one level up, or None for a city."""
    level = level_of(code)
    if level is Level.CITY:
        return None
    order = list(Level)
    parent_level = order[order.index(level) - 1]
    keep = _PREFIX_LENGTH[parent_level]
    return code[:keep] + "0" * (12 - keep)


def ancestors_of(code: str) -> list[str]:
    """From the parent up to the city."""
    chain: list[str] = []
    current = parent_of(code)
    while current is not None:
        chain.append(current)
        current = parent_of(current)
    return chain


def is_within(code: str, ancestor: str) -> bool:
    """True when ``code`` is ``ancestor`` or a unit under it."""
    if not (is_valid_code(code) and is_valid_code(ancestor)):
        return False
    return code.startswith(prefix_of(ancestor))


def on_the_line(unit: str, of: str) -> bool:
    """``unit`` is ``of``, above it or below it — the county's bureaux for a village case, the
    town's offices for a town case — never a sibling's."""
    return is_within(unit, of) or is_within(of, unit)


def sql_subtree_pattern(code: str) -> str:
    """A LIKE pattern matching the unit and every unit under it."""
    return prefix_of(code) + "%"
