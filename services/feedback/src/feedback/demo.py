"""Demo data of `make run` for feedback: the dispatch catalogue (派单目录) and the proposal filing
windows, so the story walks without anyone entering them by hand.

The departments are members' demo departments, named by the ids that demo gives them
(uuid5 of the unit and the short name, see members/demo.py: no import across services).
Idempotent: a rule or a window that exists already, demo's or entered by staff, is left as it is.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import asyncpg
from liaison_shared.chinatime import today_in_china
from liaison_shared.settings import Settings

from .storage import catalogue
from .storage import opinions as opinion_storage
from .storage import proposals as proposal_storage

LOADED_BY = "demo-loader"
CITY = "640200000000"
COUNTY_TOWNS = {
    "640202000000": ["640202001000", "640202002000", "640202100000"],  # 大武口区
    "640205000000": ["640205001000", "640205100000", "640205101000"],  # 惠农区
    "640221000000": ["640221100000", "640221101000", "640221102000"],  # 平罗县
}
DEMO_NAMESPACE = uuid.UUID("6f1c2a52-4d0e-5b8a-9c31-640200000000")  # the same as members' demo

# category (its path in the category tree, migration 20261206100000) → (lead, co-handling), by the
# short names of members' demo departments; a rule covers the sub-categories without one of their own
CITY_RULES = {
    "水利": ("水务局", ["农业农村局"]),
    "城乡建设": ("住房和城乡建设局", []),
    "城乡建设/道路交通": ("交通运输局", ["住房和城乡建设局"]),
    "教育": ("教育局", []),
    "医疗卫生": ("卫生健康局", []),
    "社会保障": ("人力资源和社会保障局", ["民政局"]),
    "生态环境": ("生态环境局", []),
    "农业农村": ("农业农村局", []),
    "市场监管": ("市场监督管理局", []),
}
# a county has six of the city's departments; 社会保障 and 市场监管 go on to the city's rule
COUNTY_RULES = {
    "水利": ("水务局", ["农业农村局"]),
    "城乡建设": ("住房和城乡建设局", []),
    "城乡建设/道路交通": ("住房和城乡建设局", []),
    "教育": ("教育局", []),
    "医疗卫生": ("卫生健康局", []),
    "生态环境": ("生态环境局", []),
    "农业农村": ("农业农村局", []),
}
# handled where it arises: the town government leads, the county's department helps
TOWN_RULES = {
    "水利": "水务局",
    "城乡建设": "住房和城乡建设局",
    "城乡建设/道路交通": "住房和城乡建设局",
}


def department_id(org_unit: str, short_name: str) -> str:
    return str(uuid.uuid5(DEMO_NAMESPACE, f"department:{org_unit}:{short_name}"))


def dispatch_rules() -> list[dict]:
    """Every rule of the demo's catalogue: per category at the city, each county and each town."""
    rules = [_rule(category, CITY, CITY, lead, co) for category, (lead, co) in CITY_RULES.items()]
    for county, towns in COUNTY_TOWNS.items():
        rules += [_rule(category, county, county, lead, co) for category, (lead, co) in COUNTY_RULES.items()]
        for town in towns:
            rules += [{"category": category, "org_unit": town, "lead_department": department_id(town, "人民政府"),
                       "co_departments": [department_id(county, helper)]}
                      for category, helper in TOWN_RULES.items()]
    return rules


def _rule(category: str, org_unit: str, departments_of: str, lead: str, co: list[str]) -> dict:
    return {"category": category, "org_unit": org_unit, "lead_department": department_id(departments_of, lead),
            "co_departments": [department_id(departments_of, d) for d in co]}


def filing_windows() -> list[tuple[str, int]]:
    """(committee, year): the city and county committees, this year and next (China time)."""
    year = today_in_china().year
    return [(committee, y) for committee in (CITY, *COUNTY_TOWNS) for y in (year, year + 1)]


async def load_demo(pool: asyncpg.Pool, settings: Settings) -> str:
    rules = windows = 0
    async with pool.acquire() as conn, conn.transaction():
        for rule in dispatch_rules():
            if await catalogue.matching_rule(conn, [rule["category"]], [rule["org_unit"]]) is None:
                await catalogue.upsert_dispatch_rule(conn, rule, LOADED_BY)
                rules += 1
        for committee, year in filing_windows():
            if await proposal_storage.session(conn, committee, year) is None:
                # the whole year: a newcomer files the story's proposal on whatever day it is
                await proposal_storage.put_session(conn, committee, year, date(year, 1, 1), date(year, 12, 31))
                windows += 1
    summary = f"{rules} dispatch rules, {windows} proposal filing windows" if rules or windows else "already loaded"
    if not await _registry_arrived(pool):
        summary += " (the registry has not reached feedback yet: the catalogue's departments are unknown here)"
    return summary


async def _registry_arrived(pool: asyncpg.Pool, timeout_s: float = 30) -> bool:
    """`make run` says ready once a villager's opinion can be taken in and routed: the demo's
    villages and the catalogue's departments have reached feedback's registry projection."""
    departments = sorted({d for r in dispatch_rules() for d in (r["lead_department"], *r["co_departments"])})
    villages = [town[:9] + f"{201 + i:03d}" for towns in COUNTY_TOWNS.values() for town in towns for i in range(3)]
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        async with pool.acquire() as conn:
            known = await opinion_storage.department_units(conn, departments)
            arrived = len(known) == len(departments) and all(
                [await opinion_storage.org_unit_exists(conn, v) for v in villages])
        if arrived or asyncio.get_running_loop().time() > deadline:
            return arrived
        await asyncio.sleep(0.2)
