"""Members do casework (issue 20.1): a member takes an opinion in at its reception day or during an
activity, reads what it took in and nothing else; the activity and the opinion name each other;
opinions of a sector's constituents count in that sector's figures."""

import uuid
from datetime import datetime, timedelta

import pytest_asyncio
from liaison_shared.chinatime import CHINA, today_in_china
from liaison_tools.testing import eventually, token_for

from .conftest import CITY, DONGFENG, HUINONG, PINGLUO, submit

TAKEN_IN = {"content": "村口灌溉渠堵塞，影响春灌", "org_unit": DONGFENG, "category": "水利",
            "submitter_name": "张三", "submitter_phone": "13812345678", "consent": True}


@pytest_asyncio.fixture(scope="module")
async def casework(world, db_pool):
    """马红梅's reception day at 黄渠桥镇委员会客室 and a visit to 东风村 she logged; a second member,
    李建国 of 教育界, whose sector 界别群众 name."""
    members, settings, admin = world["members"], world["settings"], token_for(world["settings"], "admin", PINGLUO)
    staff = token_for(settings, "staff", PINGLUO)
    me = token_for(settings, "member", PINGLUO, member_id=world["member_id"])
    start = datetime.combine(today_in_china() + timedelta(days=30), datetime.min.time(), CHINA) + timedelta(hours=9)
    day = await members.post("/api/v1/reception-days", headers=staff, json={
        "member_id": world["member_id"], "venue_id": world["venue_id"], "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=3)).isoformat(), "capacity": 30})
    assert day.status_code == 201, day.text
    visit = await members.post("/api/v1/activities", headers=me, json={
        "type": "visit", "title": "走访东风村种植户", "org_unit": DONGFENG,
        "occurred_on": today_in_china().isoformat(), "member_ids": [world["member_id"]], "people_reached": 12})
    assert visit.status_code == 201, visit.text
    tag = uuid.uuid4().hex[:6]
    education = await members.post("/api/v1/sectors", headers=admin, json={
        "org_unit": PINGLUO, "name": f"教育界({tag})", "category": "professional"})
    other = await members.post("/api/v1/members", headers=admin, json={
        "name": "李建国", "sector_id": education.json()["id"], "org_unit": PINGLUO})
    assert other.status_code == 201, other.text
    mine = (await members.get(f"/api/v1/members/{world['member_id']}", headers=admin)).json()

    async def projected():
        days = await db_pool.fetchval("SELECT count(*) FROM feedback.reception_days WHERE id = $1", day.json()["id"])
        acts = await db_pool.fetchval("SELECT count(*) FROM feedback.activities WHERE id = $1", visit.json()["id"])
        people = await db_pool.fetchval("SELECT count(*) FROM feedback.members WHERE id = $1", other.json()["id"])
        venues = await db_pool.fetchval("SELECT count(*) FROM feedback.venues WHERE id = $1", world["venue_id"])
        return days == 1 and acts == 1 and people == 1 and venues == 1

    await eventually(projected, timeout=30)
    return {"day": day.json()["id"], "visit": visit.json()["id"], "me": me, "staff": staff,
            "other": other.json()["id"], "other_token": token_for(settings, "member", PINGLUO,
                                                                   member_id=other.json()["id"]),
            "education": education.json(), "agriculture": mine["sector_name"]}


async def test_a_member_takes_in_an_opinion_at_its_reception_day_and_reads_it(world, casework):
    api = world["api"]
    created = await api.post("/api/v1/opinions/taken-in", headers=casework["me"],
                             json={**TAKEN_IN, "reception_day_id": casework["day"]})
    assert created.status_code == 201, created.text
    opinion_id = created.json()["id"]

    case = await api.get(f"/api/v1/opinions/{opinion_id}", headers=casework["me"])
    assert case.status_code == 200, case.text
    body = case.json()
    assert body["received_by"] == world["member_id"] and body["member_id"] == world["member_id"]
    assert body["reception_day_id"] == casework["day"]
    assert body["venue_id"] == world["venue_id"]  # the reception day's venue
    assert body["channel"] == "reception_day"
    assert body["submitter_name"] == "张*" and body["tracking_code"] is None  # the member does not handle it
    assert body["history"][0]["actor_role"] == "member"

    mine = await api.get("/api/v1/opinions?received_by=me", headers=casework["me"])
    assert opinion_id in {c["id"] for c in mine.json()["items"]}
    assert all(c["received_by"] == world["member_id"] for c in mine.json()["items"])
    # 李建国 neither lists nor reads what 马红梅 took in
    theirs = await api.get("/api/v1/opinions?received_by=me", headers=casework["other_token"])
    assert opinion_id not in {c["id"] for c in theirs.json()["items"]}
    asked = await api.get(f"/api/v1/opinions?received_by={world['member_id']}", headers=casework["other_token"])
    assert asked.json() == {"items": [], "total": 0}
    assert (await api.get(f"/api/v1/opinions/{opinion_id}", headers=casework["other_token"])).status_code == 404
    # staff filter a member's opinions in their subtree
    listed = await api.get(f"/api/v1/opinions?received_by={world['member_id']}", headers=world["county_staff"])
    assert opinion_id in {c["id"] for c in listed.json()["items"]}
    assert (await api.get("/api/v1/opinions?received_by=me", headers=world["county_staff"])).status_code == 422


async def test_staff_record_an_opinion_taken_in_during_an_activity_and_each_names_the_other(world, casework):
    api, members = world["api"], world["members"]
    created = await api.post("/api/v1/opinions/taken-in", headers=casework["staff"], json={
        **TAKEN_IN, "content": "东风村卫生室缺少常用药", "category": "医疗卫生",
        "received_by": world["member_id"], "activity_id": casework["visit"]})
    assert created.status_code == 201, created.text
    opinion_id = created.json()["id"]
    case = (await api.get(f"/api/v1/opinions/{opinion_id}", headers=world["county_staff"])).json()
    assert case["activity_id"] == casework["visit"] and case["received_by"] == world["member_id"]
    assert case["channel"] == "visit" and case["history"][0]["actor_role"] == "staff"
    assert case["tracking_code"]  # staff handling the case keep it

    async def linked():
        activity = await members.get(f"/api/v1/activities/{casework['visit']}", headers=casework["me"])
        return opinion_id in activity.json()["opinion_ids"]

    await eventually(linked, timeout=30)


async def test_what_an_opinion_taken_in_names_must_exist_and_fit(world, casework):
    api, me, staff = world["api"], casework["me"], casework["staff"]
    cases = [
        (me, {"reception_day_id": str(uuid.uuid4())}, 422, "reception_day_id"),
        (me, {"activity_id": str(uuid.uuid4())}, 422, "activity_id"),
        (me, {"venue_id": str(uuid.uuid4())}, 422, "venue_id"),
        (me, {"sector_id": str(uuid.uuid4())}, 422, "sector_id"),
        (staff, {"received_by": str(uuid.uuid4())}, 422, "received_by"),
        (staff, {}, 422, "received_by"),
        # 李建国's reception day is not this one: the day names its member
        (staff, {"received_by": casework["other"], "reception_day_id": casework["day"]}, 422, "reception_day_id"),
        (me, {"received_by": casework["other"]}, 403, "itself"),
        (me, {"reception_day_id": casework["day"], "activity_id": casework["visit"]}, 422, "not both"),
        (token_for(world["settings"], "staff", HUINONG), {"received_by": world["member_id"]}, 403, "subtree"),
        (world["water"], {"received_by": world["member_id"]}, 403, "department"),
    ]
    for headers, extra, status, words in cases:
        response = await api.post("/api/v1/opinions/taken-in", headers=headers, json={**TAKEN_IN, **extra})
        assert response.status_code == status, (extra, response.text)
        assert words in response.json()["error"]["message"], (extra, response.text)
    assert (await api.post("/api/v1/opinions/taken-in", json=TAKEN_IN)).status_code == 401


async def test_sector_figures_count_an_opinion_under_its_own_sector_first(world, casework):
    api, education = world["api"], casework["education"]
    before = await _by_sector(api, world["county_staff"])
    constituents = await api.post("/api/v1/opinions/taken-in", headers=casework["me"], json={
        **TAKEN_IN, "content": "乡村学校缺少音乐老师", "category": "教育", "sector_id": education["id"]})
    assert constituents.status_code == 201, constituents.text
    public = await api.post("/api/v1/opinions", json={**TAKEN_IN, "channel": "online", "sector_id": education["id"]})
    assert public.status_code == 201, public.text
    plain = await api.post("/api/v1/opinions/taken-in", headers=casework["me"], json=TAKEN_IN)
    assert plain.status_code == 201, plain.text
    case = (await api.get(f"/api/v1/opinions/{constituents.json()['id']}", headers=casework["me"])).json()
    assert case["sector_id"] == education["id"]

    after = await _by_sector(api, world["county_staff"])
    # taken in by 马红梅 of 农业界, raised by 教育界's constituents: 教育界's
    assert after.get(education["name"], 0) - before.get(education["name"], 0) == 2
    assert after.get(casework["agriculture"], 0) - before.get(casework["agriculture"], 0) == 1


async def _by_sector(api, headers) -> dict[str, int]:
    response = await api.get(f"/api/v1/stats?org_unit={PINGLUO}&group_by=sector", headers=headers)
    assert response.status_code == 200, response.text
    return {g["key"]: g["cases"] for g in response.json()["groups"]}


async def test_a_member_drafts_a_report_its_co_author_confirms_and_each_level_adopts_as_itself(world, casework):
    api, me, other = world["api"], casework["me"], casework["other_token"]
    taken = await api.post("/api/v1/opinions/taken-in", headers=me, json={**TAKEN_IN, "reception_day_id": casework["day"]})
    someone_elses = await submit(api)
    refused = await api.post("/api/v1/reports", headers=me, json={
        "kind": "public_opinion_report", "title": "关于灌溉渠清淤", "case_ids": [someone_elses["id"]]})
    assert refused.status_code == 422 and "took in" in refused.json()["error"]["message"]
    drafted = await api.post("/api/v1/reports", headers=me, json={
        "kind": "public_opinion_report", "title": "关于农田灌溉渠清淤的社情民意", "body": "多村反映灌溉渠堵塞。",
        "case_ids": [taken.json()["id"]], "member_ids": [casework["other"]]})
    assert drafted.status_code == 201, drafted.text
    report = drafted.json()
    assert report["org_unit"] == PINGLUO and report["drafted_by"] == world["member_id"]
    assert report["member_ids"] == [world["member_id"], casework["other"]]
    assert report["confirmed_member_ids"] == [world["member_id"]]
    actions = f"/api/v1/reports/{report['id']}/actions"

    early = await api.post(actions, headers=me, json={"action": "submit"})
    assert early.status_code == 409 and casework["other"] in early.json()["error"]["message"]
    stranger = token_for(world["settings"], "member", PINGLUO, member_id=str(uuid.uuid4()))
    assert (await api.post(actions, headers=stranger, json={"action": "confirm"})).status_code == 404
    listed = await api.get("/api/v1/reports", headers=other)
    assert report["id"] in {r["id"] for r in listed.json()["items"]}
    assert (await api.post(actions, headers=other, json={"action": "confirm"})).status_code == 200
    assert (await api.post(actions, headers=other, json={"action": "submit"})).status_code == 403  # hers to submit
    submitted = await api.post(actions, headers=me, json={"action": "submit"})
    assert submitted.json()["status"] == "submitted" and submitted.json()["submitted_to"] == PINGLUO

    # 平罗县 receives it: it adopts as the county, or forwards it to the city, which adopts as the city
    wrong = await api.post(actions, headers=world["county_staff"], json={"action": "adopt", "adopted_by": "town"})
    assert wrong.status_code == 422 and "county" in wrong.json()["error"]["message"]
    forwarded = await api.post(actions, headers=world["county_staff"], json={"action": "forward"})
    assert forwarded.json()["submitted_to"] == CITY
    assert (await api.post(actions, headers=world["county_staff"], json={"action": "adopt"})).status_code == 403
    city = token_for(world["settings"], "staff", CITY)
    assert (await api.post(actions, headers=city, json={"action": "adopt", "adopted_by": "county"})).status_code == 422
    adopted = await api.post(actions, headers=city, json={"action": "adopt"})
    assert adopted.json()["status"] == "adopted" and adopted.json()["adopted_by"] == "city"
    case = (await api.get(f"/api/v1/opinions/{taken.json()['id']}", headers=world["county_staff"])).json()
    assert case["history"][-1]["action"] == "report_adopted" and case["history"][-1]["detail"]["by"] == "city"


async def test_a_report_adopted_where_it_was_received_names_that_level(world, casework):
    api = world["api"]
    drafted = await api.post("/api/v1/reports", headers=world["town_staff"], json={
        "kind": "public_opinion_report", "title": "关于黄渠桥镇道路积水的社情民意"})
    actions = f"/api/v1/reports/{drafted.json()['id']}/actions"
    await api.post(actions, headers=world["town_staff"], json={"action": "submit"})
    adopted = await api.post(actions, headers=world["county_staff"], json={"action": "adopt"})
    assert adopted.json()["adopted_by"] == "county"  # a county adoption is not "city"
