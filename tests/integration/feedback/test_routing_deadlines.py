"""The dispatch catalogue, the calendar as data, overdue notices exactly once, 首接负责."""

from datetime import date, timedelta

import pytest
from feedback.domain.deadlines import today_in_china
from feedback.handlers.deadlines import publish_overdue
from liaison_shared import db
from liaison_shared.uow import UnitOfWork
from liaison_tools.testing import collect, header, token_for

from .conftest import DONGFENG, HUANGQUQIAO, PINGLUO, act, submit

pytestmark = pytest.mark.integration


async def test_the_catalogue_proposes_and_staff_confirm(world):
    api, staff, departments = world["api"], world["county_staff"], world["departments"]
    rule = await api.post("/api/v1/dispatch-rules", headers=staff, json={
        "category": "灌溉", "org_unit": PINGLUO, "lead_department": departments["平罗县水务局"],
        "co_departments": [departments["黄渠桥镇人民政府"]]})
    assert rule.status_code == 201, rule.text
    case = await submit(api, category="灌溉")
    proposal = (await api.get(f"/api/v1/opinions/{case['id']}/dispatch-proposal", headers=staff)).json()
    assert proposal["lead_department"] == departments["平罗县水务局"]
    confirmed = await act(api, staff, case["id"], action="assign")
    lead = [a for a in confirmed.json()["assignments"] if a["lead"]]
    assert [a["department_id"] for a in lead] == [departments["平罗县水务局"]]
    assert len(confirmed.json()["assignments"]) == 2
    none = await submit(api, category="其他")  # a category no rule covers
    assert (await act(api, staff, none["id"], action="assign")).status_code == 422
    bad = await api.post("/api/v1/dispatch-rules", headers=staff, json={
        "category": "灌溉", "org_unit": PINGLUO, "lead_department": "no-such-department"})
    assert bad.status_code == 422


async def test_an_entered_schedule_moves_the_deadline(world, platform):
    api, staff = world["api"], world["county_staff"]
    admin = token_for(platform, "admin", "640200000000")
    today = today_in_china()
    # declare the next 10 days holidays: the one-working-day urgent deadline lands after them
    by_year: dict[int, list] = {}
    for i in range(1, 11):
        day = today + timedelta(days=i)
        by_year.setdefault(day.year, []).append({"day": day.isoformat(), "workday": False, "note": "测试假期"})
    for year, days in by_year.items():
        assert (await api.put(f"/api/v1/calendar/{year}", headers=admin, json=days)).status_code == 200
    try:
        case = await submit(api, urgency="urgent")
        assigned = await act(api, staff, case["id"], action="assign",
                             department_ids=[world["departments"]["平罗县水务局"]])
        assert date.fromisoformat(assigned.json()["deadline"]) > today + timedelta(days=10)
        assert (await api.put(f"/api/v1/calendar/{today.year}", headers=world["county_staff"],
                              json=[])).status_code == 404  # a county keeps no calendar
    finally:
        for year in by_year:
            await api.put(f"/api/v1/calendar/{year}", headers=admin, json=[])


async def test_overdue_is_published_once_per_case_and_deadline(world, platform, db_pool):
    api, staff = world["api"], world["county_staff"]
    case = await submit(api)
    await act(api, staff, case["id"], action="assign", department_ids=[world["departments"]["平罗县水务局"]],
              deadline=(today_in_china() + timedelta(days=2)).isoformat())
    pool = await db.create_pool(platform, "feedback")
    try:
        later = today_in_china() + timedelta(days=5)  # a controllable clock: the scheduler is told the day
        for _ in range(2):
            async with UnitOfWork(pool, schema="feedback") as uow:
                await publish_overdue(uow, later)
    finally:
        await pool.close()
    notices = await db_pool.fetchval("SELECT count(*) FROM feedback.overdue_notices WHERE opinion_id = $1::uuid",
                                     case["id"])
    assert notices == 1
    events = await collect(platform, "cppcc.feedback.opinion", count=3, timeout=8,
                           where=lambda r: r.key == case["id"].encode()
                           and header(r, "ce_type") == "cppcc.feedback.opinion.overdue.v1")
    assert len(events) == 1
    assert PINGLUO[:4].encode() in events[0].value  # supervisor one level up: the city


async def test_the_first_receiver_stays_responsible_until_the_next_level_takes_over(world, platform):
    api = world["api"]
    case = await submit(api)
    village = token_for(platform, "staff", DONGFENG)
    up = (await act(api, village, case["id"], action="escalate", reason="需镇里协调")).json()
    assert up["first_receiver"] == DONGFENG and up["handling_unit"] == HUANGQUQIAO
    taken = (await act(api, world["town_staff"], case["id"], action="answer_on_spot", text="镇里已派人处理")).json()
    assert taken["first_receiver"] == HUANGQUQIAO
    assert taken["history"][-1]["detail"]["accepted_by"] == HUANGQUQIAO
