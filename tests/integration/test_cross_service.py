"""A published event reaches another service's consumer: members → feedback's projection."""

import pytest
from liaison_tools.testing import eventually, running, token_for

pytestmark = pytest.mark.integration


async def test_a_new_county_and_its_department_reach_the_feedback_projection(
    platform, service_specs, db_pool
):
    admin = token_for(platform, "admin", "640200000000")
    async with running(service_specs["members"], platform) as members, \
            running(service_specs["feedback"], platform):
        city = await members.post("/api/v1/org-units", headers=admin,
                                  json={"code": "640200000000", "name": "石嘴山市"})
        assert city.status_code in (201, 409)
        county = await members.post("/api/v1/org-units", headers=admin, json={
            "code": "640221000000", "name": "平罗县",
            "duty_contact": {"name": "值班室", "email": "zhengxie@pingluo.example.cn"},
        })
        assert county.status_code in (201, 409)
        water = await members.post("/api/v1/departments", headers=admin, json={
            "name": "平罗县水务局", "org_unit": "640221000000",
            "duty_contact": {"email": "shuiwu@pingluo.example.cn", "phone": "0952-6012345"},
        })
        assert water.status_code == 201, water.text
        department_id = water.json()["id"]

        async def projected():
            return await db_pool.fetchrow(
                "SELECT d.name, d.duty_email, o.name AS unit FROM feedback.departments d"
                " JOIN feedback.org_units o ON o.code = d.org_unit WHERE d.id = $1",
                department_id,
            )

        row = await eventually(projected)
    assert (row["name"], row["unit"], row["duty_email"]) == (
        "平罗县水务局", "平罗县", "shuiwu@pingluo.example.cn"
    )
