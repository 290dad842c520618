"""Issue 15: a reception day is never scheduled in the past, and anyone can see who serves a
contact point (public card fields only)."""

from datetime import datetime, time, timedelta

import pytest
from liaison_shared.chinatime import CHINA, today_in_china
from liaison_tools.testing import token_for

from .conftest import HUINONG, PINGLUO, VILLAGE

pytestmark = pytest.mark.integration

BEISHA = "640221100208"  # 北沙村 of 黄渠桥镇: a contact point nobody serves yet


async def _contact_point_venue(members_api, staff, tag: str) -> str:
    venue = await members_api.post("/api/v1/venues", headers=staff, json={
        "kind": "contact_point", "name": f"东风村党群服务中心{tag}", "org_unit": VILLAGE})
    assert venue.status_code == 201, venue.text
    return venue.json()["id"]


def _morning(day) -> dict:
    start = datetime.combine(day, time(9), CHINA)
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=3)).isoformat()}


async def test_a_reception_day_in_the_past_is_refused_and_nothing_is_written(members_api, pingluo):
    venue_id = await _contact_point_venue(members_api, pingluo["staff"], pingluo["tag"])
    member_id = pingluo["member"]["id"]
    yesterday = today_in_china() - timedelta(days=1)
    for day in (datetime(2020, 6, 15).date(), yesterday):
        response = await members_api.post("/api/v1/reception-days", headers=pingluo["staff"], json={
            "member_id": member_id, "venue_id": venue_id, **_morning(day)})
        assert response.status_code == 422, response.text
        assert "past" in response.json()["error"]["message"]
    listed = await members_api.get(f"/api/v1/reception-days?venue_id={venue_id}")
    assert listed.json()["total"] == 0
    later = await members_api.post("/api/v1/reception-days", headers=pingluo["staff"], json={
        "member_id": member_id, "venue_id": venue_id, **_morning(today_in_china() + timedelta(days=7))})
    assert later.status_code == 201, later.text


async def test_a_member_may_not_schedule_its_own_reception_day_in_2020(members_api, pingluo, platform):
    venue_id = await _contact_point_venue(members_api, pingluo["staff"], pingluo["tag"] + "m")
    member_id = pingluo["member"]["id"]
    me = token_for(platform, "member", PINGLUO, member_id=member_id)
    response = await members_api.post("/api/v1/reception-days", headers=me, json={
        "member_id": member_id, "venue_id": venue_id, **_morning(datetime(2020, 3, 2).date())})
    assert response.status_code == 422, response.text


async def test_anyone_lists_the_members_of_a_contact_point_with_public_card_fields(members_api, pingluo):
    response = await members_api.get(f"/api/v1/contact-points/{VILLAGE}/members")
    assert response.status_code == 200, response.text
    page = response.json()
    mine = [m for m in page["items"] if m["id"] == pingluo["member"]["id"]]
    assert mine and page["total"] >= 1
    card = mine[0]
    assert card["name"] == "马红梅" and card["public_contact"] == "委员工作室 0952-6012345"
    assert card["sector"].startswith("农业界") and card["committee"] == "平罗县政协"
    for private in ("phone", "email", "region", "work_unit", "occupation"):
        assert private not in card
    assert "13800000001" not in response.text and "mahongmei" not in response.text


async def test_the_members_of_an_unknown_or_empty_contact_point(members_api, pingluo):
    village = await members_api.post("/api/v1/org-units", headers=pingluo["staff"], json={
        "code": BEISHA, "name": "北沙村"})
    assert village.status_code in (201, 409), village.text
    unknown = await members_api.get("/api/v1/contact-points/640221199299/members")
    assert unknown.status_code == 404
    assert (await members_api.get("/api/v1/contact-points/nope/members")).status_code == 422
    empty = await members_api.get(f"/api/v1/contact-points/{BEISHA}/members")
    assert empty.status_code == 200 and empty.json() == {"items": [], "total": 0}
    committee = await members_api.get(f"/api/v1/contact-points/{HUINONG}/members")
    assert committee.status_code == 404  # a committee is not a contact point
