"""Staff see and change their own subtree only; members their own card; the public the card."""

import pytest
from liaison_tools.testing import token_for

from .conftest import CITY, HUINONG, PINGLUO, VILLAGE

pytestmark = pytest.mark.integration


async def test_county_staff_list_their_committee_and_not_a_sibling_county(members_api, pingluo, platform):
    mine = await members_api.get("/api/v1/members?limit=500", headers=pingluo["staff"])
    assert pingluo["member"]["id"] in {m["id"] for m in mine.json()["items"]}
    theirs = await members_api.get("/api/v1/members?limit=500", headers=token_for(platform, "staff", HUINONG))
    assert pingluo["member"]["id"] not in {m["id"] for m in theirs.json()["items"]}


async def test_sibling_county_staff_get_404_for_a_read_and_a_write_and_nothing_changes(
    members_api, pingluo, platform
):
    huinong = token_for(platform, "staff", HUINONG)
    member_id = pingluo["member"]["id"]
    read = await members_api.get(f"/api/v1/members/{member_id}", headers=huinong)
    write = await members_api.patch(f"/api/v1/members/{member_id}", headers=huinong, json={"name": "改名"})
    assert (read.status_code, write.status_code) == (404, 404)
    after = await members_api.get(f"/api/v1/members/{member_id}", headers=pingluo["staff"])
    assert after.json()["name"] == "马红梅"


async def test_town_staff_see_members_assigned_to_their_contact_points(members_api, pingluo, platform):
    town = token_for(platform, "staff", VILLAGE[:9] + "000")
    listed = await members_api.get("/api/v1/members", headers=town)
    assert pingluo["member"]["id"] in {m["id"] for m in listed.json()["items"]}


async def test_a_member_edits_its_own_card_but_not_its_sector(members_api, pingluo, platform):
    member_id = pingluo["member"]["id"]
    me = token_for(platform, "member", PINGLUO, member_id=member_id)
    card = await members_api.patch(f"/api/v1/members/{member_id}", headers=me,
                                   json={"public_contact": "微信 mhm-nongye"})
    assert card.status_code == 200 and card.json()["public_contact"] == "微信 mhm-nongye"
    sector = await members_api.patch(f"/api/v1/members/{member_id}", headers=me,
                                     json={"sector_id": pingluo["sector"]["id"]})
    assert sector.status_code == 403
    other = token_for(platform, "member", PINGLUO, member_id="00000000-0000-0000-0000-000000000000")
    assert (await members_api.patch(f"/api/v1/members/{member_id}", headers=other,
                                    json={"public_contact": "x"})).status_code == 404


async def test_the_public_card_needs_no_login_and_shows_no_private_contact(members_api, pingluo):
    card = await members_api.get(f"/api/v1/members/{pingluo['member']['id']}/card")
    assert card.status_code == 200
    body = card.json()
    assert body["name"] == "马红梅" and body["committee"] == "平罗县政协"
    assert "13800000001" not in card.text and "mahongmei@example.cn" not in card.text
    assert VILLAGE in body["contact_points"]


async def test_leaders_see_members_without_private_contacts(members_api, pingluo, platform):
    leader = token_for(platform, "leader", PINGLUO)
    row = (await members_api.get(f"/api/v1/members/{pingluo['member']['id']}", headers=leader)).json()
    assert row["phone"] is None and row["email"] is None
    staff_row = (await members_api.get(f"/api/v1/members/{pingluo['member']['id']}", headers=pingluo["staff"])).json()
    assert staff_row["phone"] == "13800000001"


async def test_routes_need_a_token_and_public_reads_do_not(members_api):
    assert (await members_api.get("/api/v1/members")).status_code == 401
    assert (await members_api.get("/api/v1/departments")).status_code == 401
    assert (await members_api.post("/api/v1/org-units", json={})).status_code == 401
    for public in ("/api/v1/org-units", "/api/v1/sectors", "/api/v1/venues", "/api/v1/reception-days"):
        assert (await members_api.get(public)).status_code == 200, public


async def test_staff_cannot_add_a_unit_outside_their_subtree(members_api, platform):
    huinong = token_for(platform, "staff", HUINONG)
    response = await members_api.post("/api/v1/org-units", headers=huinong,
                                      json={"code": "640221109000", "name": "别人的镇"})
    assert response.status_code == 403
    assert (await members_api.get("/api/v1/org-units/640221109000")).status_code == 404


async def test_bad_input_gets_a_clear_4xx_and_writes_nothing(members_api, platform):
    admin = token_for(platform, "admin", CITY)
    bad_code = await members_api.post("/api/v1/org-units", headers=admin, json={"code": "6402", "name": "x"})
    assert bad_code.status_code == 422 and bad_code.json()["error"]["code"] == "invalid"
    orphan = await members_api.post("/api/v1/org-units", headers=admin,
                                    json={"code": "640221999000", "name": "无上级"})
    assert orphan.status_code == 201  # its parent 平罗县 exists
    no_parent = await members_api.post("/api/v1/org-units", headers=admin,
                                       json={"code": "640299100000", "name": "没有县"})
    assert no_parent.status_code == 422 and "parent" in no_parent.json()["error"]["message"]
    town_committee = await members_api.post("/api/v1/sectors", headers=admin, json={
        "org_unit": "640221100000", "name": "镇界别", "category": "cpc"})
    assert town_committee.status_code == 422
