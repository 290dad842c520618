"""A village topic through the whole process, with every illegal step refused and the
outcomes held by feedback as a department task and a proposal (seen through the events)."""

import json
import uuid

from liaison_tools.testing import eventually

from .conftest import DONGFENG, PINGLUO, act, hours_from_now, ok, topic


async def test_village_topic_from_pool_to_close(world, db_pool):
    api, staff, leader = world["api"], world["village_staff"], world["county_leader"]
    water = world["departments"]["平罗县水务局"]
    created = await topic(world, staff, department_ids=[water])
    tid = created["id"]
    assert created["stage"] == "proposed" and created["level"] == "village"
    # people concerned and supporters are counted, never sent: none yet
    assert created["people_concerned"] == 0 and created["sources"][0]["kind"] == "village_committee"
    score = created["score"]
    # one source unit (切口小), nobody concerned yet, the competent department not at the village
    assert score["scope"]["value"] == 1.0 and score["solvability"]["value"] == 0.0
    assert score["attention"]["value"] == 0 and 0 < score["total"] < 1

    # illegal steps are refused with 409 and change nothing; roles with 403
    assert (await act(world, leader, tid, action="approve")).status_code == 409
    assert (await act(world, staff, tid, action="close")).status_code == 409
    assert (await act(world, leader, tid, action="select")).status_code == 403
    early = await api.post("/api/v1/sessions", headers=staff, json={
        "topic_id": tid, "title": "清淤协商", "form": "议事厅", "starts_at": "2026-12-05T09:00:00+08:00"})
    assert early.status_code == 409, early.text

    selected = await ok(await act(world, staff, tid, action="select", track="standard"))
    assert selected["stage"] == "selected" and set(selected["due"]) == {"plan_decision", "first_session"}
    wrong_form = await act(world, staff, tid, action="submit_plan", plan={
        "form": "政协搭台、各方参与", "participants": "x", "schedule": "12月"})
    assert wrong_form.status_code == 422  # not a village platform's form
    await ok(await act(world, staff, tid, action="submit_plan", plan={
        "form": "基层搭台、政协嵌入", "participants": "委员、水务局、村民代表", "schedule": "2026年12月上旬"}))
    assert (await act(world, staff, tid, action="approve")).status_code == 403  # the party committee approves
    returned = await ok(await act(world, leader, tid, action="return_plan", reason="补充村民代表名单"))
    assert returned["stage"] == "selected"
    await ok(await act(world, staff, tid, action="submit_plan", plan={
        "form": "基层搭台、政协嵌入", "participants": "委员、水务局、12名村民代表", "schedule": "2026年12月上旬"}))
    approved = await ok(await act(world, leader, tid, action="approve"))
    assert approved["stage"] == "approved"

    research = await api.post(f"/api/v1/topics/{tid}/research", headers=world["member"], json={
        "kind": "field_visit", "title": "实地查看渠道淤堵", "happened_on": "2026-11-28", "location": "东风村三组"})
    assert research.status_code == 201, research.text
    assert research.json()["member_ids"] == [world["people"]["马红梅"]]

    session = await ok(await api.post("/api/v1/sessions", headers=staff, json={
        "topic_id": tid, "title": "灌溉渠清淤协商会", "form": "议事厅", "starts_at": hours_from_now(-2),
        "venue_id": world["venue_id"], "experts": ["王工程师"], "resident_representatives": 12}), 201)
    # 不建机构建机制: the member at this village's contact point is invited, the other is not
    assert session["member_ids"] == [world["people"]["马红梅"]]
    assert session["department_ids"] == [water]
    sid = session["id"]
    assert (await ok(await api.get(f"/api/v1/topics/{tid}", headers=staff)))["stage"] == "consulting"
    assert (await act(world, staff, tid, action="conclude")).status_code == 409  # a session still scheduled

    await ok(await api.post(f"/api/v1/sessions/{sid}/actions", headers=staff, json={
        "action": "attend", "member_ids": [world["people"]["马红梅"]], "department_ids": [water], "residents": 12}))
    answered = await ok(await api.post(f"/api/v1/sessions/{sid}/opinions", headers=staff, json={
        "content": "渠道清淤后由谁管护？", "disposition": "answered", "answer": "由村集体落实管护人员"}), 201)
    assigned = await ok(await api.post(f"/api/v1/sessions/{sid}/opinions", headers=staff, json={
        "content": "三组排水口需加装闸门", "category": "水利", "disposition": "assigned",
        "department_ids": [water]}), 201)
    assert assigned["deadline"] is not None
    assert (await api.post(f"/api/v1/sessions/{sid}/opinions", headers=staff, json={
        "content": "x", "disposition": "answered"})).status_code == 422

    assert (await api.post(f"/api/v1/sessions/{sid}/actions", headers=staff, json={
        "action": "conclude"})).status_code == 422  # minutes are required
    concluded = await ok(await api.post(f"/api/v1/sessions/{sid}/actions", headers=staff, json={
        "action": "conclude", "minutes": "议定：水务局年内完成清淤；建议列入县政协提案。",
        "outcomes": [{"kind": "consensus", "text": "水务局年内完成东风村灌溉渠清淤"},
                     {"kind": "suggestion", "text": "建议县里建立小型水利设施管护机制"}]}))
    assert concluded["status"] == "concluded" and len(concluded["opinions"]) == 2
    again = await api.post(f"/api/v1/sessions/{sid}/actions", headers=staff, json={
        "action": "conclude", "minutes": "again"})
    assert again.status_code == 409

    # the residents' opinions are cases in feedback, answered or with the department
    async def cases():
        rows = await db_pool.fetch("SELECT id::text, status, channel FROM feedback.opinions WHERE id = ANY($1::uuid[])",
                                   [answered["id"], assigned["id"]])
        return {r["id"]: (r["status"], r["channel"]) for r in rows} if len(rows) == 2 else None
    found = await eventually(cases, timeout=30)
    assert found[answered["id"]] == ("answered", "consultation")
    assert found[assigned["id"]] == ("assigned", "consultation")

    outcomes = (await ok(await api.get("/api/v1/outcomes", headers=staff, params={"topic_id": tid})))["items"]
    task = next(o for o in outcomes if o["kind"] == "consensus")
    suggestion = next(o for o in outcomes if o["kind"] == "suggestion")
    assert (await act(world, staff, tid, action="close")).status_code == 409  # not concluded yet
    await ok(await act(world, staff, tid, action="conclude"))

    bad = await api.post(f"/api/v1/outcomes/{task['id']}/actions", headers=staff,
                         json={"action": "convert", "target": "department_task"})
    assert bad.status_code == 422  # a department task needs its departments
    assert (await api.post(f"/api/v1/outcomes/{task['id']}/actions", headers=staff,
                           json={"action": "evaluate", "result": "adopted"})).status_code == 409
    converted = await ok(await api.post(f"/api/v1/outcomes/{task['id']}/actions", headers=staff, json={
        "action": "convert", "target": "department_task", "department_ids": [water], "deadline": "2026-12-31"}))
    assert converted["status"] == "converted" and converted["target_kind"] == "department_task"
    proposal = await ok(await api.post(f"/api/v1/outcomes/{suggestion['id']}/actions", headers=staff, json={
        "action": "convert", "target": "proposal", "member_ids": [world["people"]["马红梅"]]}))

    # feedback holds them: a case assigned to the department, a proposal drafted with its source
    async def held():
        case = await db_pool.fetchrow("SELECT status, channel, deadline FROM feedback.opinions WHERE id = $1::uuid",
                                      converted["target_id"])
        draft = await db_pool.fetchrow("SELECT status, committee, source, proposer_member_id"
                                       " FROM feedback.proposals WHERE id = $1::uuid", proposal["target_id"])
        return (case, draft) if case and draft else None
    case, draft = await eventually(held, timeout=30)
    assert case["status"] == "assigned" and str(case["deadline"]) == "2026-12-31"
    assert draft["status"] == "draft" and draft["committee"] == PINGLUO
    assert json.loads(draft["source"]) == {"kind": "consultation_outcome", "id": suggestion["id"]}
    assert draft["proposer_member_id"] == world["people"]["马红梅"]
    # the department sees the outcome given to it
    mine = await ok(await api.get("/api/v1/outcomes", headers=world["water"]))
    assert task["id"] in {o["id"] for o in mine["items"]}

    assert (await api.post(f"/api/v1/outcomes/{task['id']}/actions", headers=staff, json={
        "action": "evaluate", "result": "not_adopted"})).status_code == 422  # needs a reason
    await ok(await api.post(f"/api/v1/outcomes/{task['id']}/actions", headers=staff, json={
        "action": "evaluate", "result": "implementing", "satisfied": 8, "basically_satisfied": 3, "unsatisfied": 1}))
    assert (await act(world, staff, tid, action="close")).status_code == 409  # the proposal is not evaluated
    done = await ok(await api.post(f"/api/v1/outcomes/{task['id']}/actions", headers=staff, json={
        "action": "evaluate", "result": "implemented", "satisfied": 10, "basically_satisfied": 2}))
    assert done["satisfaction_rate"] == 1.0
    # 公开: nobody outside reads it until staff publish it; then anyone does, without who took part
    outcome_path = f"/api/v1/outcomes/{task['id']}/actions"
    assert (await api.get(f"/api/v1/public/outcomes/{task['id']}")).status_code == 404
    assert (await api.post(outcome_path, headers=world["water"], json={"action": "publish"})).status_code in (403, 404)
    await ok(await api.post(outcome_path, headers=staff, json={"action": "publish"}))
    shown = await ok(await api.get(f"/api/v1/public/outcomes/{task['id']}"))  # no token
    assert (shown["result"], shown["satisfaction_rate"], shown["target_kind"]) == ("implemented", 1.0, "department_task")
    assert not {"member_ids", "department_ids", "instruction"} & set(shown)
    listed = await ok(await api.get("/api/v1/public/outcomes", params={"org_unit": DONGFENG}))
    assert task["id"] in {o["id"] for o in listed["items"]}
    await ok(await api.post(outcome_path, headers=staff, json={"action": "publish", "public": False}))
    assert (await api.get(f"/api/v1/public/outcomes/{task['id']}")).status_code == 404
    assert (await api.post(f"/api/v1/outcomes/{task['id']}/actions", headers=staff, json={
        "action": "evaluate", "result": "adopted"})).status_code == 409  # implemented is final
    await ok(await api.post(f"/api/v1/outcomes/{proposal['id']}/actions", headers=staff, json={
        "action": "evaluate", "result": "adopted"}))
    closed = await ok(await act(world, staff, tid, action="close"))
    assert closed["stage"] == "closed" and closed["closed_at"] is not None
    actions = [h["action"] for h in closed["history"]]
    assert actions[:5] == ["propose", "select", "submit_plan", "return_plan", "submit_plan"]
    assert "schedule_session" in actions and actions[-1] == "close"

    dashboard = await ok(await api.get("/api/v1/dashboard", headers=world["county_staff"]))
    village = next(r for r in dashboard if r["org_unit"] == DONGFENG)
    assert village["level"] == "village" and village["closed"] >= 1 and village["by_stage"]["closed"] >= 1
    assert village["conversion_rate"] is not None and village["avg_days_to_close"] is not None

    published = await db_pool.fetch(
        "SELECT event_type FROM consultation.outbox WHERE record_key = ANY($1::text[])",
        [tid, sid, task["id"], suggestion["id"]])
    types = {r["event_type"].rsplit(".", 1)[0] for r in published}
    assert {"cppcc.consultation.topic.proposed", "cppcc.consultation.topic.approved",
            "cppcc.consultation.session.scheduled", "cppcc.consultation.session.concluded",
            "cppcc.consultation.outcome.converted", "cppcc.consultation.outcome.evaluated",
            "cppcc.consultation.topic.closed"} <= types


async def test_unknown_ids_and_bad_input_write_nothing(world, db_pool):
    api, staff = world["api"], world["village_staff"]
    before = await db_pool.fetchval("SELECT count(*) FROM consultation.topics")
    for body in ({"title": ""}, {"title": "x", "org_unit": "12"}, {"title": "x", "department_ids": ["nope"]},
                 {"title": "x", "source_kind": "aliens"}, {"title": "x", "extra": 1}):
        response = await api.post("/api/v1/topics", headers=staff, json=body)
        assert response.status_code in (404, 422), (body, response.text)
    assert await db_pool.fetchval("SELECT count(*) FROM consultation.topics") == before
    for path in (f"/api/v1/topics/{uuid.uuid4()}", "/api/v1/topics/not-a-uuid", f"/api/v1/sessions/{uuid.uuid4()}",
                 f"/api/v1/outcomes/{uuid.uuid4()}"):
        assert (await api.get(path, headers=staff)).status_code == 404
