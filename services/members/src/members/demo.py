"""Demo data of `make run`: 石嘴山市 with its counties, towns and villages, generated deterministically.

Loaded through the same handlers as the API (so every event goes out through the outbox)
in one transaction, once: a second run finds the city and leaves everything as it is.

It is laid out for the story a newcomer walks: every member assigned to a village receives
the public there (at the village's 党群服务中心, the venue of its contact point), and the
departments have fixed ids (``department_id``) so feedback's demo can name them in its
dispatch catalogue without waiting for the registry to reach it.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, time, timedelta

import asyncpg
from liaison_shared.auth import Principal, Role
from liaison_shared.chinatime import CHINA, today_in_china
from liaison_shared.errors import Conflict
from liaison_shared.settings import Settings
from liaison_shared.uow import UnitOfWork

from .handlers import people, registry, venues
from .storage import registry as registry_storage

CITY = "640200000000"
ADMIN = Principal(sub="demo-loader", role=Role.ADMIN, org=CITY)

COUNTIES = {
    "640202000000": ("大武口区", {"640202001000": "长胜街道", "640202002000": "朝阳街道", "640202100000": "星海镇"}),
    "640205000000": ("惠农区", {"640205001000": "南街街道", "640205100000": "红果子镇", "640205101000": "尾闸镇"}),
    "640221000000": ("平罗县", {"640221100000": "黄渠桥镇", "640221101000": "城关镇", "640221102000": "宝丰镇"}),
}
# Three villages (communities, in a street) per town: codes town[:9] + 201, 202, 203.
VILLAGES = {
    "640202001000": ["长胜社区", "新华社区", "胜利社区"],
    "640202002000": ["朝阳社区", "游艺社区", "康乐社区"],
    "640202100000": ["星海村", "龙泉村", "潮湖村"],
    "640205001000": ["南街社区", "北苑社区", "钢电社区"],
    "640205100000": ["红果子村", "马家湾村", "五一村"],
    "640205101000": ["尾闸村", "东永固村", "西永固村"],
    "640221100000": ["东风村", "侯家梁村", "西河村"],
    "640221101000": ["城关村", "星火村", "南关村"],
    "640221102000": ["宝丰村", "永胜村", "渠中村"],
}
# Fixed ids of the demo's departments: uuid5 of the unit and the department's short name.
# feedback's demo (feedback/demo.py) derives the same ids for its dispatch catalogue.
DEMO_NAMESPACE = uuid.UUID("6f1c2a52-4d0e-5b8a-9c31-640200000000")


def department_id(org_unit: str, short_name: str) -> str:
    """水务局 of 平罗县 → department_id("640221000000", "水务局"); a town's 人民政府 likewise."""
    return str(uuid.uuid5(DEMO_NAMESPACE, f"department:{org_unit}:{short_name}"))

SECTORS = [("中国共产党", "cpc")] + [
    (n, "parties_groups") for n in (
        "民革", "民盟", "民建", "民进", "农工党", "致公党", "九三学社", "无党派人士",
        "共青团", "总工会", "妇联", "青联", "工商联", "科协", "侨联")
] + [
    (n, "professional") for n in (
        "文化艺术界", "科学技术界", "社会科学界", "经济界", "农业界", "教育界", "体育界",
        "新闻出版界", "医药卫生界", "社会福利和社会保障界", "特别邀请人士")
] + [("少数民族界", "ethnic_religious"), ("宗教界", "ethnic_religious")]
COUNTY_SECTORS = ["中国共产党", "民盟", "民建", "无党派人士", "总工会", "妇联", "工商联",
                  "经济界", "农业界", "教育界", "医药卫生界", "少数民族界"]

SPECIAL_COMMITTEES = {
    "提案委员会": ["民革", "民盟", "民建", "民进"],
    "经济委员会": ["经济界", "工商联", "致公党"],
    "农业和农村委员会": ["农业界", "农工党"],
    "教科卫体委员会": ["教育界", "科学技术界", "医药卫生界", "体育界", "科协", "九三学社"],
    "社会和法制委员会": ["社会福利和社会保障界", "总工会", "妇联", "共青团", "青联"],
    "民族宗教委员会": ["少数民族界", "宗教界", "侨联"],
    "文化文史和学习委员会": ["文化艺术界", "社会科学界", "新闻出版界", "中国共产党", "无党派人士", "特别邀请人士"],
}

DEPARTMENTS = ["水务局", "住房和城乡建设局", "教育局", "卫生健康局", "农业农村局", "生态环境局",
               "交通运输局", "人力资源和社会保障局", "民政局", "市场监督管理局"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "红梅建国玉兰海燕志强秀英丽华文军晓东春生桂芳建华德明淑珍立新永红学军国庆雪梅振华少华秋菊俊杰雅婷"
OCCUPATIONS = ["教师", "医生", "企业管理人员", "农业技术人员", "律师", "工程师", "社区工作者", "个体工商户", "公务员", "记者"]


def _name(rng: random.Random) -> str:
    given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    return rng.choice(SURNAMES) + given


def _contact(index: int, unit: str) -> dict:
    return {"name": "值班室", "email": f"duty{index}@{unit}.example.cn", "phone": f"0952-{6000000 + index:07d}"}


async def load_demo(pool: asyncpg.Pool, settings: Settings) -> str:
    async with UnitOfWork(pool, schema="members") as uow:
        if await registry_storage.org_unit(uow.conn, CITY) is not None:
            return "already loaded"
        counts = await _load(uow, random.Random(2026))  # noqa: S311 — the same made-up demo data on every load, no secret
    return ", ".join(f"{n} {what}" for what, n in counts.items())


async def _load(uow: UnitOfWork, rng: random.Random) -> dict[str, int]:
    counts = dict.fromkeys(("org units", "sectors", "members", "departments", "venues", "reception days"), 0)
    contact = 0

    async def unit(code: str, name: str) -> None:
        nonlocal contact
        contact += 1
        await registry.register_org_unit(uow, ADMIN, {
            "code": code, "name": name, "duty_contact": _contact(contact, code),
            "duties": f"{name}政协组织亮责任：联系界别群众，收集社情民意，组织协商议事。",
            "address": f"{name}人民路{rng.randint(1, 200)}号",
        })
        counts["org units"] += 1

    await unit(CITY, "石嘴山市")
    villages: dict[str, list[str]] = {}
    towns: dict[str, str] = {}
    village_names: dict[str, str] = {}
    for county, (county_name, county_towns) in COUNTIES.items():
        await unit(county, county_name)
        for town, town_name in county_towns.items():
            await unit(town, town_name)
            towns[town] = town_name
            villages[town] = []
            for i, village_name in enumerate(VILLAGES[town]):
                code = town[:9] + f"{201 + i:03d}"
                await unit(code, village_name)
                villages[town].append(code)
                village_names[code] = village_name

    # departments of every level, with duty contacts
    for code, prefix, names in [(CITY, "石嘴山市", DEPARTMENTS)] + [
        (c, n, DEPARTMENTS[:6]) for c, (n, _) in COUNTIES.items()
    ]:
        for name in names:
            contact += 1
            await registry.register_department(uow, ADMIN, {
                "id": department_id(code, name), "name": prefix + name, "org_unit": code,
                "duty_contact": _contact(contact, code)})
            counts["departments"] += 1
    for town, name in towns.items():
        contact += 1
        await registry.register_department(uow, ADMIN, {
            "id": department_id(town, "人民政府"), "name": f"{name}人民政府", "org_unit": town,
            "duty_contact": _contact(contact, town)})
        counts["departments"] += 1

    # sectors and special committees; members of the city and county committees
    sector_ids: dict[str, dict[str, str]] = {}
    for committee, names in [(CITY, [n for n, _ in SECTORS])] + [(c, COUNTY_SECTORS) for c in COUNTIES]:
        sector_ids[committee] = {}
        for name in names:
            category = dict(SECTORS)[name]
            row = await people.register_sector(uow, ADMIN, {"org_unit": committee, "name": name, "category": category})
            sector_ids[committee][name] = row["id"]
            counts["sectors"] += 1
    committee_ids = {}
    for name, linked in SPECIAL_COMMITTEES.items():
        row = await people.register_special_committee(uow, ADMIN, {
            "org_unit": CITY, "name": name, "sector_ids": [sector_ids[CITY][s] for s in linked]})
        committee_ids[name] = (row["id"], linked)
        await people.add_plan_item(uow, ADMIN, row["id"], {
            "year": 2026, "title": f"{name}“一委一品”：联系{linked[0]}委员开展专题调研",
            "sector_id": sector_ids[CITY][linked[0]]})

    all_villages = [v for vs in villages.values() for v in vs]
    serving: dict[str, list[str]] = {v: [] for v in all_villages}  # contact point → member ids
    for committee, size in [(CITY, 150)] + [(c, 50) for c in COUNTIES]:
        names = list(sector_ids[committee])
        for _ in range(size):
            sector = rng.choice(names)
            special = next((cid for cid, linked in committee_ids.values() if sector in linked), None)
            pool_villages = [v for v in all_villages if v.startswith(committee[:6 if committee != CITY else 4])]
            region = rng.choice(pool_villages)
            row = await people.register_member(uow, ADMIN, {
                "name": _name(rng), "sector_id": sector_ids[committee][sector], "org_unit": committee,
                "special_committee_id": special if committee == CITY else None,
                "occupation": rng.choice(OCCUPATIONS), "work_unit": f"{rng.choice(list(towns.values()))}某单位",
                "region": region, "term": "第十一届" if committee == CITY else "第十届",
                "public_contact": "委员工作室热线 0952-12345", "email": None, "phone": None,
            })
            counts["members"] += 1
            if rng.random() < 0.9:  # 下沉; the rest show up in the gaps report
                await people.assign_member(uow, ADMIN, row["id"], region, assigned=True)
                serving[region].append(row["id"])

    # venues: a deliberation hall per county, a reception room per town, a contact point per
    # village, studios of five city sectors
    points: dict[str, str] = {}  # contact point → its venue
    for county, (county_name, _) in COUNTIES.items():
        await venues.register_venue(uow, ADMIN, {"kind": "deliberation_hall", "name": f"{county_name}协商议事厅",
                                                 "org_unit": county, "opening_hours": "工作日 9:00-17:00"})
        counts["venues"] += 1
    for town, name in towns.items():
        await venues.register_venue(uow, ADMIN, {"kind": "reception_room", "name": f"{name}委员会客室",
                                                 "org_unit": town, "opening_hours": "工作日 9:00-17:00"})
        counts["venues"] += 1
        for village in villages[town]:
            village_name = village_names[village]
            office = "村委会院内" if village_name.endswith("村") else "居委会一楼"
            row = await venues.register_venue(uow, ADMIN, {
                "kind": "contact_point", "name": f"{village_name}党群服务中心", "org_unit": village,
                "address": f"{name}{village_name}{office}",
                "opening_hours": "每月15日 9:00-12:00（委员接待日）"})
            points[village] = row["id"]
            counts["venues"] += 1
    for sector in ("经济界", "农业界", "教育界", "医药卫生界", "社会福利和社会保障界"):
        await venues.register_venue(uow, ADMIN, {"kind": "sector_studio", "name": f"{sector}委员工作室",
                                                 "org_unit": CITY, "sector_id": sector_ids[CITY][sector]})
        counts["venues"] += 1

    # a year of reception days: on the 15th of every month, in every town, a member receives the
    # public at the contact point it serves (the villages of the town take turns)
    first = today_in_china()
    first = first.replace(day=15) if first.day <= 15 else (first.replace(day=1) + timedelta(days=32)).replace(day=15)
    for month in range(12):
        day = (first.replace(day=1) + timedelta(days=31 * month)).replace(day=15)
        for i, town in enumerate(towns):
            turns = [villages[town][(month + k) % 3] for k in range(3)]
            taking_turn = next((v for v in turns if serving[v]), None)
            if taking_turn is None:
                continue
            member_id = serving[taking_turn][(month + i) % len(serving[taking_turn])]
            try:
                await venues.schedule_reception_day(uow, ADMIN, {
                    "member_id": member_id, "venue_id": points[taking_turn],
                    "starts_at": datetime.combine(day, time(9), CHINA),
                    "ends_at": datetime.combine(day, time(12), CHINA), "capacity": 30,
                    "topic": "倾听群众呼声，收集社情民意"})
                counts["reception days"] += 1
            except Conflict:  # that member already receives elsewhere that morning: skip the slot
                continue
    return counts
