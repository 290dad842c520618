"""平罗县 with two towns and a village, departments, a member at a contact point and a venue —
registered in members and projected into consultation; feedback runs beside them."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from liaison_tools.testing import eventually, running, token_for

CITY, PINGLUO = "640200000000", "640221000000"
HUANGQUQIAO, CHENGGUAN, DONGFENG = "640221100000", "640221101000", "640221100201"
HUINONG = "640205000000"  # 惠农区: a sibling county of 平罗县


@pytest_asyncio.fixture(scope="module")
async def world(platform, service_specs, db_pool):
    settings = platform
    async with running(service_specs["members"], settings) as members, \
            running(service_specs["consultation"], settings) as consultation, \
            running(service_specs["feedback"], settings) as feedback:
        admin = token_for(settings, "admin", CITY)
        for code, name in [(CITY, "石嘴山市"), (PINGLUO, "平罗县"), (HUANGQUQIAO, "黄渠桥镇"),
                           (CHENGGUAN, "城关镇"), (DONGFENG, "东风村"), (HUINONG, "惠农区")]:
            response = await members.post("/api/v1/org-units", headers=admin, json={"code": code, "name": name})
            assert response.status_code in (201, 409)
        tag = uuid.uuid4().hex[:6]
        departments = {}
        for name, unit in [("平罗县水务局", PINGLUO), ("黄渠桥镇人民政府", HUANGQUQIAO), ("石嘴山市发改委", CITY),
                           ("惠农区水务局", HUINONG)]:
            created = await members.post("/api/v1/departments", headers=admin,
                                         json={"name": f"{name}({tag})", "org_unit": unit})
            assert created.status_code == 201, created.text
            departments[name] = created.json()["id"]
        sector = await members.post("/api/v1/sectors", headers=admin, json={
            "org_unit": PINGLUO, "name": f"农业界({tag})", "category": "professional"})
        huinong_sector = await members.post("/api/v1/sectors", headers=admin, json={
            "org_unit": HUINONG, "name": f"农业界({tag})", "category": "professional"})
        people = {}
        for name, unit, in_sector in (("马红梅", PINGLUO, sector), ("李建国", PINGLUO, sector),
                                      ("王淑芬", HUINONG, huinong_sector)):
            member = await members.post("/api/v1/members", headers=admin, json={
                "name": name, "sector_id": in_sector.json()["id"], "org_unit": unit})
            assert member.status_code == 201, member.text
            people[name] = member.json()["id"]
        assigned = await members.post(f"/api/v1/members/{people['马红梅']}/assignments", headers=admin,
                                      json={"contact_point": DONGFENG})
        assert assigned.status_code == 201, assigned.text
        venue = await members.post("/api/v1/venues", headers=admin, json={
            "kind": "deliberation_hall", "name": f"东风村议事厅({tag})", "org_unit": DONGFENG})
        assert venue.status_code == 201, venue.text

        async def assigned_projected():
            return await db_pool.fetchval("SELECT $2 = ANY(contact_points) FROM consultation.members WHERE id = $1",
                                          people["马红梅"], DONGFENG)

        await eventually(projected_without_contact(db_pool, departments, venue.json()["id"], people), timeout=40)
        await eventually(assigned_projected, timeout=40)
        yield {
            "api": consultation, "feedback": feedback, "members": members, "settings": settings,
            "departments": departments, "people": people, "venue_id": venue.json()["id"],
            "admin": admin,
            "village_staff": token_for(settings, "staff", DONGFENG),
            "town_staff": token_for(settings, "staff", HUANGQUQIAO),
            "sibling_staff": token_for(settings, "staff", CHENGGUAN),
            "county_staff": token_for(settings, "staff", PINGLUO),
            "county_leader": token_for(settings, "leader", PINGLUO),
            "city_staff": token_for(settings, "staff", CITY),
            "city_leader": token_for(settings, "leader", CITY),
            "member": token_for(settings, "member", PINGLUO, member_id=people["马红梅"]),
            "water": token_for(settings, "department", PINGLUO, dept=departments["平罗县水务局"]),
            # 李建国 sits in 平罗县's committee but has no contact point at 东风村: not invited there
            "uninvited_member": token_for(settings, "member", PINGLUO, member_id=people["李建国"]),
            "town_government": token_for(settings, "department", HUANGQUQIAO,
                                         dept=departments["黄渠桥镇人民政府"]),
            "huinong_staff": token_for(settings, "staff", HUINONG),
            "huinong_leader": token_for(settings, "leader", HUINONG),
            "huinong_member": token_for(settings, "member", HUINONG, member_id=people["王淑芬"]),
            "huinong_water": token_for(settings, "department", HUINONG, dept=departments["惠农区水务局"]),
        }


def projected_without_contact(db_pool, departments, venue_id, people):
    async def check():
        return await db_pool.fetchval(
            "SELECT (SELECT count(*) FROM consultation.departments WHERE id = ANY($1::text[])) = 4"
            " AND (SELECT count(*) FROM consultation.org_units WHERE code = ANY($2::text[])) = 6"
            " AND (SELECT count(*) FROM consultation.venues WHERE id = $3) = 1"
            " AND (SELECT count(*) FROM consultation.members WHERE id = ANY($4::text[])) = 3"
            " AND (SELECT count(*) FROM feedback.departments WHERE id = ANY($1::text[])) = 4",
            list(departments.values()), [CITY, PINGLUO, HUANGQUQIAO, CHENGGUAN, DONGFENG, HUINONG], venue_id,
            list(people.values()))
    return check


async def topic(world, headers, **body) -> dict:
    body = {"title": "东风村灌溉渠清淤", "org_unit": DONGFENG, "source_kind": "village_committee", **body}
    response = await world["api"].post("/api/v1/topics", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def act(world, headers, topic_id, **body):
    return await world["api"].post(f"/api/v1/topics/{topic_id}/actions", headers=headers, json=body)


async def ok(response, status=200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def hours_from_now(hours: float) -> str:
    """A session's time relative to now: one that has started may be concluded, one ahead may not."""
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()
