"""平罗县 with two towns, a village and departments, registered in members and projected into feedback."""

import uuid

import pytest_asyncio
from liaison_tools.testing import eventually, running, token_for

CITY, PINGLUO = "640200000000", "640221000000"
HUINONG = "640205000000"  # 惠农区: a sibling county, for what must stay out of 平罗县's reach
HUANGQUQIAO, CHENGGUAN, DONGFENG = "640221100000", "640221101000", "640221100201"


@pytest_asyncio.fixture(scope="module")
async def world(platform, service_specs, db_pool):
    settings = platform.model_copy(update={"public_rate_limit_per_minute": 10_000})
    async with running(service_specs["members"], settings) as members, \
            running(service_specs["feedback"], settings) as feedback:
        admin = token_for(settings, "admin", CITY)
        for code, name in [(CITY, "石嘴山市"), (PINGLUO, "平罗县"), (HUANGQUQIAO, "黄渠桥镇"),
                           (CHENGGUAN, "城关镇"), (DONGFENG, "东风村"), (HUINONG, "惠农区")]:
            response = await members.post("/api/v1/org-units", headers=admin, json={"code": code, "name": name})
            assert response.status_code in (201, 409)
        departments = {}
        tag = uuid.uuid4().hex[:6]  # each test module registers its own departments
        for name, unit in [("平罗县水务局", PINGLUO), ("平罗县住建局", PINGLUO), ("黄渠桥镇人民政府", HUANGQUQIAO),
                           ("惠农区水务局", HUINONG)]:
            created = await members.post("/api/v1/departments", headers=admin,
                                         json={"name": f"{name}({tag})", "org_unit": unit})
            assert created.status_code == 201, created.text
            departments[name] = created.json()["id"]

        sector = await members.post("/api/v1/sectors", headers=admin, json={
            "org_unit": PINGLUO, "name": f"农业界({tag})", "category": "professional"})
        member = await members.post("/api/v1/members", headers=admin, json={
            "name": "马红梅", "sector_id": sector.json()["id"], "org_unit": PINGLUO})
        assert member.status_code == 201, member.text
        venue = await members.post("/api/v1/venues", headers=admin, json={
            "kind": "reception_room", "name": f"黄渠桥镇委员会客室({tag})", "org_unit": HUANGQUQIAO})
        assert venue.status_code == 201, venue.text

        async def projected():
            found = await db_pool.fetchval("SELECT count(*) FROM feedback.departments WHERE id = ANY($1::text[])",
                                           list(departments.values()))
            units = await db_pool.fetchval("SELECT count(*) FROM feedback.org_units WHERE code = ANY($1::text[])",
                                           [CITY, PINGLUO, HUANGQUQIAO, CHENGGUAN, DONGFENG, HUINONG])
            people = await db_pool.fetchval("SELECT count(*) FROM feedback.members WHERE id = $1", member.json()["id"])
            return found == len(departments) and units == 6 and people == 1

        await eventually(projected, timeout=30)
        yield {
            "api": feedback, "members": members, "settings": settings, "departments": departments,
            "member_id": member.json()["id"], "venue_id": venue.json()["id"],
            "town_staff": token_for(settings, "staff", HUANGQUQIAO),
            "county_staff": token_for(settings, "staff", PINGLUO),
            "water": token_for(settings, "department", PINGLUO, dept=departments["平罗县水务局"]),
            "housing": token_for(settings, "department", PINGLUO, dept=departments["平罗县住建局"]),
        }


async def submit(api, **overrides) -> dict:
    body = {"content": "村口灌溉渠堵塞，影响春灌", "org_unit": DONGFENG, "channel": "reception_day",
            "category": "水利", "submitter_name": "张三", "submitter_phone": "13812345678", "consent": True}
    body.update(overrides)
    response = await api.post("/api/v1/opinions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def act(api, headers, opinion_id, **body):
    return await api.post(f"/api/v1/opinions/{opinion_id}/actions", headers=headers, json=body)
