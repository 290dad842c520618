"""Proposals and reports stay within their committee (issue 14, findings 7, 9, 11 and 13).

County A is 大武口区 (640202000000), county B 惠农区 (640205000000); a member sits on the
committee its registry entry names, and the registry reaches feedback as events.
"""

import uuid
from datetime import timedelta

import pytest
from feedback.domain.deadlines import today_in_china
from liaison_shared.contracts.members import DepartmentRegistered, MemberRegistered, MemberUpdated
from liaison_shared.events import Envelope
from liaison_tools.testing import eventually, produce_raw, token_for

from .conftest import CHENGGUAN, CITY, HUANGQUQIAO, PINGLUO, act, submit

pytestmark = pytest.mark.integration

COUNTY_A, COUNTY_B = "640202000000", "640205000000"


async def seat(platform, db_pool, committee: str, *, status: str = "active", member_id: str | None = None,
               moved: bool = False) -> str:
    """A member registered on ``committee`` (or moved there), once feedback has projected it."""
    member_id = member_id or str(uuid.uuid4())
    kind = MemberUpdated if moved else MemberRegistered
    event = kind(id=member_id, name="王建国", sector_id="sector-agri", sector_name="农业界", org_unit=committee,
                 status=status)
    envelope = Envelope.wrap(event, subject=member_id, org_unit=committee)
    await produce_raw(platform, event.event_type.topic, [(envelope.key.encode(), envelope.value(), envelope.headers())])
    await eventually(lambda: db_pool.fetchval(
        "SELECT true FROM feedback.members WHERE id = $1 AND org_unit = $2 AND status = $3",
        member_id, committee, status), timeout=30)
    return member_id


async def register_department(platform, db_pool, org_unit: str, name: str) -> str:
    department_id = str(uuid.uuid4())
    event = DepartmentRegistered(id=department_id, name=name, org_unit=org_unit)
    envelope = Envelope.wrap(event, subject=department_id, org_unit=org_unit)
    await produce_raw(platform, event.event_type.topic, [(envelope.key.encode(), envelope.value(), envelope.headers())])
    await eventually(lambda: db_pool.fetchval("SELECT true FROM feedback.departments WHERE id = $1", department_id),
                     timeout=30)
    return department_id


def member_token(platform, committee: str, member_id: str) -> dict:
    return token_for(platform, "member", committee, member_id=member_id)


async def open_window(world, platform, committee: str) -> None:
    today = today_in_china()
    staff = token_for(platform, "staff", committee)
    response = await world["api"].put(f"/api/v1/proposal-sessions/{committee}/{today.year}", headers=staff, json={
        "filing_opens": (today - timedelta(days=1)).isoformat(), "filing_closes": (today + timedelta(days=30)).isoformat()})
    assert response.status_code == 200, response.text


def proposal_body(committee: str, title: str, **extra) -> dict:
    return {"committee": committee, "year": today_in_china().year, "title": title,
            "body": "调研发现多村灌溉渠年久失修……", "kind": "member", **extra}


async def last_number(db_pool, committee: str) -> int:
    return await db_pool.fetchval("SELECT last_number FROM feedback.proposal_sessions WHERE committee = $1"
                                  " AND year = $2", committee, today_in_china().year)


async def test_a_member_cannot_draft_in_another_countys_committee(world, platform, db_pool):
    await open_window(world, platform, COUNTY_B)
    member_a = await seat(platform, db_pool, COUNTY_A)
    title = f"关于惠农区道路改造的提案 {uuid.uuid4().hex[:6]}"
    before = await last_number(db_pool, COUNTY_B)
    response = await world["api"].post("/api/v1/proposals", headers=member_token(platform, COUNTY_A, member_a),
                                       json=proposal_body(COUNTY_B, title))
    assert response.status_code == 404, response.text
    assert await db_pool.fetchval("SELECT count(*) FROM feedback.proposals WHERE title = $1", title) == 0
    assert await last_number(db_pool, COUNTY_B) == before


async def test_a_member_who_left_a_committee_cannot_file_there(world, platform, db_pool):
    await open_window(world, platform, COUNTY_B)
    member = await seat(platform, db_pool, COUNTY_B)
    token = member_token(platform, COUNTY_B, member)
    drafted = await world["api"].post("/api/v1/proposals", headers=token,
                                      json=proposal_body(COUNTY_B, "关于惠农区养老服务的提案"))
    assert drafted.status_code == 201, drafted.text
    await seat(platform, db_pool, COUNTY_A, member_id=member, moved=True)
    before = await last_number(db_pool, COUNTY_B)
    filed = await world["api"].post(f"/api/v1/proposals/{drafted.json()['id']}/actions",
                                    headers=member_token(platform, COUNTY_A, member), json={"action": "file"})
    assert filed.status_code in (403, 404), filed.text
    assert await last_number(db_pool, COUNTY_B) == before
    row = await db_pool.fetchrow("SELECT status, number FROM feedback.proposals WHERE id = $1::uuid",
                                 drafted.json()["id"])
    assert (row["status"], row["number"]) == ("draft", None)


async def test_co_signers_are_sitting_members_of_the_same_committee(world, platform, db_pool):
    member_a = await seat(platform, db_pool, COUNTY_A)
    member_b = await seat(platform, db_pool, COUNTY_B)
    retired = await seat(platform, db_pool, COUNTY_A, status="ended")
    token = member_token(platform, COUNTY_A, member_a)
    for co_signers in ([member_b], [str(uuid.uuid4())], [retired]):
        title = f"关于大武口区老旧小区改造的提案 {uuid.uuid4().hex[:6]}"
        response = await world["api"].post("/api/v1/proposals", headers=token,
                                           json=proposal_body(COUNTY_A, title, kind="joint", co_signers=co_signers))
        assert response.status_code == 422, response.text
        assert await db_pool.fetchval("SELECT count(*) FROM feedback.proposals WHERE title = $1", title) == 0
    partner = await seat(platform, db_pool, COUNTY_A)
    joint = await world["api"].post("/api/v1/proposals", headers=token, json=proposal_body(
        COUNTY_A, "关于大武口区老旧小区改造的提案", kind="joint", co_signers=[partner]))
    assert joint.status_code == 201, joint.text


async def test_staff_cannot_draft_for_a_member_of_another_committee(world, platform, db_pool):
    member_a = await seat(platform, db_pool, COUNTY_A)
    response = await world["api"].post("/api/v1/proposals", headers=token_for(platform, "staff", COUNTY_B), json=(
        proposal_body(COUNTY_B, "关于惠农区农田水利的提案", proposer_member_id=member_a)))
    assert response.status_code == 422, response.text


async def accepted_proposal(world, platform, db_pool) -> dict:
    await open_window(world, platform, PINGLUO)
    member = await seat(platform, db_pool, PINGLUO)
    token = member_token(platform, PINGLUO, member)
    proposal = (await world["api"].post("/api/v1/proposals", headers=token,
                                        json=proposal_body(PINGLUO, "关于平罗县灌区节水改造的提案"))).json()
    for who, action in ((token, "file"), (world["county_staff"], "accept")):
        done = await world["api"].post(f"/api/v1/proposals/{proposal['id']}/actions", headers=who,
                                       json={"action": action})
        assert done.status_code == 200, done.text
    return proposal


async def test_a_proposal_is_not_assigned_to_another_countys_department(world, platform, db_pool):
    proposal = await accepted_proposal(world, platform, db_pool)
    foreign = await register_department(platform, db_pool, COUNTY_B, "惠农区水务局")
    water = world["departments"]["平罗县水务局"]
    for body in ({"lead_department": foreign}, {"lead_department": water, "co_departments": [foreign]}):
        response = await world["api"].post(f"/api/v1/proposals/{proposal['id']}/actions",
                                           headers=world["county_staff"], json={"action": "assign", **body})
        assert response.status_code == 422, response.text
    assert await db_pool.fetchval("SELECT count(*) FROM feedback.proposal_units WHERE proposal_id = $1::uuid",
                                  proposal["id"]) == 0
    assigned = await world["api"].post(f"/api/v1/proposals/{proposal['id']}/actions", headers=world["county_staff"],
                                       json={"action": "assign", "lead_department": water})
    assert assigned.status_code == 200, assigned.text


async def test_a_department_that_returned_a_proposal_no_longer_reads_it(world, platform, db_pool):
    proposal = await accepted_proposal(world, platform, db_pool)
    housing = world["departments"]["平罗县住建局"]
    await world["api"].post(f"/api/v1/proposals/{proposal['id']}/actions", headers=world["county_staff"],
                            json={"action": "assign", "lead_department": housing})
    assert (await world["api"].get(f"/api/v1/proposals/{proposal['id']}", headers=world["housing"])).status_code == 200
    returned = await world["api"].post(f"/api/v1/proposals/{proposal['id']}/actions", headers=world["housing"],
                                       json={"action": "return", "reason": "应由水务局主办"})
    assert returned.status_code == 200, returned.text
    assert (await world["api"].get(f"/api/v1/proposals/{proposal['id']}", headers=world["housing"])).status_code == 404
    listed = (await world["api"].get("/api/v1/proposals?limit=500", headers=world["housing"])).json()["items"]
    assert proposal["id"] not in {p["id"] for p in listed}


async def test_an_extension_out_of_range_is_422(world, platform, db_pool):
    proposal = await accepted_proposal(world, platform, db_pool)
    await world["api"].post(f"/api/v1/proposals/{proposal['id']}/actions", headers=world["county_staff"],
                            json={"action": "assign", "lead_department": world["departments"]["平罗县水务局"]})
    for months in (10**12, 0, -1):
        response = await world["api"].post(f"/api/v1/proposals/{proposal['id']}/actions",
                                           headers=world["county_staff"], json={"action": "extend", "months": months})
        assert response.status_code == 422, response.text


@pytest.mark.parametrize("window", [
    {"filing_opens": "2030-01-05", "filing_closes": 0},
    {"filing_opens": "2030-02-05", "filing_closes": "2030-01-05"},
    {"filing_opens": "0001-01-01", "filing_closes": "2030-01-05"},
    {"filing_opens": "2030-01-05", "filing_closes": "9999-12-31"},
    {"filing_opens": None, "filing_closes": "2030-01-05"},
])
async def test_a_filing_window_out_of_order_or_range_is_422(world, platform, db_pool, window):
    response = await world["api"].put(f"/api/v1/proposal-sessions/{COUNTY_B}/2030",
                                      headers=token_for(platform, "staff", COUNTY_B), json=window)
    assert response.status_code == 422, response.text
    assert await db_pool.fetchval("SELECT count(*) FROM feedback.proposal_sessions WHERE committee = $1"
                                  " AND year = 2030", COUNTY_B) == 0


async def test_a_null_in_a_report_patch_is_422_and_changes_nothing(world, platform, db_pool):
    api, town = world["api"], world["town_staff"]
    report = (await api.post("/api/v1/reports", headers=town, json={
        "kind": "public_opinion_report", "title": "关于农田灌溉渠清淤的社情民意", "body": "多村反映"})).json()
    for field in ("member_ids", "title", "body"):
        response = await api.patch(f"/api/v1/reports/{report['id']}", headers=town, json={field: None})
        assert response.status_code == 422, response.text
    row = await db_pool.fetchrow("SELECT title, body, member_ids FROM feedback.reports WHERE id = $1::uuid",
                                 report["id"])
    assert (row["title"], row["body"], list(row["member_ids"])) == ("关于农田灌溉渠清淤的社情民意", "多村反映", [])


async def test_report_authors_are_active_members_serving_the_reports_unit(world, platform, db_pool):
    api, town = world["api"], world["town_staff"]
    foreign = await seat(platform, db_pool, COUNTY_B)
    ours, city = await seat(platform, db_pool, PINGLUO), await seat(platform, db_pool, CITY)
    for authors in ([foreign], [str(uuid.uuid4())]):
        title = f"社情民意 {uuid.uuid4().hex[:6]}"
        created = await api.post("/api/v1/reports", headers=town, json={
            "kind": "public_opinion_report", "title": title, "member_ids": authors})
        assert created.status_code == 422, created.text
        assert await db_pool.fetchval("SELECT count(*) FROM feedback.reports WHERE title = $1", title) == 0
    report = await api.post("/api/v1/reports", headers=town, json={
        "kind": "public_opinion_report", "title": "关于黄渠桥镇集市秩序的社情民意", "member_ids": [ours, city]})
    assert report.status_code == 201 and report.json()["org_unit"] == HUANGQUQIAO, report.text
    patched = await api.patch(f"/api/v1/reports/{report.json()['id']}", headers=town, json={"member_ids": [foreign]})
    assert patched.status_code == 422, patched.text
    row = await db_pool.fetchval("SELECT member_ids FROM feedback.reports WHERE id = $1::uuid", report.json()["id"])
    assert list(row) == [ours, city]


async def test_a_case_taken_in_by_a_city_member_converts_into_a_proposal_of_the_proposals_committee(
        world, platform, db_pool):
    city_member = await seat(platform, db_pool, CITY)
    case = await submit(world["api"], member_id=city_member)
    converted = await act(world["api"], world["town_staff"], case["id"], action="convert", target="proposal")
    assert converted.status_code == 200, converted.text
    target = converted.json()["history"][-1]["detail"]["target"]
    proposal = (await world["api"].get(f"/api/v1/proposals/{target['id']}", headers=world["county_staff"])).json()
    assert proposal["committee"] == PINGLUO and proposal["kind"] == "special_committee"
    assert proposal["proposer_member_id"] is None and proposal["signers"] == []


async def test_a_report_names_only_cases_on_its_units_line(world, platform, db_pool):
    api = world["api"]
    case = await submit(api)  # 东风村, under 黄渠桥镇 and not under its sibling 城关镇
    title = f"城关镇社情民意 {uuid.uuid4().hex[:6]}"
    response = await api.post("/api/v1/reports", headers=world["county_staff"], json={
        "kind": "public_opinion_report", "title": title, "org_unit": CHENGGUAN, "case_ids": [case["id"]]})
    assert response.status_code == 422, response.text
    assert await db_pool.fetchval("SELECT count(*) FROM feedback.reports WHERE title = $1", title) == 0
    accepted = await api.post("/api/v1/reports", headers=world["county_staff"], json={
        "kind": "public_opinion_report", "title": title, "org_unit": HUANGQUQIAO, "case_ids": [case["id"]]})
    assert accepted.status_code == 201, accepted.text
