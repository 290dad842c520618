"""Opinions from intake to a rated answer, against the real broker and PostgreSQL."""

import uuid

import pytest
from liaison_tools.testing import collect, header, token_for

from .conftest import CHENGGUAN, DONGFENG, HUANGQUQIAO, PINGLUO, act, submit

pytestmark = pytest.mark.integration


async def test_intake_gives_a_tracking_code_and_the_event_carries_no_personal_data(world):
    api = world["api"]
    created = await submit(api)
    assert created["status"] == "received" and len(created["tracking_code"]) >= 16
    tracked = await api.get(f"/api/v1/track/{created['tracking_code']}")
    assert tracked.status_code == 200 and tracked.json()["status"] == "received"
    assert "张三" not in tracked.text and "13812345678" not in tracked.text
    [record] = await collect(world["settings"], "cppcc.feedback.opinion", count=1,
                             where=lambda r: r.key == created["id"].encode())
    assert header(record, "ce_type") == "cppcc.feedback.opinion.submitted.v1"
    assert header(record, "ce_level") == "village"
    assert b"13812345678" not in record.value and "张三".encode() not in record.value
    assert (await api.get("/api/v1/track/NOSUCHCODE")).status_code == 404


@pytest.mark.parametrize("body", [
    {"content": ""},
    {"content": "长" * 100_000},
    {"org_unit": "6402211"},
    {"org_unit": "640221199999"},  # a well-formed code nobody registered
    {"channel": "carrier_pigeon"},
    {"consent": True, "submitter_phone": "call me"},
])
async def test_bad_intake_gets_a_clear_4xx_and_writes_nothing(world, db_pool, body):
    before = await db_pool.fetchval("SELECT count(*) FROM feedback.opinions")
    payload = {"content": "路灯不亮", "org_unit": DONGFENG, "channel": "online", **body}
    response = await world["api"].post("/api/v1/opinions", json=payload)
    assert response.status_code in (413, 422), response.text
    assert "error" in response.json()
    assert await db_pool.fetchval("SELECT count(*) FROM feedback.opinions") == before


async def test_assign_reply_rate_close_with_history(world):
    api, staff, water = world["api"], world["county_staff"], world["water"]
    case = await submit(api)
    unknown = await act(api, staff, case["id"], action="assign", department_ids=[str(uuid.uuid4())])
    assert unknown.status_code == 422 and "unknown department" in unknown.json()["error"]["message"]
    early = await api.post(f"/api/v1/track/{case['tracking_code']}/rating", json={"rating": "satisfied"})
    assert early.status_code == 409  # a rating before a reply
    assigned = await act(api, staff, case["id"], action="assign",
                         department_ids=[world["departments"]["平罗县水务局"]])
    assert assigned.status_code == 200 and assigned.json()["status"] == "assigned"
    assert assigned.json()["deadline"] is not None
    not_theirs = await act(api, world["housing"], case["id"], action="reply", text="不归我们")
    assert not_theirs.status_code == 404
    replied = await act(api, water, case["id"], action="reply", text="已安排清淤，三日内疏通")
    assert replied.json()["status"] == "replied"
    tracked = (await api.get(f"/api/v1/track/{case['tracking_code']}")).json()
    assert tracked["can_rate"] and tracked["answers"][0]["text"] == "已安排清淤，三日内疏通"
    rated = await api.post(f"/api/v1/track/{case['tracking_code']}/rating", json={"rating": "satisfied"})
    assert rated.status_code == 200 and rated.json()["status"] == "rated"
    closed = await act(api, staff, case["id"], action="close")
    assert closed.json()["status"] == "closed"
    again = await act(api, staff, case["id"], action="close")
    assert again.status_code == 409 and again.json()["error"]["code"] == "illegal_transition"
    history = [h["action"] for h in closed.json()["history"]]
    assert history == ["submit", "assign", "reply", "rate", "close"]


async def test_a_village_case_climbs_to_the_city_and_no_further(world, platform):
    api = world["api"]
    case = await submit(api)
    for holder in (HUANGQUQIAO, PINGLUO, "640200000000"):
        staff = token_for(platform, "staff", holder) if holder != HUANGQUQIAO else world["town_staff"]
        if holder == HUANGQUQIAO:
            village_staff = token_for(platform, "staff", DONGFENG)
            up = await act(api, village_staff, case["id"], action="escalate", reason="超出村级能力")
            assert up.json()["handling_unit"] == HUANGQUQIAO
        up = await act(api, staff, case["id"], action="escalate", reason="需上级协调")
        if holder == "640200000000":
            assert up.status_code == 409  # the city is the top
        else:
            assert up.status_code == 200, up.text
    detail = (await api.get(f"/api/v1/opinions/{case['id']}", headers=token_for(platform, "staff", "640200000000"))).json()
    assert detail["handling_unit"] == "640200000000"
    assert [h["detail"].get("to") for h in detail["history"] if h["action"] == "escalate"] == [
        HUANGQUQIAO, PINGLUO, "640200000000"]
    # the town no longer handles it: it may read (it arose there) but not act
    town = await act(api, world["town_staff"], case["id"], action="answer_on_spot", text="x")
    assert town.status_code == 403


async def test_unsatisfied_reopens_once_then_supervision(world):
    api, staff, water = world["api"], world["county_staff"], world["water"]
    case = await submit(api)
    await act(api, staff, case["id"], action="assign", department_ids=[world["departments"]["平罗县水务局"]])
    await act(api, water, case["id"], action="reply", text="已处理")
    reopened = await api.post(f"/api/v1/track/{case['tracking_code']}/rating", json={"rating": "unsatisfied"})
    assert reopened.json()["status"] == "assigned"
    second = await act(api, water, case["id"], action="reply", text="再次处理，已疏通")
    assert second.json()["status"] == "replied"
    assert {a["round"] for a in second.json()["assignments"]} == {1, 2}
    supervised = await api.post(f"/api/v1/track/{case['tracking_code']}/rating", json={"rating": "unsatisfied"})
    assert supervised.json()["status"] == "supervised"
    recorded = await act(api, staff, case["id"], action="supervise", form="专项评议", note="列入专项评议")
    assert recorded.status_code == 200
    assert (await act(api, staff, case["id"], action="supervise", form="喝茶")).status_code == 422


async def test_merging_duplicates_keeps_the_people_behind_them(world):
    api, staff = world["api"], world["town_staff"]
    first, second, third = [await submit(api) for _ in range(3)]
    for duplicate in (second, third):
        merged = await act(api, staff, duplicate["id"], action="merge", into=first["id"])
        assert merged.json()["status"] == "merged"
    kept = (await api.get(f"/api/v1/opinions/{first['id']}", headers=staff)).json()
    assert kept["people_count"] == 3
    assert (await act(api, staff, first["id"], action="merge", into=first["id"])).status_code == 422


async def test_conversion_publishes_outcome_converted(world):
    api, staff = world["api"], world["town_staff"]
    case = await submit(api, member_id=world["member_id"])
    converted = await act(api, staff, case["id"], action="convert", target="public_opinion_report")
    assert converted.json()["status"] == "converted"
    [event] = await collect(world["settings"], "cppcc.feedback.outcome", count=1,
                            where=lambda r: r.key == case["id"].encode())
    assert header(event, "ce_type") == "cppcc.feedback.outcome.converted.v1"
    assert b'"kind":"public_opinion_report"' in event.value
    assert (await act(api, staff, case["id"], action="convert", target="proposal")).status_code == 409
    assert (await act(api, staff, case["id"], action="convert", target="poem")).status_code == 422


async def test_a_sibling_town_and_an_unassigned_department_see_nothing(world, platform):
    api = world["api"]
    case = await submit(api)
    sibling = token_for(platform, "staff", CHENGGUAN)
    assert (await api.get(f"/api/v1/opinions/{case['id']}", headers=sibling)).status_code == 404
    assert (await act(api, sibling, case["id"], action="close")).status_code == 404
    listed = await api.get("/api/v1/opinions?limit=500", headers=sibling)
    assert case["id"] not in {o["id"] for o in listed.json()["items"]}
    assert (await api.get(f"/api/v1/opinions/{case['id']}", headers=world["water"])).status_code == 404
    assert (await api.get("/api/v1/opinions")).status_code == 401


async def test_a_department_returns_a_wrong_assignment_and_asks_for_time(world):
    api, staff = world["api"], world["county_staff"]
    case = await submit(api)
    both = [world["departments"]["平罗县水务局"], world["departments"]["平罗县住建局"]]
    assigned = (await act(api, staff, case["id"], action="assign", department_ids=both)).json()
    asked = await act(api, world["water"], case["id"], action="extend", days=5, reason="需协调施工队")
    assert asked.status_code == 200
    approved = await act(api, staff, case["id"], action="extend", decision="approve")
    assert approved.json()["deadline"] > assigned["deadline"]
    returned = await act(api, world["housing"], case["id"], action="return", reason="不属于住建职责")
    assert returned.json()["status"] == "assigned"  # the water bureau still has it
    back = await act(api, world["water"], case["id"], action="return", reason="应由镇政府办理")
    assert back.json()["status"] == "received"  # nobody left: back to triage
    assert [h["action"] for h in back.json()["history"]][-2:] == ["return", "return"]


async def test_personal_data_is_masked_in_lists_and_erasable(world, db_pool):
    api, staff = world["api"], world["town_staff"]
    case = await submit(api)
    detail = (await api.get(f"/api/v1/opinions/{case['id']}", headers=staff)).json()
    assert (detail["submitter_name"], detail["submitter_phone"]) == ("张三", "13812345678")
    listed = (await api.get("/api/v1/opinions?limit=500", headers=staff)).json()["items"]
    mine = next(o for o in listed if o["id"] == case["id"])
    assert (mine["submitter_name"], mine["submitter_phone"]) == ("张*", "138****5678")
    sealed = await db_pool.fetchrow(
        "SELECT s.name_sealed FROM feedback.submitters s JOIN feedback.opinions o ON o.subject_id = s.subject_id"
        " WHERE o.id = $1::uuid", case["id"])
    assert "张三".encode() not in sealed["name_sealed"]
    assert (await api.delete(f"/api/v1/opinions/{case['id']}/submitter", headers=staff)).status_code == 204
    after = (await api.get(f"/api/v1/opinions/{case['id']}", headers=staff)).json()
    assert after["submitter_name"] is None and after["status"] == "received"
    no_consent = await submit(api, consent=False)
    plain = (await api.get(f"/api/v1/opinions/{no_consent['id']}", headers=staff)).json()
    assert plain["submitter_name"] is None and plain["submitter_phone"] is None


async def test_public_intake_is_rate_limited_per_client_with_retry_after(world):
    from liaison_shared.ratelimit import RateLimit

    app = world["api"].app
    saved, app.state.public_limit = app.state.public_limit, RateLimit(2)
    try:
        statuses = [(await world["api"].post("/api/v1/opinions", json={
            "content": "噪音扰民", "org_unit": DONGFENG, "channel": "online"})) for _ in range(3)]
    finally:
        app.state.public_limit = saved
    assert [r.status_code for r in statuses] == [201, 201, 429]
    assert int(statuses[-1].headers["retry-after"]) > 0


async def test_retention_erases_personal_data_of_long_closed_cases_and_keeps_the_case(world, db_pool):
    from datetime import UTC, datetime

    from feedback.handlers.retention import erase_expired
    from liaison_shared.db import create_pool
    from liaison_shared.uow import UnitOfWork

    api, staff = world["api"], world["town_staff"]
    old, recent, still_open = await submit(api), await submit(api), await submit(api)
    for case in (old, recent):
        closed = await act(api, staff, case["id"], action="close", reason="已办结")
        assert closed.status_code == 200, closed.text
    await db_pool.execute("UPDATE feedback.opinions SET closed_at = now() - interval '400 days' WHERE id = $1::uuid",
                          old["id"])
    settings = world["settings"]
    pool = await create_pool(settings, "feedback")
    try:
        async with UnitOfWork(pool, schema="feedback", settings=settings) as uow:
            assert await erase_expired(uow, datetime.now(UTC), 365) >= 1
    finally:
        await pool.close()
    gone = (await api.get(f"/api/v1/opinions/{old['id']}", headers=staff)).json()
    assert gone["submitter_name"] is None and gone["submitter_phone"] is None and gone["status"] == "closed"
    assert gone["history"][-1]["action"] == "erase_submitter" and gone["history"][-1]["actor_sub"] == "retention"
    for case in (recent, still_open):
        kept = (await api.get(f"/api/v1/opinions/{case['id']}", headers=staff)).json()
        assert kept["submitter_name"] == "张三"
    sealed = await db_pool.fetchrow(
        "SELECT s.wrapped_key, s.name_sealed FROM feedback.submitters s JOIN feedback.opinions o"
        " ON o.subject_id = s.subject_id WHERE o.id = $1::uuid", old["id"])
    assert sealed["wrapped_key"] is None and sealed["name_sealed"] is None


async def test_a_return_staff_disagree_with_is_overruled_and_the_figures_show_it(world, platform):
    from liaison_tools.testing import collect, header

    api, staff = world["api"], world["county_staff"]
    water, housing = world["departments"]["平罗县水务局"], world["departments"]["平罗县住建局"]
    kept, upheld = await submit(api), await submit(api)
    for case, department, token in ((kept, water, world["water"]), (upheld, housing, world["housing"])):
        await act(api, staff, case["id"], action="assign", department_ids=[department])
        returned = await act(api, token, case["id"], action="return", reason="不属本单位职责")
        assert returned.json()["status"] == "received"
    # nothing to rule on for a department that did not return this case
    assert (await act(api, staff, kept["id"], action="rule_return", department_id=housing, ruling="uphold",
                      reason="x")).status_code == 409
    assert (await act(api, world["water"], kept["id"], action="rule_return", department_id=water,
                      ruling="overrule", reason="x")).status_code in (403, 409)  # staff's to decide
    assert (await act(api, staff, upheld["id"], action="rule_return", department_id=housing, ruling="uphold",
                      reason="确非住建职责", deadline="2099-01-01")).status_code == 422

    overruled = await act(api, staff, kept["id"], action="rule_return", department_id=water, ruling="overrule",
                          reason="灌溉渠属水务局管护范围")
    assert overruled.status_code == 200, overruled.text
    body = overruled.json()
    assert body["status"] == "assigned" and body["deadline"]
    [mine] = [a for a in body["assignments"] if a["department_id"] == water]
    assert (mine["state"], mine["return_ruling"]) == ("active", "overruled")
    again = await act(api, staff, kept["id"], action="rule_return", department_id=water, ruling="uphold", reason="x")
    assert again.status_code == 409  # ruled once
    assert (await act(api, world["water"], kept["id"], action="reply", text="已疏通")).json()["status"] == "replied"

    stood = await act(api, staff, upheld["id"], action="rule_return", department_id=housing, ruling="uphold",
                      reason="确非住建职责")
    assert stood.json()["status"] == "received"  # to assign anew
    assert [a["return_ruling"] for a in stood.json()["assignments"]] == ["upheld"]

    [event] = await collect(world["settings"], "cppcc.feedback.opinion", count=1,
                            where=lambda r: r.key == kept["id"].encode()
                            and header(r, "ce_type") == "cppcc.feedback.opinion.return_ruled.v1")
    assert b'"ruling":"overruled"' in event.value and water.encode() in event.value
    figures = (await api.get(f"/api/v1/stats?org_unit={PINGLUO}&group_by=department", headers=staff)).json()
    by = {g["key"]: g for g in figures["groups"]}
    assert by[water]["returns"] >= 1 and by[water]["returns_overruled"] >= 1
    assert by[housing]["returns"] >= 1 and 0 < by[housing]["return_rate"] <= 1
