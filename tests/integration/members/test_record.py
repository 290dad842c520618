"""委员履职档案 (issue 20.1): a member's year from what members knows and what the other services
announce — its reception day and the opinion taken in there, how that ended, its report and
proposal, the consultation session it attended — and the 履职报告 print view."""

import uuid
from datetime import datetime, timedelta

import pytest
import pytest_asyncio
from liaison_shared.chinatime import CHINA, today_in_china
from liaison_shared.contracts.consultation import SessionConcluded
from liaison_shared.events import Envelope
from liaison_tools.testing import eventually, produce_raw, running, token_for

from .conftest import CITY, HUANGQUQIAO, HUINONG, PINGLUO, VILLAGE

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(scope="module")
async def year_of_work(platform, service_specs, db_pool):
    """马红梅 of 平罗县's 农业界 and her colleague 李建国, with members and feedback running."""
    settings = platform.model_copy(update={"public_rate_limit_per_minute": 10_000})
    async with running(service_specs["members"], settings) as members, \
            running(service_specs["feedback"], settings) as feedback:
        admin, staff = token_for(settings, "admin", CITY), token_for(settings, "staff", PINGLUO)
        for code, name in [(CITY, "石嘴山市"), (PINGLUO, "平罗县"), (HUINONG, "惠农区"), (HUANGQUQIAO, "黄渠桥镇"),
                           (VILLAGE, "东风村")]:
            response = await members.post("/api/v1/org-units", headers=admin, json={"code": code, "name": name})
            assert response.status_code in (201, 409), response.text
        tag = uuid.uuid4().hex[:4]
        sector = await members.post("/api/v1/sectors", headers=staff, json={
            "org_unit": PINGLUO, "name": f"农业界{tag}", "category": "professional"})
        people = {}
        for name in ("马红梅", "李建国"):
            member = await members.post("/api/v1/members", headers=staff, json={
                "name": name, "sector_id": sector.json()["id"], "org_unit": PINGLUO})
            assert member.status_code == 201, member.text
            people[name] = member.json()["id"]
        room = await members.post("/api/v1/venues", headers=staff, json={
            "kind": "reception_room", "name": f"黄渠桥镇委员会客室{tag}", "org_unit": HUANGQUQIAO})
        ahead = today_in_china() + timedelta(days=20)  # ahead, but in this year: the file is this year's
        ahead = ahead if ahead.year == today_in_china().year else today_in_china() + timedelta(days=1)
        start = datetime.combine(ahead, datetime.min.time(), CHINA) + timedelta(hours=9)
        day = await members.post("/api/v1/reception-days", headers=staff, json={
            "member_id": people["马红梅"], "venue_id": room.json()["id"], "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=3)).isoformat(), "capacity": 30})
        assert day.status_code == 201, day.text

        async def projected():
            return await db_pool.fetchval("SELECT count(*) FROM feedback.reception_days WHERE id = $1",
                                          day.json()["id"]) == 1 and await db_pool.fetchval(
                "SELECT count(*) FROM feedback.venues WHERE id = $1", room.json()["id"]) == 1 and await db_pool.fetchval(
                "SELECT count(*) FROM feedback.members WHERE id = ANY($1::text[])", list(people.values())) == 2

        await eventually(projected, timeout=30)
        yield {"members": members, "feedback": feedback, "settings": settings, "staff": staff, "people": people,
               "day": day.json()["id"], "year": start.year,
               "me": token_for(settings, "member", PINGLUO, member_id=people["马红梅"])}


async def test_a_members_year_in_its_performance_file_and_the_print_view(year_of_work, db_pool):
    w = year_of_work
    members, feedback, me, staff, mine = w["members"], w["feedback"], w["me"], w["staff"], w["people"]["马红梅"]
    year = today_in_china().year
    visit = await members.post("/api/v1/activities", headers=me, json={
        "type": "research_inspection", "title": "调研东风村灌溉渠", "org_unit": VILLAGE,
        "occurred_on": today_in_china().isoformat(), "member_ids": [mine], "people_reached": 25})
    assert visit.status_code == 201, visit.text
    taken = await feedback.post("/api/v1/opinions/taken-in", headers=me, json={
        "content": "村口灌溉渠堵塞，影响春灌", "org_unit": VILLAGE, "category": "水利", "reception_day_id": w["day"]})
    assert taken.status_code == 201, taken.text
    opinion_id = taken.json()["id"]
    answered = await feedback.post(f"/api/v1/opinions/{opinion_id}/actions", headers=staff,
                                   json={"action": "answer_on_spot", "text": "已安排清淤"})
    assert answered.status_code == 200, answered.text
    # she drafts a 社情民意 with 李建国 as co-author; he confirms, she submits, her committee adopts
    colleague = w["people"]["李建国"]
    report = await feedback.post("/api/v1/reports", headers=me, json={
        "kind": "public_opinion_report", "title": "关于农田灌溉渠清淤的社情民意", "case_ids": [opinion_id],
        "member_ids": [colleague]})
    assert report.status_code == 201, report.text
    actions = f"/api/v1/reports/{report.json()['id']}/actions"
    confirmed = await feedback.post(actions, headers=token_for(w["settings"], "member", PINGLUO, member_id=colleague),
                                    json={"action": "confirm"})
    assert confirmed.status_code == 200, confirmed.text
    submitted = await feedback.post(actions, headers=me, json={"action": "submit"})
    assert submitted.status_code == 200, submitted.text
    adopted = await feedback.post(actions, headers=staff, json={"action": "adopt"})
    assert adopted.status_code == 200, adopted.text
    session_id = str(uuid.uuid4())
    concluded = SessionConcluded(session_id=session_id, topic_id=str(uuid.uuid4()), org_unit=PINGLUO,
                                 title="农田水利设施管护协商", member_ids=[mine], department_ids=[])
    envelope = Envelope.wrap(concluded, subject=session_id, org_unit=PINGLUO)
    await produce_raw(w["settings"], SessionConcluded.event_type.topic,
                      [(session_id.encode(), envelope.value(), envelope.headers())])

    async def complete():
        response = await members.get(f"/api/v1/members/{mine}/record?year={year}", headers=me)
        assert response.status_code == 200, response.text
        body = response.json()
        done = (body["opinions"] and body["opinions"][0]["step"] == "answered" and body["reports"]
                and body["reports"][0]["state"] == "adopted" and body["sessions"])
        return body if done else None

    record = await eventually(complete, timeout=30)
    assert record["member"]["name"] == "马红梅" and record["member"]["org_unit_name"] == "平罗县"
    assert [a["id"] for a in record["activities"]] == [visit.json()["id"]]
    opinion = record["opinions"][0]
    assert opinion["id"] == opinion_id and opinion["reception_day_id"] == w["day"] and opinion["attested"]
    assert record["reception_days"][0]["id"] == w["day"] and record["reception_days"][0]["opinions_taken_in"] == 1
    assert not record["reception_days"][0]["held"]  # scheduled ahead: days are never in the past
    assert record["reports"][0]["detail"]["adopted_by"] == "county"  # her committee's, not the city's
    assert record["sessions"][0]["title"] == "农田水利设施管护协商"
    summary = record["summary"]
    assert summary["opinions_taken_in"] == 1 and summary["opinions_by_outcome"] == {"answered": 1}
    assert summary["activities_by_type"] == {"research_inspection": 1} and summary["people_reached"] == 25
    assert summary["reports_adopted"] == 1 and summary["sessions_attended"] == 1

    page = await members.get(f"/members/{mine}/record/{year}/print", headers=me)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert 'lang="zh-CN"' in html and "<script" not in html
    assert "马红梅委员" in html and "年度履职报告" in html and "当场答复" in html and "农田水利设施管护协商" in html
    assert "县（区）政协" in html  # where the report was adopted

    async def co_authored():
        theirs = await members.get(f"/api/v1/members/{colleague}/record?year={year}", headers=staff)
        return theirs.json()["reports"]
    assert (await eventually(co_authored, timeout=30))[0]["id"] == report.json()["id"]


async def test_who_may_read_a_members_performance_file(year_of_work):
    w = year_of_work
    members, mine, settings = w["members"], w["people"]["马红梅"], w["settings"]
    year = today_in_china().year
    allowed = [w["me"], w["staff"], token_for(settings, "staff", CITY), token_for(settings, "leader", PINGLUO),
               token_for(settings, "admin", CITY)]
    for headers in allowed:
        assert (await members.get(f"/api/v1/members/{mine}/record?year={year}", headers=headers)).status_code == 200
    refused = [token_for(settings, "member", PINGLUO, member_id=w["people"]["李建国"]),
               token_for(settings, "staff", HUINONG), token_for(settings, "staff", HUANGQUQIAO),
               token_for(settings, "department", PINGLUO, dept=str(uuid.uuid4()))]
    for headers in refused:
        assert (await members.get(f"/api/v1/members/{mine}/record?year={year}", headers=headers)).status_code == 404
        assert (await members.get(f"/members/{mine}/record/{year}/print", headers=headers)).status_code == 404
    assert (await members.get(f"/members/{mine}/record/{year}/print")).status_code == 401
    assert (await members.get(f"/api/v1/members/{mine}/record?year=1999", headers=w["me"])).status_code == 422
