"""A small registry for the members tests: 石嘴山市, two of its counties, a town and villages."""

import uuid

import pytest_asyncio
from liaison_tools.testing import running, token_for

CITY, PINGLUO, HUINONG = "640200000000", "640221000000", "640205000000"
HUANGQUQIAO, VILLAGE = "640221100000", "640221100201"
HONGGUOZI, HUINONG_VILLAGE = "640205100000", "640205100201"


@pytest_asyncio.fixture(scope="module")
async def members_api(platform, service_specs):
    async with running(service_specs["members"], platform) as client:
        admin = token_for(platform, "admin", CITY)
        for code, name in [(CITY, "石嘴山市"), (PINGLUO, "平罗县"), (HUINONG, "惠农区"),
                           (HUANGQUQIAO, "黄渠桥镇"), (VILLAGE, "东风村"),
                           (HONGGUOZI, "红果子镇"), (HUINONG_VILLAGE, "光明村")]:
            response = await client.post("/api/v1/org-units", headers=admin, json={"code": code, "name": name})
            assert response.status_code in (201, 409), response.text
        yield client


@pytest_asyncio.fixture(scope="module")
async def pingluo(members_api, platform):
    """平罗县's committee with a sector and a member assigned to 东风村."""
    staff = token_for(platform, "staff", PINGLUO)
    tag = uuid.uuid4().hex[:4]
    sector = await members_api.post("/api/v1/sectors", headers=staff, json={
        "org_unit": PINGLUO, "name": f"农业界{tag}", "category": "professional"})
    assert sector.status_code == 201, sector.text
    member = await members_api.post("/api/v1/members", headers=staff, json={
        "name": "马红梅", "sector_id": sector.json()["id"], "org_unit": PINGLUO,
        "occupation": "农业技术人员", "region": VILLAGE, "phone": "13800000001",
        "email": "mahongmei@example.cn", "public_contact": "委员工作室 0952-6012345"})
    assert member.status_code == 201, member.text
    assigned = await members_api.post(f"/api/v1/members/{member.json()['id']}/assignments",
                                      headers=staff, json={"contact_point": VILLAGE})
    assert assigned.status_code == 201, assigned.text
    return {"sector": sector.json(), "member": assigned.json(), "staff": staff, "tag": tag}
