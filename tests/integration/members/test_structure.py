"""三联系 and 对口联系: special committees with their sectors and plans, sector bridges, venues."""

import pytest
from liaison_tools.testing import collect, header, token_for

from .conftest import CITY, HUINONG, PINGLUO

pytestmark = pytest.mark.integration


async def test_a_special_committee_links_sectors_and_plans_their_year(members_api, platform):
    staff = token_for(platform, "staff", CITY)
    economy = await members_api.post("/api/v1/sectors", headers=staff, json={
        "org_unit": CITY, "name": "经济界(专委会测试)", "category": "professional"})
    assert economy.status_code == 201
    assert economy.json()["duty_emphasis"].startswith("重点突出专业优势")
    committee = await members_api.post("/api/v1/special-committees", headers=staff, json={
        "org_unit": CITY, "name": "经济委员会(测试)", "sector_ids": [economy.json()["id"]]})
    assert committee.status_code == 201, committee.text
    assert committee.json()["sector_ids"] == [economy.json()["id"]]
    item = await members_api.post(f"/api/v1/special-committees/{committee.json()['id']}/plan-items",
                                  headers=staff, json={"year": 2026, "title": "一委一品：民营经济调研",
                                                       "sector_id": economy.json()["id"]})
    assert item.status_code == 201
    plan = await members_api.get(f"/api/v1/special-committees/{committee.json()['id']}/plan-items?year=2026",
                                 headers=token_for(platform, "staff", PINGLUO))
    assert [p["title"] for p in plan.json()] == ["一委一品：民营经济调研"]  # a county sees the city's plan
    stranger = await members_api.post("/api/v1/sectors", headers=staff, json={
        "org_unit": CITY, "name": "未链接界别", "category": "professional"})
    unlinked = await members_api.post(f"/api/v1/special-committees/{committee.json()['id']}/plan-items",
                                      headers=staff, json={"year": 2026, "title": "x",
                                                           "sector_id": stranger.json()["id"]})
    assert unlinked.status_code == 422


async def test_a_sector_bridges_to_departments_enterprises_and_industries(members_api, platform):
    staff = token_for(platform, "staff", CITY)
    sector = await members_api.post("/api/v1/sectors", headers=staff, json={
        "org_unit": CITY, "name": "农业界(对口测试)", "category": "professional"})
    department = await members_api.post("/api/v1/departments", headers=staff, json={
        "name": "石嘴山市农业农村局(测试)", "org_unit": CITY})
    sector_id = sector.json()["id"]
    for body in ({"kind": "department", "name": "农业农村局", "department_id": department.json()["id"]},
                 {"kind": "enterprise", "name": "宁夏某枸杞合作社"}, {"kind": "industry", "name": "设施农业"}):
        created = await members_api.post(f"/api/v1/sectors/{sector_id}/bridges", headers=staff, json=body)
        assert created.status_code == 201, created.text
    public = await members_api.get(f"/api/v1/sectors/{sector_id}/bridges")
    assert sorted(b["kind"] for b in public.json()) == ["department", "enterprise", "industry"]
    dangling = await members_api.post(f"/api/v1/sectors/{sector_id}/bridges", headers=staff,
                                      json={"kind": "department", "name": "不存在"})
    assert dangling.status_code == 422


async def test_venues_change_publishes_and_a_sibling_cannot_touch_them(members_api, platform):
    staff = token_for(platform, "staff", PINGLUO)
    hall = await members_api.post("/api/v1/venues", headers=staff, json={
        "kind": "deliberation_hall", "name": "平罗县协商议事厅(测试)", "org_unit": PINGLUO})
    assert hall.status_code == 201
    changed = await members_api.patch(f"/api/v1/venues/{hall.json()['id']}", headers=staff,
                                      json={"opening_hours": "工作日 9:00-17:00"})
    assert changed.json()["opening_hours"] == "工作日 9:00-17:00"
    sibling = await members_api.patch(f"/api/v1/venues/{hall.json()['id']}",
                                      headers=token_for(platform, "staff", HUINONG), json={"name": "x"})
    assert sibling.status_code == 404
    events = await collect(platform, "cppcc.members.venue", count=2,
                           where=lambda r: r.key == hall.json()["id"].encode())
    assert [header(e, "ce_type") for e in events] == ["cppcc.members.venue.changed.v1"] * 2
