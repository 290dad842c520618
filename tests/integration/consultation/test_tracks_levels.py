"""Both fast tracks, a city topic with its 批示, a topic raised from town to county and
handed down again, opinions converted into topics, scope, and projections rebuilt by replay."""

import json

from liaison_shared.replay import replay
from liaison_tools.testing import eventually

from .conftest import CITY, DONGFENG, HUANGQUQIAO, PINGLUO, act, hours_from_now, ok, topic


async def events_of(db_pool, key: str) -> dict[str, dict]:
    rows = await db_pool.fetch("SELECT event_type, convert_from(payload, 'UTF8') AS data FROM consultation.outbox"
                               " WHERE record_key = $1 ORDER BY id", key)
    return {r["event_type"].rsplit(".", 2)[-2]: json.loads(r["data"]) for r in rows}


async def test_small_matter_skips_approval_and_concludes_in_one_sitting(world, db_pool):
    api, staff = world["api"], world["village_staff"]
    tid = (await topic(world, staff, title="村委会门前路灯不亮"))["id"]
    selected = await ok(await act(world, staff, tid, action="select", track="small_matter"))
    assert selected["track"] == "small_matter" and set(selected["due"]) == {"first_session"}
    refused = await act(world, staff, tid, action="submit_plan", plan={
        "form": "小微协商", "participants": "x", "schedule": "y"})
    assert refused.status_code == 409 and "小事简议" in refused.json()["error"]["message"]
    assert (await events_of(db_pool, tid))["approved"]["track"] == "small_matter"

    session = await ok(await api.post("/api/v1/sessions", headers=staff, json={
        "topic_id": tid, "title": "路灯小微协商", "form": "小微协商", "starts_at": "2026-12-01T18:00:00+08:00",
        "location": "村委会广场", "member_ids": []}), 201)
    await ok(await api.post(f"/api/v1/sessions/{session['id']}/actions", headers=staff, json={
        "action": "conclude", "minutes": "当场议定由村委会三日内更换灯泡",
        "outcomes": [{"kind": "consensus", "text": "村委会三日内更换路灯"}]}))
    after = await ok(await api.get(f"/api/v1/topics/{tid}", headers=staff))
    assert after["stage"] == "concluded" and "conversion" in after["due"]
    assert after["history"][-1]["detail"]["in_one_sitting"] is True


async def test_urgent_track_shortens_deadlines_and_is_urgent_everywhere(world, db_pool):
    api, staff, leader = world["api"], world["town_staff"], world["county_leader"]
    standard = await ok(await act(world, staff, (await topic(world, staff, org_unit=HUANGQUQIAO))["id"],
                                  action="select", track="standard"))
    tid = (await topic(world, staff, org_unit=HUANGQUQIAO, title="汛期堤坝隐患"))["id"]
    urgent = await ok(await act(world, staff, tid, action="select", track="urgent"))
    assert urgent["due"]["plan_decision"] < standard["due"]["plan_decision"]
    assert urgent["due"]["first_session"] < standard["due"]["first_session"]
    await ok(await act(world, staff, tid, action="submit_plan", plan={
        "form": "议事厅", "participants": "镇村干部、委员", "schedule": "48小时内"}))
    await ok(await act(world, leader, tid, action="approve"))
    session = await ok(await api.post("/api/v1/sessions", headers=staff, json={
        "topic_id": tid, "title": "堤坝隐患急事快议", "form": "议事厅", "starts_at": "2026-11-30T09:00:00+08:00"}),
        201)
    assert (await events_of(db_pool, tid))["approved"]["urgency"] == "urgent"
    assert (await events_of(db_pool, session["id"]))["scheduled"]["urgency"] == "urgent"
    levels = await ok(await api.get("/api/v1/levels", headers=staff))
    assert [row["level"] for row in levels] == ["city", "county", "town", "village"]
    assert levels[0]["deadlines"]["urgent"]["department_task"] < levels[0]["deadlines"]["standard"]["department_task"]


async def test_city_topic_with_party_report_and_instruction(world, db_pool):
    api, staff, leader = world["api"], world["city_staff"], world["city_leader"]
    ndrc = world["departments"]["石嘴山市发改委"]
    tid = (await topic(world, staff, org_unit=CITY, title="老工业基地转型中的就业保障", source_kind="party_committee",
                       department_ids=[ndrc]))["id"]
    detail = await ok(await api.get(f"/api/v1/topics/{tid}", headers=staff))
    assert detail["level"] == "city" and detail["score"]["solvability"]["value"] == 1.0
    await ok(await act(world, staff, tid, action="select"))
    small = await api.post("/api/v1/sessions", headers=staff, json={
        "topic_id": tid, "title": "x", "form": "小微协商", "starts_at": "2026-12-10T09:00:00+08:00"})
    assert small.status_code == 409  # not approved yet
    await ok(await act(world, staff, tid, action="submit_plan", plan={
        "form": "政协搭台、各方参与", "participants": "委员、部门、专家", "schedule": "12月中旬"}))
    await ok(await act(world, leader, tid, action="approve"))
    wrong = await api.post("/api/v1/sessions", headers=staff, json={
        "topic_id": tid, "title": "x", "form": "小微协商", "starts_at": "2026-12-10T09:00:00+08:00"})
    assert wrong.status_code == 422  # 小微协商 is not a city platform's form
    session = await ok(await api.post("/api/v1/sessions", headers=staff, json={
        "topic_id": tid, "title": "专题协商会", "form": "政协搭台、各方参与", "starts_at": hours_from_now(-3),
        "member_ids": list(world["people"].values())}), 201)
    await ok(await api.post(f"/api/v1/sessions/{session['id']}/actions", headers=staff, json={
        "action": "conclude", "minutes": "形成协商报告", "outcomes": [{"kind": "consensus", "text": "建立转岗培训基金"}]}))
    await ok(await act(world, staff, tid, action="conclude"))
    outcome = (await ok(await api.get("/api/v1/outcomes", headers=staff, params={"topic_id": tid})))["items"][0]
    path = f"/api/v1/outcomes/{outcome['id']}/actions"
    assert (await api.post(path, headers=leader, json={"action": "instruct", "text": "x"})).status_code == 409
    await ok(await api.post(path, headers=staff, json={"action": "convert", "target": "party_report"}))
    assert (await api.post(path, headers=staff, json={"action": "instruct", "text": "x"})).status_code == 403
    instructed = await ok(await api.post(path, headers=leader, json={"action": "instruct", "text": "请市人社局牵头落实"}))
    assert instructed["instruction"] == "请市人社局牵头落实" and instructed["instructed_by"] == CITY
    await ok(await api.post(path, headers=staff, json={"action": "evaluate", "result": "not_adopted",
                                                       "reason": "已有同类政策"}))
    assert (await ok(await act(world, staff, tid, action="close")))["stage"] == "closed"


async def test_raise_from_town_to_county_and_hand_down(world):
    api, town, county = world["api"], world["town_staff"], world["county_staff"]
    tid = (await topic(world, town, org_unit=HUANGQUQIAO, title="跨镇排水沟改造"))["id"]
    await ok(await act(world, town, tid, action="select", track="urgent"))
    assert (await act(world, town, tid, action="raise")).status_code == 422  # a reason is required
    raised = await ok(await act(world, town, tid, action="raise", reason="涉及两个镇，需县级协调"))
    assert raised["org_unit"] == PINGLUO and raised["level"] == "county" and raised["stage"] == "proposed"
    assert raised["track"] == "standard" and raised["due"] == {}
    assert raised["history"][-1]["detail"]["raised"] == {"from": HUANGQUQIAO, "to": PINGLUO}
    # the county holds it now; the town that raised it still follows it, but decides nothing more
    assert (await ok(await api.get(f"/api/v1/topics/{tid}", headers=town)))["org_unit"] == PINGLUO
    assert (await act(world, town, tid, action="select")).status_code == 404
    assert (await api.patch(f"/api/v1/topics/{tid}", headers=town, json={"title": "x"})).status_code == 404
    assert tid in {t["id"] for t in (await ok(await api.get("/api/v1/topics", headers=county,
                                                            params={"level": "county", "limit": 500})))["items"]}
    assert (await act(world, county, tid, action="hand_down", to=CITY, reason="x")).status_code == 422
    down = await ok(await act(world, county, tid, action="hand_down", to=DONGFENG, reason="村里能解决"))
    assert down["org_unit"] == DONGFENG and down["level"] == "village"
    assert [h["action"] for h in down["history"]] == ["propose", "select", "raise", "hand_down"]
    city = await topic(world, world["city_staff"], org_unit=CITY, title="x")
    assert (await act(world, world["city_staff"], city["id"], action="raise", reason="x")).status_code == 409


async def test_sibling_units_see_and_change_nothing(world, db_pool):
    api, mine, sibling = world["api"], world["town_staff"], world["sibling_staff"]
    tid = (await topic(world, mine, org_unit=HUANGQUQIAO, title="镇区停车难"))["id"]
    await ok(await act(world, mine, tid, action="select", track="small_matter"))
    session = await ok(await api.post("/api/v1/sessions", headers=mine, json={
        "topic_id": tid, "title": "停车议事", "form": "议事厅", "starts_at": "2026-12-02T09:00:00+08:00",
        "member_ids": []}), 201)
    outcome = await ok(await api.post("/api/v1/outcomes", headers=mine, json={
        "topic_id": tid, "kind": "suggestion", "text": "施划临时停车位"}), 201)
    before = await db_pool.fetchval("SELECT updated_at FROM consultation.topics WHERE id = $1::uuid", tid)
    for method, path, body in [
        ("get", f"/api/v1/topics/{tid}", None),
        ("post", f"/api/v1/topics/{tid}/actions", {"action": "decline", "reason": "x"}),
        ("patch", f"/api/v1/topics/{tid}", {"title": "changed"}),
        ("post", f"/api/v1/topics/{tid}/research", {"kind": "material", "title": "x"}),
        ("get", f"/api/v1/sessions/{session['id']}", None),
        ("post", f"/api/v1/sessions/{session['id']}/actions", {"action": "cancel", "reason": "x"}),
        ("post", f"/api/v1/sessions/{session['id']}/opinions", {"content": "x"}),
        ("post", "/api/v1/sessions", {"topic_id": tid, "title": "x", "form": "议事厅",
                                      "starts_at": "2026-12-02T09:00:00+08:00"}),
        ("get", f"/api/v1/outcomes/{outcome['id']}", None),
        ("post", f"/api/v1/outcomes/{outcome['id']}/actions", {"action": "convert", "target": "proposal"}),
        ("post", "/api/v1/outcomes", {"topic_id": tid, "kind": "consensus", "text": "x"}),
    ]:
        response = await api.request(method, path, headers=sibling, json=body)
        assert response.status_code == 404, (path, response.text)
    assert await db_pool.fetchval("SELECT updated_at FROM consultation.topics WHERE id = $1::uuid", tid) == before
    assert await db_pool.fetchval("SELECT status FROM consultation.sessions WHERE id = $1::uuid",
                                  session["id"]) == "scheduled"
    assert await db_pool.fetchval("SELECT count(*) FROM consultation.session_opinions WHERE session_id = $1::uuid",
                                  session["id"]) == 0
    for path in ("/api/v1/topics", "/api/v1/sessions", "/api/v1/outcomes"):
        listed = await ok(await api.get(path, headers=sibling, params={"limit": 500}))
        assert not {tid, session["id"], outcome["id"]} & {item["id"] for item in listed["items"]}
    assert all(r["org_unit"].startswith("640221101") for r in await ok(await api.get("/api/v1/dashboard",
                                                                                    headers=sibling)))


async def test_opinions_converted_into_a_topic_raise_its_people(world, db_pool):
    feedback, staff = world["feedback"], world["village_staff"]

    async def opinion() -> str:
        created = await feedback.post("/api/v1/opinions", json={
            "content": "村里缺少老年活动场所", "org_unit": DONGFENG, "channel": "visit", "category": "养老"})
        assert created.status_code == 201, created.text
        return created.json()["id"]

    first, second = await opinion(), await opinion()
    converted = await ok(await feedback.post(f"/api/v1/opinions/{first}/actions", headers=staff, json={
        "action": "convert", "target": "topic", "title": "建设村级老年活动站"}))
    topic_id = (await db_pool.fetchrow("SELECT converted_to FROM feedback.opinions WHERE id = $1::uuid", first))
    topic_id = json.loads(topic_id["converted_to"])["id"]

    async def arrived():
        response = await world["api"].get(f"/api/v1/topics/{topic_id}", headers=staff)
        return response if response.status_code == 200 else None
    got = await eventually(arrived, timeout=30)
    assert got.json()["title"] == "建设村级老年活动站" and got.json()["source_kind"] == "public"
    assert converted["status"] == "converted"

    async def joined():
        # feedback links only a topic it has heard of (its projection of the pool): it may lag
        response = await feedback.post(f"/api/v1/opinions/{second}/actions", headers=staff, json={
            "action": "convert", "target": "topic", "topic_id": topic_id})
        return response if response.status_code == 200 else None
    await eventually(joined, timeout=30)

    async def linked():
        row = (await world["api"].get(f"/api/v1/topics/{topic_id}", headers=staff)).json()
        return row if row["linked_opinions"] == 2 else None
    row = await eventually(linked, timeout=30)
    assert row["people_concerned"] == 2 and {s["ref"] for s in row["sources"]} == {first, second}


async def test_projections_rebuilt_from_a_replay_of_the_members_events(world, db_pool, service_specs):
    tables = ("org_units", "departments", "members", "venues")

    async def snapshot():
        out = {}
        for table in tables:
            key = "code" if table == "org_units" else "id"
            rows = await db_pool.fetch(f"SELECT * FROM consultation.{table} ORDER BY {key}")
            out[table] = [dict(r) for r in rows]
        return out

    before = await snapshot()
    assert all(before[t] for t in tables)
    spec = service_specs["consultation"]
    members_topics = [t for t in spec.consumer.topics if t.startswith("cppcc.members.")]
    dry = await replay(spec, world["settings"], members_topics, dry_run=True)
    assert dry.records > 0 and set(dry.outcomes) <= {"would_apply", "ignored"}
    async with db_pool.acquire() as conn:
        for table in tables:
            await conn.execute(f"DELETE FROM consultation.{table}")
    seen = []
    report = await replay(spec, world["settings"], members_topics, progress=lambda done, total: seen.append(total))
    assert report.outcomes["rebuilt"] > 0 and seen and seen[-1] == report.records
    assert await snapshot() == before
    # a second replay changes nothing more
    again = await replay(spec, world["settings"], members_topics)
    assert again.records == report.records and await snapshot() == before
