"""溯源: one answer shows what became of an opinion — its merge, escalations and conversion, the
topic, session and outcomes in consultation, the proposal and report they became — and a proposal
answers where it came from. Built from events into feedback's projection, rebuilt identically by a
replay; the citizen's public chain of the same, with nothing personal or internal."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from feedback.handlers.lineage import public_chain
from liaison_shared.replay import replay
from liaison_tools.testing import eventually, running, token_for

CITY, PINGLUO, HUINONG = "640200000000", "640221000000", "640205000000"
HUANGQUQIAO, DONGFENG = "640221100000", "640221100201"
CONTENT = "东风村村口灌溉渠堵塞，浇地困难"
LINEAGE_TABLES = ("lineage_topics", "lineage_sessions", "lineage_outcomes")


@pytest_asyncio.fixture(scope="module")
async def world(platform, service_specs, db_pool):
    settings = platform.model_copy(update={"public_rate_limit_per_minute": 10_000})
    async with running(service_specs["members"], settings) as members, \
            running(service_specs["consultation"], settings) as consultation, \
            running(service_specs["feedback"], settings) as feedback:
        admin = token_for(settings, "admin", CITY)
        for code, name in [(CITY, "石嘴山市"), (PINGLUO, "平罗县"), (HUANGQUQIAO, "黄渠桥镇"), (DONGFENG, "东风村"),
                           (HUINONG, "惠农区")]:
            response = await members.post("/api/v1/org-units", headers=admin, json={"code": code, "name": name})
            assert response.status_code in (201, 409)
        tag = uuid.uuid4().hex[:6]
        water = await members.post("/api/v1/departments", headers=admin,
                                   json={"name": f"平罗县水务局({tag})", "org_unit": PINGLUO})
        sector = await members.post("/api/v1/sectors", headers=admin, json={
            "org_unit": PINGLUO, "name": f"农业界({tag})", "category": "professional"})
        member = await members.post("/api/v1/members", headers=admin, json={
            "name": "马红梅", "sector_id": sector.json()["id"], "org_unit": PINGLUO})
        assert water.status_code == 201 and member.status_code == 201, member.text
        member_id = member.json()["id"]

        async def projected():
            return await db_pool.fetchval(
                "SELECT (SELECT count(*) FROM consultation.members WHERE id = $1) = 1"
                " AND (SELECT count(*) FROM feedback.members WHERE id = $1) = 1"
                " AND (SELECT count(*) FROM consultation.org_units WHERE code = ANY($2::text[])) = 5",
                member_id, [CITY, PINGLUO, HUANGQUQIAO, DONGFENG, HUINONG])
        await eventually(projected, timeout=40)
        yield {
            "feedback": feedback, "consultation": consultation, "settings": settings, "member_id": member_id,
            "village_staff": token_for(settings, "staff", DONGFENG),
            "town_staff": token_for(settings, "staff", HUANGQUQIAO),
            "county_staff": token_for(settings, "staff", PINGLUO),
            "county_leader": token_for(settings, "leader", PINGLUO),
            "huinong_staff": token_for(settings, "staff", HUINONG),
            "member": token_for(settings, "member", PINGLUO, member_id=member_id),
            "water": token_for(settings, "department", PINGLUO, dept=water.json()["id"]),
        }


async def ok(response, status=200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


async def story(world) -> dict:
    """Two villagers say the same; the cases merge, climb to the county, become a county topic,
    a session agrees two outcomes: one a proposal (adopted), one a public-opinion report."""
    feedback, api = world["feedback"], world["consultation"]
    village, town, county = world["village_staff"], world["town_staff"], world["county_staff"]
    intakes = [await ok(await feedback.post("/api/v1/opinions", json={
        "content": CONTENT, "org_unit": DONGFENG, "channel": "reception_day", "category": "水利"}), 201)
        for _ in range(2)]
    first, second = (i["id"] for i in intakes)
    await ok(await feedback.post(f"/api/v1/opinions/{second}/actions", headers=village,
                                 json={"action": "merge", "into": first}))
    await ok(await feedback.post(f"/api/v1/opinions/{first}/actions", headers=village,
                                 json={"action": "escalate", "reason": "村里无力清淤"}))
    await ok(await feedback.post(f"/api/v1/opinions/{first}/actions", headers=town,
                                 json={"action": "escalate", "reason": "涉及县水务局"}))
    case = await ok(await feedback.post(f"/api/v1/opinions/{first}/actions", headers=county, json={
        "action": "convert", "target": "topic", "title": "东风村灌溉渠清淤"}))
    topic_id = case["converted_to"]["id"]

    async def topic_there():
        response = await api.get(f"/api/v1/topics/{topic_id}", headers=county)
        return response.json() if response.status_code == 200 else None
    # the county converted it: the county's topic, in the county's pool
    assert (await eventually(topic_there, timeout=30))["org_unit"] == PINGLUO
    await ok(await api.post(f"/api/v1/topics/{topic_id}/actions", headers=county,
                            json={"action": "select", "track": "small_matter"}))
    session = await ok(await api.post("/api/v1/sessions", headers=county, json={
        "topic_id": topic_id, "title": "灌溉渠清淤协商", "form": "基层搭台、政协嵌入", "member_ids": [],
        "starts_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(), "location": "村委会"}), 201)
    await ok(await api.post(f"/api/v1/sessions/{session['id']}/actions", headers=county, json={
        "action": "conclude", "minutes": "议定两项", "outcomes": [
            {"kind": "suggestion", "text": "建议县里设立农田水利维修专项"},
            {"kind": "consensus", "text": "汛前完成全县渠道排查"}]}))
    outcomes = (await ok(await api.get(f"/api/v1/topics/{topic_id}", headers=county)))["outcomes"]
    by_text = {o["kind"]: o["id"] for o in outcomes}
    proposal_outcome, report_outcome = by_text["suggestion"], by_text["consensus"]
    converted = await ok(await api.post(f"/api/v1/outcomes/{proposal_outcome}/actions", headers=county, json={
        "action": "convert", "target": "proposal", "member_ids": [world["member_id"]]}))
    await ok(await api.post(f"/api/v1/outcomes/{proposal_outcome}/actions", headers=county,
                            json={"action": "evaluate", "result": "adopted"}))
    reported = await ok(await api.post(f"/api/v1/outcomes/{report_outcome}/actions", headers=county,
                                       json={"action": "convert", "target": "public_opinion_report"}))
    party = (await ok(await api.post("/api/v1/outcomes", headers=county, json={
        "topic_id": topic_id, "session_id": session["id"], "kind": "consensus", "text": "报县委县政府统筹渠系改造"}),
        201))["id"]
    await ok(await api.post(f"/api/v1/outcomes/{party}/actions", headers=county,
                            json={"action": "convert", "target": "party_report"}))
    await ok(await api.post(f"/api/v1/outcomes/{party}/actions", headers=world["county_leader"],
                            json={"action": "instruct", "text": "请县水务局牵头，汛前完成"}))
    return {"first": first, "second": second, "code": intakes[0]["tracking_code"], "topic_id": topic_id, "session_id": session["id"],
            "proposal_outcome": proposal_outcome, "report_outcome": report_outcome, "party_outcome": party,
            "proposal_id": converted["target_id"], "report_id": reported["target_id"]}


def complete(c) -> bool:
    """Every event of the story has reached feedback's projection."""
    return bool(c["proposals"] and c["reports"] and len(c["outcomes"]) == 3 and c["topic"]["stage"] == "concluded"
                and any(o["instructed_at"] for o in c["outcomes"]) and any(o["result"] for o in c["outcomes"])
                and c["sessions"] and c["sessions"][0]["status"] == "concluded")


async def lineage_when(world, path: str, ready) -> dict:
    async def check():
        response = await world["feedback"].get(path, headers=world["county_staff"])
        return response.json() if response.status_code == 200 and ready(response.json()) else None
    return await eventually(check, timeout=40)


async def test_the_lineage_of_an_opinion_names_every_step_and_the_proposal_points_back(world, db_pool):
    s = await story(world)
    chain = await lineage_when(world, f"/api/v1/opinions/{s['first']}/lineage", complete)
    assert chain["opinion"]["people_count"] == 2
    assert chain["opinion"]["converted_to"] == {"kind": "topic", "id": s["topic_id"]}
    assert [step["action"] for step in chain["steps"]] == ["merged_in", "escalate", "escalate", "convert"]
    assert [(step["detail"]["from"], step["detail"]["to"]) for step in chain["steps"][1:3]] == [
        (DONGFENG, HUANGQUQIAO), (HUANGQUQIAO, PINGLUO)]
    assert chain["merged_in"] == [{"id": s["second"], "org_unit": DONGFENG, "people_count": 1}]
    assert chain["topic"]["id"] == s["topic_id"] and chain["topic"]["title"] == "东风村灌溉渠清淤"
    assert chain["topic"]["stage"] == "concluded" and chain["topic"]["track"] == "small_matter"
    assert [x["id"] for x in chain["sessions"]] == [s["session_id"]]
    outcomes = {o["id"]: o for o in chain["outcomes"]}
    assert (outcomes[s["proposal_outcome"]]["target_kind"], outcomes[s["proposal_outcome"]]["result"]) == (
        "proposal", "adopted")
    assert outcomes[s["report_outcome"]]["target_kind"] == "public_opinion_report"
    assert (outcomes[s["party_outcome"]]["target_kind"], outcomes[s["party_outcome"]]["instructed_by"]) == (
        "party_report", PINGLUO)
    assert [p["id"] for p in chain["proposals"]] == [s["proposal_id"]]
    assert chain["proposals"][0]["status"] == "draft" and chain["proposals"][0]["committee"] == PINGLUO
    assert [r["id"] for r in chain["reports"]] == [s["report_id"]]
    assert CONTENT not in json.dumps(chain, ensure_ascii=False)  # the citizen's words stay in the case

    # the merged case answers with the chain of the case it joined
    merged = await ok(await world["feedback"].get(f"/api/v1/opinions/{s['second']}/lineage",
                                                  headers=world["county_staff"]))
    assert merged["answered_through"] == s["first"] and merged["topic"]["id"] == s["topic_id"]
    assert [step["action"] for step in merged["steps"]] == ["merge"]

    # the proposal points back to every opinion and the people behind them
    back = await ok(await world["feedback"].get(f"/api/v1/proposals/{s['proposal_id']}/lineage",
                                                headers=world["county_leader"]))
    assert back["source"] == {"kind": "consultation_outcome", "id": s["proposal_outcome"]}
    assert [t["id"] for t in back["topics"]] == [s["topic_id"]]
    assert [o["id"] for o in back["opinions"]] == [s["first"]] and back["people"] == 2

    # staff and leaders of the scope only
    for who, status in (("huinong_staff", 404), ("member", 403), ("water", 403)):
        for path in (f"/api/v1/opinions/{s['first']}/lineage", f"/api/v1/proposals/{s['proposal_id']}/lineage"):
            assert (await world["feedback"].get(path, headers=world[who])).status_code == status, (who, path)
    assert (await world["feedback"].get(f"/api/v1/opinions/{uuid.uuid4()}/lineage",
                                        headers=world["county_staff"])).status_code == 404

    # the citizen's chain: the same steps, nothing personal or internal
    async with db_pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL search_path TO feedback, public")
        public = await public_chain(conn, s["first"])
    tracked = await ok(await world["feedback"].get(f"/api/v1/track/{s['code']}"))
    assert tracked["chain"] == public  # the tracking answer carries the same chain
    assert [step["step"] for step in public["steps"]] == ["joined_by", "escalated", "escalated", "converted"]
    assert public["converted_into"] == "topic" and public["topic"]["stage"] == "concluded"
    assert sorted((o["converted_into"], o["result"], o["instructed"]) for o in public["outcomes"]) == [
        ("party_report", None, True), ("proposal", "adopted", False), ("public_opinion_report", None, False)]
    assert public["proposals"] == [{"number": None, "status": "draft", "reply_class": None, "evaluation": None}]
    text = json.dumps(public, ensure_ascii=False)
    for internal in (s["first"], s["second"], s["topic_id"], s["proposal_id"], s["report_id"], PINGLUO, DONGFENG,
                     CONTENT, "村里无力清淤", "东风村灌溉渠清淤", "请县水务局牵头", "staff"):
        assert internal not in text, internal


async def test_replay_rebuilds_the_lineage_projection_identically(world, db_pool, service_specs):
    s = await story(world)
    await lineage_when(world, f"/api/v1/opinions/{s['first']}/lineage", complete)

    async def snapshot():
        return {t: [dict(r) for r in await db_pool.fetch(f"SELECT * FROM feedback.{t} ORDER BY id")]
                for t in LINEAGE_TABLES}

    async def settled():  # nothing more arrives: the live consumer is done with the story
        first = await snapshot()
        await asyncio.sleep(1)
        return first if first == await snapshot() else None
    before = await eventually(settled, timeout=30)
    assert all(before[t] for t in LINEAGE_TABLES)
    spec = service_specs["feedback"]
    consultation_topics = [t for t in spec.consumer.topics if t.startswith("cppcc.consultation.")]
    async with db_pool.acquire() as conn:
        for table in LINEAGE_TABLES:
            await conn.execute(f"DELETE FROM feedback.{table}")
    report = await replay(spec, world["settings"], consultation_topics)
    assert report.outcomes["rebuilt"] > 0
    assert await snapshot() == before
    again = await replay(spec, world["settings"], consultation_topics)
    assert again.records == report.records and await snapshot() == before


async def test_a_cancelled_session_shows_cancelled_in_the_chain(world):
    """A session scheduled on the topic an opinion became, then cancelled: the opinion's lineage and
    the citizen's tracking page say it will not be held — not "scheduled" for ever."""
    feedback, api, county = world["feedback"], world["consultation"], world["county_staff"]
    intake = await ok(await feedback.post("/api/v1/opinions", json={
        "content": "村东头斗渠漏水，地浇不上", "org_unit": DONGFENG, "channel": "reception_day", "category": "水利"}), 201)
    for staff, reason in (("village_staff", "村里管不了"), ("town_staff", "需县里统筹")):
        await ok(await feedback.post(f"/api/v1/opinions/{intake['id']}/actions", headers=world[staff],
                                     json={"action": "escalate", "reason": reason}))
    case = await ok(await feedback.post(f"/api/v1/opinions/{intake['id']}/actions", headers=county, json={
        "action": "convert", "target": "topic", "title": "东风村斗渠维修"}))
    topic_id = case["converted_to"]["id"]

    async def topic_there():
        return (await api.get(f"/api/v1/topics/{topic_id}", headers=county)).status_code == 200
    await eventually(topic_there, timeout=30)
    await ok(await api.post(f"/api/v1/topics/{topic_id}/actions", headers=county,
                            json={"action": "select", "track": "small_matter"}))
    starts_at = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    session = await ok(await api.post("/api/v1/sessions", headers=county, json={
        "topic_id": topic_id, "title": "斗渠维修协商", "form": "基层搭台、政协嵌入", "member_ids": [],
        "starts_at": starts_at.isoformat(), "location": "村委会"}), 201)
    await lineage_when(world, f"/api/v1/opinions/{intake['id']}/lineage",
                       lambda c: [x["status"] for x in c["sessions"]] == ["scheduled"])
    await ok(await api.post(f"/api/v1/sessions/{session['id']}/actions", headers=county,
                            json={"action": "cancel", "reason": "村委会场地维修"}))

    chain = await lineage_when(world, f"/api/v1/opinions/{intake['id']}/lineage",
                               lambda c: [x["status"] for x in c["sessions"]] != ["scheduled"])
    assert [(x["id"], x["status"]) for x in chain["sessions"]] == [(session["id"], "cancelled")]
    assert datetime.fromisoformat(chain["sessions"][0]["starts_at"]) == starts_at
    tracked = await ok(await feedback.get(f"/api/v1/track/{intake['tracking_code']}"))
    assert [x["status"] for x in tracked["chain"]["sessions"]] == ["cancelled"]
    assert "村委会场地维修" not in json.dumps(tracked, ensure_ascii=False)  # staff's reason stays inside
