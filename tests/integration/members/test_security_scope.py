"""Issue 14, finding 13 (members) and the scope of routes with an id: nothing of a sibling county
is used, read or changed, and a member's private contact is never echoed."""

import logging
from datetime import datetime, timedelta, timezone

import pytest
import pytest_asyncio
from liaison_tools.testing import token_for

from .conftest import HONGGUOZI, HUANGQUQIAO, HUINONG, PINGLUO

pytestmark = pytest.mark.integration
CHINA = timezone(timedelta(hours=8))


@pytest_asyncio.fixture(scope="module")
async def huinong(members_api, platform, pingluo):
    """惠农区: its staff, a sector, a department and a reception room in 红果子镇."""
    staff, tag = token_for(platform, "staff", HUINONG), pingluo["tag"]
    sector = await members_api.post("/api/v1/sectors", headers=staff, json={
        "org_unit": HUINONG, "name": f"工商界{tag}", "category": "professional"})
    department = await members_api.post("/api/v1/departments", headers=staff, json={
        "name": f"惠农区水务局{tag}", "org_unit": HUINONG})
    room = await members_api.post("/api/v1/venues", headers=staff, json={
        "kind": "reception_room", "name": f"红果子镇委员会客室{tag}", "org_unit": HONGGUOZI})
    for response in (sector, department, room):
        assert response.status_code == 201, response.text
    return {"staff": staff, "sector": sector.json(), "department": department.json(), "room": room.json()}


def _morning(day: int) -> dict:
    start = datetime(2027, 2, day, 9, tzinfo=CHINA)
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=3)).isoformat()}


async def _reception_days(api, member_id: str) -> int:
    return (await api.get(f"/api/v1/reception-days?member_id={member_id}")).json()["total"]


async def test_a_reception_day_is_held_only_at_a_venue_of_the_members_committee(
    members_api, pingluo, huinong, platform
):
    member_id = pingluo["member"]["id"]
    me = token_for(platform, "member", PINGLUO, member_id=member_id)
    day = {"member_id": member_id, "venue_id": huinong["room"]["id"], **_morning(1)}
    by_the_member = await members_api.post("/api/v1/reception-days", headers=me, json=day)
    assert by_the_member.status_code == 403, by_the_member.text
    by_its_staff = await members_api.post("/api/v1/reception-days", headers=pingluo["staff"], json=day)
    assert by_its_staff.status_code == 403, by_its_staff.text
    by_the_venues_staff = await members_api.post("/api/v1/reception-days", headers=huinong["staff"], json=day)
    assert by_the_venues_staff.status_code == 403, by_the_venues_staff.text
    admin = await members_api.post("/api/v1/reception-days", headers=token_for(platform, "admin", "640200000000"),
                                   json=day)
    assert admin.status_code == 422, admin.text  # not at the venue of another committee, whoever asks
    assert await _reception_days(members_api, member_id) == 0


async def test_a_member_schedules_its_reception_day_at_a_venue_of_its_own_committee(
    members_api, pingluo, platform
):
    member_id = pingluo["member"]["id"]
    room = await members_api.post("/api/v1/venues", headers=pingluo["staff"], json={
        "kind": "reception_room", "name": f"黄渠桥镇接待室{pingluo['tag']}", "org_unit": HUANGQUQIAO})
    assert room.status_code == 201, room.text
    me = token_for(platform, "member", PINGLUO, member_id=member_id)
    day = await members_api.post("/api/v1/reception-days", headers=me, json={
        "member_id": member_id, "venue_id": room.json()["id"], **_morning(2)})
    assert day.status_code == 201, day.text


async def test_a_sector_studio_is_of_a_sector_of_its_own_committee(members_api, pingluo, huinong):
    studio = await members_api.post("/api/v1/venues", headers=pingluo["staff"], json={
        "kind": "sector_studio", "name": f"工商界委员工作室{pingluo['tag']}", "org_unit": PINGLUO,
        "sector_id": huinong["sector"]["id"]})
    assert studio.status_code == 422, studio.text
    hall = await members_api.post("/api/v1/venues", headers=pingluo["staff"], json={
        "kind": "deliberation_hall", "name": f"议事厅{pingluo['tag']}", "org_unit": PINGLUO,
        "sector_id": huinong["sector"]["id"]})
    assert hall.status_code == 422, hall.text
    listed = await members_api.get(f"/api/v1/venues?org_unit={PINGLUO}&limit=500")
    assert huinong["sector"]["id"] not in {v["sector_id"] for v in listed.json()["items"]}


async def test_a_sector_bridges_to_departments_of_its_own_committee(members_api, pingluo, huinong):
    sector_id = pingluo["sector"]["id"]
    bridge = await members_api.post(f"/api/v1/sectors/{sector_id}/bridges", headers=pingluo["staff"], json={
        "kind": "department", "name": "惠农区水务局", "department_id": huinong["department"]["id"]})
    assert bridge.status_code == 422, bridge.text
    industry = await members_api.post(f"/api/v1/sectors/{sector_id}/bridges", headers=pingluo["staff"], json={
        "kind": "industry", "name": "枸杞种植", "department_id": huinong["department"]["id"]})
    assert industry.status_code == 422, industry.text
    bridges = await members_api.get(f"/api/v1/sectors/{sector_id}/bridges")
    assert huinong["department"]["id"] not in {b["department_id"] for b in bridges.json()}


async def test_sibling_county_staff_and_members_reach_nothing_by_id(members_api, pingluo, huinong, platform):
    member_id = pingluo["member"]["id"]
    theirs = {"staff": huinong["staff"],
              "member": token_for(platform, "member", HUINONG, member_id="00000000-0000-4000-8000-000000000001"),
              "department": token_for(platform, "department", HUINONG, dept=huinong["department"]["id"])}
    department = await members_api.post("/api/v1/departments", headers=pingluo["staff"], json={
        "name": f"平罗县农业农村局{pingluo['tag']}", "org_unit": PINGLUO})
    assert department.status_code == 201, department.text
    department_id = department.json()["id"]
    before = (await members_api.get(f"/api/v1/members/{member_id}", headers=pingluo["staff"])).json()
    for who, headers in theirs.items():
        for method, path, body in [
            ("GET", f"/api/v1/members/{member_id}", None),
            ("GET", f"/api/v1/members/{member_id}/score?year=2026", None),
            ("GET", f"/api/v1/members/{member_id}/contact-point-suggestions", None),
            ("PATCH", f"/api/v1/members/{member_id}", {"public_contact": "改了"}),
            ("POST", f"/api/v1/members/{member_id}/assignments", {"contact_point": "640205100201"}),
            ("GET", f"/api/v1/departments/{department_id}", None),
            ("PATCH", f"/api/v1/departments/{department_id}", {"name": "改了"}),
            ("PATCH", f"/api/v1/org-units/{PINGLUO}", {"duties": "改了"}),
            ("POST", f"/api/v1/sectors/{pingluo['sector']['id']}/bridges", {"kind": "industry", "name": "枸杞"}),
        ]:
            response = await members_api.request(method, path, headers=headers, json=body)
            assert response.status_code in (403, 404), (who, method, path, response.text)
            assert "13800000001" not in response.text and "mahongmei" not in response.text
    after = (await members_api.get(f"/api/v1/members/{member_id}", headers=pingluo["staff"])).json()
    assert after == before
    assert (await members_api.get(f"/api/v1/departments/{department_id}", headers=pingluo["staff"])).json() \
        == department.json()


async def test_a_members_private_contact_is_never_echoed_in_an_error_or_a_log(members_api, pingluo, caplog):
    caplog.set_level(logging.DEBUG)
    member_id, staff = pingluo["member"]["id"], pingluo["staff"]
    for body in ({"email": "mahongmei@@example.cn"}, {"phone": "13800000001<script>"},
                 {"email": "mahongmei@example.cn", "name": None}, {"phone": "13800000001", "status": "retired"}):
        response = await members_api.patch(f"/api/v1/members/{member_id}", headers=staff, json=body)
        assert response.status_code == 422, response.text
        assert "13800000001" not in response.text and "mahongmei" not in response.text
    created = await members_api.post("/api/v1/members", headers=staff, json={
        "name": "周晓燕", "sector_id": pingluo["sector"]["id"], "org_unit": PINGLUO,
        "email": "zhouxiaoyan@example.cn", "phone": "13900000002", "special_committee_id": "不存在"})
    assert created.status_code == 422
    assert "13900000002" not in created.text and "zhouxiaoyan" not in created.text
    assert not any(secret in caplog.text for secret in ("13800000001", "mahongmei", "13900000002", "zhouxiaoyan"))
