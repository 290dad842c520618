"""界别活动组 (issue 20.1): a sector's activity group with its convener, members of that sector only,
a yearly plan and the activities it holds — and a ranking made of the group's own work: two groups
of 平罗县, the one that carried out its plan, gathered its members and took in opinions that became
a 社情民意 and a 提案 ranks above the one that did less, figure by figure."""

import json
import uuid
from datetime import timedelta

import pytest
import pytest_asyncio
from liaison_shared.chinatime import today_in_china
from liaison_tools.testing import collect, eventually, header, running, token_for

from .conftest import CITY, HUANGQUQIAO, HUINONG, PINGLUO, VILLAGE

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(scope="module")
async def county(platform, service_specs, db_pool):
    """平罗县's committee with members and feedback running."""
    settings = platform.model_copy(update={"public_rate_limit_per_minute": 10_000})
    async with running(service_specs["members"], settings) as members, \
            running(service_specs["feedback"], settings) as feedback:
        admin = token_for(settings, "admin", CITY)
        for code, name in [(CITY, "石嘴山市"), (PINGLUO, "平罗县"), (HUINONG, "惠农区"), (HUANGQUQIAO, "黄渠桥镇"),
                           (VILLAGE, "东风村")]:
            response = await members.post("/api/v1/org-units", headers=admin, json={"code": code, "name": name})
            assert response.status_code in (201, 409), response.text
        yield {"members": members, "feedback": feedback, "settings": settings,
               "staff": token_for(settings, "staff", PINGLUO)}


async def sector_of(county, name: str, people: list[str]) -> tuple[str, dict[str, str]]:
    """A new sector of 平罗县 (its name made unique) and its members, by name."""
    members, staff = county["members"], county["staff"]
    sector = await members.post("/api/v1/sectors", headers=staff, json={
        "org_unit": PINGLUO, "name": f"{name}{uuid.uuid4().hex[:4]}", "category": "professional"})
    assert sector.status_code == 201, sector.text
    ids = {}
    for person in people:
        member = await members.post("/api/v1/members", headers=staff, json={
            "name": person, "sector_id": sector.json()["id"], "org_unit": PINGLUO})
        assert member.status_code == 201, member.text
        ids[person] = member.json()["id"]
    return sector.json()["id"], ids


def member_token(county, member_id: str) -> dict[str, str]:
    return token_for(county["settings"], "member", PINGLUO, member_id=member_id)


async def test_a_group_takes_members_of_its_own_sector_only(county, db_pool):
    members, staff = county["members"], county["staff"]
    farming, farmers = await sector_of(county, "农业界", ["马红梅", "李建国", "王秀兰"])
    _, traders = await sector_of(county, "经济界", ["张伟"])

    wrong_convener = await members.post("/api/v1/sector-groups", headers=staff, json={
        "sector_id": farming, "name": "农业界别活动组", "convener_id": traders["张伟"]})
    assert wrong_convener.status_code == 422, wrong_convener.text
    assert await db_pool.fetchval("SELECT count(*) FROM members.sector_groups WHERE sector_id = $1::uuid",
                                  farming) == 0

    formed = await members.post("/api/v1/sector-groups", headers=staff, json={
        "sector_id": farming, "name": f"农业界别活动组{farming[:4]}", "convener_id": farmers["马红梅"],
        "member_ids": [farmers["李建国"]]})
    assert formed.status_code == 201, formed.text
    group = formed.json()
    assert group["org_unit"] == PINGLUO and group["convener_id"] == farmers["马红梅"]
    assert {m["name"] for m in group["members"]} == {"马红梅", "李建国"}
    path = f"/api/v1/sector-groups/{group['id']}"

    # another sector's member, or one nobody knows: 422, and nobody joins — not even the right one
    for wrong in ([farmers["王秀兰"], traders["张伟"]], [str(uuid.uuid4())], ["不是编号"]):
        refused = await members.post(f"{path}/members", headers=staff, json={"member_ids": wrong})
        assert refused.status_code == 422, refused.text
    assert len((await members.get(path, headers=staff)).json()["members"]) == 2
    joined = await members.post(f"{path}/members", headers=staff, json={"member_ids": [farmers["王秀兰"].upper()]})
    assert joined.status_code == 200, joined.text
    assert {m["member_id"] for m in joined.json()["members"]} == set(farmers.values())

    again = await members.post("/api/v1/sector-groups", headers=staff, json={"sector_id": farming, "name": "第二组"})
    assert again.status_code == 409, again.text
    assert (await members.patch(path, headers=staff, json={"convener_id": traders["张伟"]})).status_code == 422
    assert (await members.delete(f"{path}/members/{farmers['马红梅']}", headers=staff)).status_code == 409
    left = await members.delete(f"{path}/members/{farmers['王秀兰']}", headers=staff)
    assert left.status_code == 200 and len(left.json()["members"]) == 2

    # its members read it; the convener does not staff it; other people find no such group
    convener, outsider = member_token(county, farmers["马红梅"]), member_token(county, traders["张伟"])
    assert (await members.get(path, headers=convener)).status_code == 200
    assert (await members.post(f"{path}/members", headers=convener,
                               json={"member_ids": [farmers["王秀兰"]]})).status_code == 403
    mine = await members.get("/api/v1/sector-groups", headers=convener)
    assert [g["id"] for g in mine.json()["items"]] == [group["id"]]
    sibling = token_for(county["settings"], "staff", HUINONG)
    for headers in (outsider, sibling):
        assert (await members.get(path, headers=headers)).status_code == 404
        assert (await members.get(f"{path}/plan-items", headers=headers)).status_code == 404
    assert (await members.post(f"{path}/members", headers=sibling,
                               json={"member_ids": [farmers["王秀兰"]]})).status_code == 404
    assert len((await members.get(path, headers=staff)).json()["members"]) == 2


async def test_the_group_that_did_more_ranks_higher(county, db_pool):
    members, feedback, staff, settings = county["members"], county["feedback"], county["staff"], county["settings"]
    today, year = today_in_china(), today_in_china().year
    farming, farmers = await sector_of(county, "农业界", ["马红梅", "李建国", "王秀兰"])
    trade, traders = await sector_of(county, "经济界", ["张伟", "刘洋"])
    groups = {}
    for key, sector, people, convener in (("farming", farming, farmers, "马红梅"), ("trade", trade, traders, "张伟")):
        formed = await members.post("/api/v1/sector-groups", headers=staff, json={
            "sector_id": sector, "name": f"{key}-{sector[:6]}", "convener_id": people[convener],
            "member_ids": list(people.values())})
        assert formed.status_code == 201, formed.text
        groups[key] = formed.json()["id"]
    ma, li = member_token(county, farmers["马红梅"]), member_token(county, farmers["李建国"])
    farming_path, trade_path = (f"/api/v1/sector-groups/{groups[k]}" for k in ("farming", "trade"))

    # the plan: the convener plans for its group, staff for the other; a plain member may not
    plans = {}
    for path, headers, themes in ((farming_path, ma, ["春耕生产座谈", "农田水利调研"]),
                                  (trade_path, staff, ["民营企业座谈", "营商环境调研"])):
        plans[path] = []
        for theme in themes:
            item = await members.post(f"{path}/plan-items", headers=headers, json={
                "planned_on": today.isoformat(), "theme": theme, "type": "seminar"})
            assert item.status_code == 201, item.text
            plans[path].append(item.json()["id"])
    assert (await members.post(f"{farming_path}/plan-items", headers=li, json={
        "planned_on": today.isoformat(), "theme": "越权的计划"})).status_code == 403
    assert (await members.post(f"{trade_path}/plan-items", headers=ma, json={
        "planned_on": today.isoformat(), "theme": "别组的计划"})).status_code == 404

    def activity(title: str, attendees: list[str], plan_item: str | None, **extra) -> dict:
        return {"type": "research_inspection", "title": title, "org_unit": VILLAGE, "occurred_on": today.isoformat(),
                "member_ids": attendees, "people_reached": 20, "plan_item_id": plan_item, **extra}

    # farming: both plan items carried out, 5 of 6 places taken; trade: one of two, 1 of 2 places
    held = []
    for path, headers, body in (
        (farming_path, staff, activity("东风村春耕座谈", list(farmers.values()), plans[farming_path][0])),
        (farming_path, staff, activity("灌溉渠调研", [farmers["马红梅"], farmers["李建国"]], plans[farming_path][1])),
        (trade_path, staff, activity("民营企业座谈", [traders["张伟"]], plans[trade_path][0])),
    ):
        response = await members.post(f"{path}/activities", headers=headers, json=body)
        assert response.status_code == 201, response.text
        held.append(response.json())
    for wrong in (activity("有外人", [farmers["马红梅"], traders["刘洋"]], None),
                  activity("别组的计划", [farmers["马红梅"]], plans[trade_path][1]),
                  activity("还没开", [farmers["马红梅"]], None, occurred_on=(today + timedelta(days=1)).isoformat()),
                  activity("在惠农区", [farmers["马红梅"]], None, org_unit=HUINONG)):
        refused = await members.post(f"{farming_path}/activities", headers=staff, json=wrong)
        assert refused.status_code == 422, refused.text
    # the convener records the group's work but credits only itself: crediting others is staff's
    # (or the members' own, by checking in with the code staff show) — as for any activity
    before = await db_pool.fetchval("SELECT count(*) FROM members.sector_group_activities")
    crediting = await members.post(f"{farming_path}/activities", headers=ma, json=activity(
        "召集人记给别人", [farmers["马红梅"], farmers["李建国"]], None))
    assert crediting.status_code == 403, crediting.text
    assert await db_pool.fetchval("SELECT count(*) FROM members.sector_group_activities") == before
    first = held[0]
    assert first["group_id"] == groups["farming"] and first["plan_item_id"] == plans[farming_path][0]

    logged = await collect(settings, "cppcc.members.activity", count=1,
                           where=lambda r: header(r, "ce_subject") == first["id"])
    assert len(logged) == 1 and json.loads(logged[0].value)["group_id"] == groups["farming"]

    # at the first activity 马红梅 takes in two opinions: one becomes her 社情民意, one a 提案
    async def feedback_knows_the_activity():
        return await db_pool.fetchval("SELECT count(*) FROM feedback.activities WHERE id = $1", first["id"]) == 1
    await eventually(feedback_knows_the_activity, timeout=30)
    opinions = []
    for content, category in (("村口灌溉渠堵塞，影响春灌", "水利/灌溉"), ("希望统一采购优质种子", "农业农村/农业生产")):
        taken = await feedback.post("/api/v1/opinions/taken-in", headers=ma, json={
            "content": content, "org_unit": VILLAGE, "category": category, "activity_id": first["id"]})
        assert taken.status_code == 201, taken.text
        opinions.append(taken.json()["id"])
    report = await feedback.post("/api/v1/reports", headers=ma, json={
        "kind": "public_opinion_report", "title": "关于农田灌溉渠清淤的社情民意", "case_ids": [opinions[0]]})
    assert report.status_code == 201, report.text
    submitted = await feedback.post(f"/api/v1/reports/{report.json()['id']}/actions", headers=ma,
                                    json={"action": "submit"})
    assert submitted.status_code == 200, submitted.text
    converted = await feedback.post(f"/api/v1/opinions/{opinions[1]}/actions", headers=staff,
                                    json={"action": "convert", "target": "proposal"})
    assert converted.status_code == 200, converted.text

    async def ranked():
        response = await members.get(f"/api/v1/sector-groups/ranking?org_unit={PINGLUO}&year={year}", headers=staff)
        assert response.status_code == 200, response.text
        by_id = {g["group_id"]: g for g in response.json()["groups"]}
        ours = by_id[groups["farming"]]["figures"]
        done = ours["opinions_taken_in"] == 2 and ours["reports"] == 1 and ours["proposals"] == 1
        return (response.json(), by_id) if done else None

    ranking, by_id = await eventually(ranked, timeout=30)
    farming_rank, trade_rank = by_id[groups["farming"]], by_id[groups["trade"]]
    assert {k: farming_rank["figures"][k] for k in farming_rank["figures"] if k != "member_average"} == {
        "members": 3, "planned": 2, "plan_items_held": 2, "plan_completion": 1.0, "activities_held": 2,
        "attendances": 5, "attendance_rate": 0.8333, "opinions_taken_in": 2, "reports": 1, "proposals": 1}
    assert {k: trade_rank["figures"][k] for k in trade_rank["figures"] if k != "member_average"} == {
        "members": 2, "planned": 2, "plan_items_held": 1, "plan_completion": 0.5, "activities_held": 1,
        "attendances": 1, "attendance_rate": 0.5, "opinions_taken_in": 0, "reports": 0, "proposals": 0}

    # the members' average is the assessment's own scores of them, one figure among the others
    preview = await members.get(f"/api/v1/assessments/preview?org_unit={PINGLUO}&year={year}", headers=staff)
    scores = {s["member_id"]: s["total"] for s in preview.json()["scores"]}
    for rank, people in ((farming_rank, farmers), (trade_rank, traders)):
        average = sum(scores[m] for m in people.values()) / len(people)
        assert rank["figures"]["member_average"] == round(average, 2)
        assert rank["points"]["member_average"] == round(round(average, 2) * 0.2, 2)
        assert rank["total"] == round(sum(rank["points"].values()), 2)
    assert {k: v for k, v in farming_rank["points"].items() if k != "member_average"} == {
        "activities_held": 4.0, "plan_completion": 20.0, "attendance_rate": 16.67, "opinions_taken_in": 1.0,
        "reports": 3.0, "proposals": 4.0}
    assert {k: v for k, v in trade_rank["points"].items() if k != "member_average"} == {
        "activities_held": 2.0, "plan_completion": 10.0, "attendance_rate": 10.0, "opinions_taken_in": 0.0,
        "reports": 0.0, "proposals": 0.0}
    assert farming_rank["total"] > trade_rank["total"] and farming_rank["rank"] < trade_rank["rank"]
    assert ranking["weights"]["per_proposal"] == 4 and ranking["org_unit"] == PINGLUO

    # the plan shows what carried it out; a member of the group reads its activities
    plan = (await members.get(f"{farming_path}/plan-items?year={year}", headers=li)).json()
    assert [p["carried_out_by"] for p in plan] == [[held[0]["id"]], [held[1]["id"]]]
    activities = (await members.get(f"{farming_path}/activities?year={year}", headers=li)).json()
    assert [len(a["member_ids"]) for a in activities] == [3, 2]
    assert sorted(activities[0]["opinion_ids"]) == sorted(opinions)

    # who reads the ranking: the county's staff and leaders, not its members nor a sibling county
    url = f"/api/v1/sector-groups/ranking?org_unit={PINGLUO}&year={year}"
    assert (await members.get(url, headers=token_for(settings, "leader", PINGLUO))).status_code == 200
    assert (await members.get(url, headers=ma)).status_code == 403
    assert (await members.get(url, headers=token_for(settings, "staff", HUINONG))).status_code == 404


async def test_a_ranking_is_read_at_one_moment(county, db_pool, monkeypatch):
    """The ranking composes the members' scores and the groups' counts from several queries; a
    consumer's transaction committed between them (one event: a credit and the group's work) is
    seen whole or not at all — never the counts with it and the average without."""
    from members.storage import groups as group_storage

    members, staff = county["members"], county["staff"]
    year = today_in_china().year
    farming, farmers = await sector_of(county, "农业界", ["马红梅"])
    formed = await members.post("/api/v1/sector-groups", headers=staff, json={
        "sector_id": farming, "name": f"one-moment-{farming[:6]}", "convener_id": farmers["马红梅"]})
    assert formed.status_code == 201, formed.text
    group_id = formed.json()["id"]

    read_counts = group_storage.work_of_groups

    async def counts_after_a_commit(conn, org_unit, year):
        # what a consumer commits between the scores' query and the counts' query
        async with db_pool.acquire() as other, other.transaction():
            await other.execute(
                "INSERT INTO members.credits (member_id, kind, source_id, occurred_at)"
                " VALUES ($1::uuid, 'proposal_accepted', $2, now())", farmers["马红梅"], str(uuid.uuid4()))
            await other.execute(
                "INSERT INTO members.sector_group_plan_items (id, group_id, planned_on, theme, created_by)"
                " VALUES ($1, $2::uuid, $3, '计划', 'test')", uuid.uuid4(), group_id, today_in_china())
        return await read_counts(conn, org_unit, year)

    monkeypatch.setattr(group_storage, "work_of_groups", counts_after_a_commit)
    response = await members.get(f"/api/v1/sector-groups/ranking?org_unit={PINGLUO}&year={year}", headers=staff)
    assert response.status_code == 200, response.text
    ours = {g["group_id"]: g for g in response.json()["groups"]}[group_id]["figures"]
    assert (ours["planned"], ours["member_average"]) == (0, 0.0)

    # read again, the commit is seen whole: the plan item and the credit's 5 points
    monkeypatch.setattr(group_storage, "work_of_groups", read_counts)
    response = await members.get(f"/api/v1/sector-groups/ranking?org_unit={PINGLUO}&year={year}", headers=staff)
    ours = {g["group_id"]: g for g in response.json()["groups"]}[group_id]["figures"]
    assert (ours["planned"], ours["member_average"]) == (1, 5.0)
