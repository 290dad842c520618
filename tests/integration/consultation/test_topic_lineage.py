"""A converted opinion lands in the pool of the unit that converted it; a unit that raised a topic
keeps reading it; a topic's lineage names every opinion that fed it, its sessions and outcomes."""

# (named to run after test_process, whose world expects to be the first to put a member at 东风村)

import json
import uuid

from liaison_shared.contracts.feedback import OutcomeConverted, OutcomeRef
from liaison_shared.events import Envelope
from liaison_tools.testing import eventually, produce_raw

from .conftest import CITY, DONGFENG, HUINONG, PINGLUO, act, hours_from_now, ok, topic


async def converted(world, *, org_unit: str, converted_by_unit: str | None, people: int = 1) -> str:
    """feedback's outcome.converted of a 东风村 case into a new topic, as feedback publishes it."""
    topic_id = str(uuid.uuid4())
    event = OutcomeConverted(source=OutcomeRef(kind="opinion", id=str(uuid.uuid4())),
                             target=OutcomeRef(kind="topic", id=topic_id), org_unit=org_unit,
                             title="村口灌溉渠堵塞", people_count=people, converted_by_unit=converted_by_unit)
    envelope = Envelope.wrap(event, subject=event.source.id, org_unit=org_unit)
    await produce_raw(world["settings"], envelope.topic, [(envelope.key.encode(), envelope.value(), envelope.headers())])
    return topic_id


async def arrived(world, db_pool, topic_id: str) -> str:
    async def there():
        return await db_pool.fetchval("SELECT org_unit FROM consultation.topics WHERE id = $1::uuid", topic_id)
    return await eventually(there, timeout=30)


async def test_a_county_conversion_lands_in_the_county_pool(world, db_pool):
    api = world["api"]
    county = await converted(world, org_unit=DONGFENG, converted_by_unit=PINGLUO, people=3)
    assert await arrived(world, db_pool, county) == PINGLUO
    row = await ok(await api.get(f"/api/v1/topics/{county}", headers=world["county_staff"]))
    assert row["level"] == "county" and row["people_concerned"] == 3
    assert [s["org_unit"] for s in row["sources"]] == [DONGFENG]  # the source stays where it arose
    # the village did not convert it: it is not in the village's pool
    assert (await api.get(f"/api/v1/topics/{county}", headers=world["village_staff"])).status_code == 404
    village = await ok(await api.get("/api/v1/topics", headers=world["village_staff"], params={"limit": 500}))
    assert county not in {t["id"] for t in village["items"]}
    # without the converting unit (an older feedback), the case's unit as before
    assert await arrived(world, db_pool, await converted(world, org_unit=DONGFENG, converted_by_unit=None)) == DONGFENG
    # a unit that is not above the case (a sibling county) cannot take it into its pool
    assert await arrived(world, db_pool, await converted(world, org_unit=DONGFENG,
                                                         converted_by_unit=HUINONG)) == DONGFENG


async def test_staff_who_raised_a_topic_to_the_city_still_see_it(world):
    api, county, city = world["api"], world["county_staff"], world["city_staff"]
    tid = (await topic(world, county, org_unit=PINGLUO, title="县城至各镇公交线路不足"))["id"]
    raised = await ok(await act(world, county, tid, action="raise", reason="跨县区事项，需市级协调"))
    assert raised["org_unit"] == CITY
    seen = await ok(await api.get(f"/api/v1/topics/{tid}", headers=county))
    assert seen["org_unit"] == CITY and seen["history"][-1]["action"] == "raise"
    listed = await ok(await api.get("/api/v1/topics", headers=county, params={"level": "city", "limit": 500}))
    assert tid in {t["id"] for t in listed["items"]}
    assert tid not in {t["id"] for t in (await ok(await api.get(
        "/api/v1/topics", headers=world["huinong_staff"], params={"limit": 500})))["items"]}
    assert (await ok(await api.get(f"/api/v1/topics/{tid}/lineage", headers=county)))["moves"][0] \
        ["to_unit"] == CITY
    # reading is all: the city decides
    assert (await act(world, county, tid, action="select")).status_code == 404
    assert (await act(world, county, tid, action="decline", reason="x")).status_code == 404
    assert (await api.post("/api/v1/sessions", headers=county, json={
        "topic_id": tid, "title": "x", "form": "政协搭台、各方参与",
        "starts_at": hours_from_now(24)})).status_code == 404
    # a sibling county, which raised nothing, sees nothing
    assert (await api.get(f"/api/v1/topics/{tid}", headers=world["huinong_staff"])).status_code == 404
    assert (await ok(await act(world, city, tid, action="select")))["stage"] == "selected"


async def test_topic_lineage_names_its_opinions_people_sessions_and_outcomes(world, db_pool):
    api, feedback, staff = world["api"], world["feedback"], world["village_staff"]

    async def opinion() -> str:
        created = await feedback.post("/api/v1/opinions", json={
            "content": "村里缺少公共厕所", "org_unit": DONGFENG, "channel": "visit", "category": "环境卫生"})
        assert created.status_code == 201, created.text
        return created.json()["id"]

    first, second = await opinion(), await opinion()
    await ok(await feedback.post(f"/api/v1/opinions/{first}/actions", headers=staff, json={
        "action": "convert", "target": "topic", "title": "新建村级公共厕所"}))
    row = await db_pool.fetchrow("SELECT converted_to FROM feedback.opinions WHERE id = $1::uuid", first)
    tid = json.loads(row["converted_to"])["id"]

    async def joined():
        response = await feedback.post(f"/api/v1/opinions/{second}/actions", headers=staff, json={
            "action": "convert", "target": "topic", "topic_id": tid})
        return response if response.status_code == 200 else None
    await eventually(joined, timeout=30)

    async def both():
        response = await api.get(f"/api/v1/topics/{tid}/lineage", headers=staff)
        return response.json() if response.status_code == 200 and len(response.json()["opinions"]) == 2 else None
    lineage = await eventually(both, timeout=30)
    assert {o["id"] for o in lineage["opinions"]} == {first, second} and lineage["people"] == 2
    assert all(o["org_unit"] == DONGFENG for o in lineage["opinions"])
    assert "村里缺少公共厕所" not in json.dumps(lineage, ensure_ascii=False)  # no citizen's words

    await ok(await act(world, staff, tid, action="select", track="small_matter"))
    session = await ok(await api.post("/api/v1/sessions", headers=staff, json={
        "topic_id": tid, "title": "公厕选址小微协商", "form": "小微协商", "starts_at": hours_from_now(-1),
        "location": "村委会", "member_ids": []}), 201)
    await ok(await api.post(f"/api/v1/sessions/{session['id']}/actions", headers=staff, json={
        "action": "conclude", "minutes": "议定选址村委会东侧", "outcomes": [{"kind": "consensus", "text": "村委会东侧建公厕"}]}))
    detail = await ok(await api.get(f"/api/v1/topics/{tid}", headers=staff))
    assert [(s["id"], s["status"]) for s in detail["sessions"]] == [(session["id"], "concluded")]
    [outcome] = detail["outcomes"]
    assert outcome["kind"] == "consensus" and outcome["status"] == "drafted" and outcome["session_id"] == session["id"]
    path = f"/api/v1/outcomes/{outcome['id']}/actions"
    await ok(await api.post(path, headers=staff, json={"action": "convert", "target": "department_task",
                                                        "department_ids": [world["departments"]["平罗县水务局"]]}))
    await ok(await api.post(path, headers=staff, json={"action": "evaluate", "result": "implementing"}))
    lineage = await ok(await api.get(f"/api/v1/topics/{tid}/lineage", headers=staff))
    assert lineage["stage"] == "concluded" and [s["id"] for s in lineage["sessions"]] == [session["id"]]
    [done] = lineage["outcomes"]
    assert (done["target_kind"], done["result"], done["instructed"]) == ("department_task", "implementing", False)

    # staff and leaders of the scope; not a member, not a sibling
    assert (await api.get(f"/api/v1/topics/{tid}/lineage", headers=world["county_leader"])).status_code == 200
    assert (await api.get(f"/api/v1/topics/{tid}/lineage", headers=world["member"])).status_code == 403
    assert (await api.get(f"/api/v1/topics/{tid}/lineage", headers=world["sibling_staff"])).status_code == 404
    assert (await api.get(f"/api/v1/topics/{uuid.uuid4()}/lineage", headers=staff)).status_code == 404
