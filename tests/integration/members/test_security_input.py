"""Issue 14, finding 11 (members): a null or an out-of-range value is a 422 at the model, never a
500, and the OpenAPI document says which fields take null."""

import logging
import uuid

import pytest
import pytest_asyncio
from liaison_tools.testing import token_for

from .conftest import HUANGQUQIAO, PINGLUO

pytestmark = pytest.mark.integration

XICUN = "640221100203"  # 西河村, a village of 黄渠桥镇 only this module changes


@pytest_asyncio.fixture(scope="module")
async def targets(members_api, pingluo, platform) -> dict[str, str]:
    """One thing for every PATCH route: the route's template → the path of that thing."""
    staff, tag = pingluo["staff"], pingluo["tag"]
    village = await members_api.post("/api/v1/org-units", headers=staff, json={
        "code": XICUN, "name": "西河村", "duties": "收集社情民意", "address": "西河村村委会",
        "duty_contact": {"name": "值班员", "phone": "0952-6012000"}})
    assert village.status_code in (201, 409), village.text
    department = await members_api.post("/api/v1/departments", headers=staff, json={
        "name": f"平罗县水务局{tag}", "org_unit": PINGLUO, "duty_contact": {"name": "办公室", "phone": "0952-6011111"}})
    assert department.status_code == 201, department.text
    venue = await members_api.post("/api/v1/venues", headers=staff, json={
        "kind": "reception_room", "name": f"黄渠桥镇委员会客室{tag}", "org_unit": HUANGQUQIAO,
        "address": "黄渠桥镇政府一楼", "opening_hours": "每月15日 9:00-12:00"})
    assert venue.status_code == 201, venue.text
    group = await members_api.post("/api/v1/sector-groups", headers=staff, json={
        "sector_id": pingluo["sector"]["id"], "name": f"农业界别活动组{tag}",
        "convener_id": pingluo["member"]["id"]})
    assert group.status_code == 201, group.text
    return {
        "/api/v1/org-units/{code}": f"/api/v1/org-units/{XICUN}",
        "/api/v1/departments/{department_id}": f"/api/v1/departments/{department.json()['id']}",
        "/api/v1/members/{member_id}": f"/api/v1/members/{pingluo['member']['id']}",
        "/api/v1/venues/{venue_id}": f"/api/v1/venues/{venue.json()['id']}",
        "/api/v1/sector-groups/{group_id}": f"/api/v1/sector-groups/{group.json()['id']}",
    }


def _schema(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _takes_null(prop: dict) -> bool:
    return prop.get("type") == "null" or any(s.get("type") == "null" for s in prop.get("anyOf", []))


async def test_every_patch_answers_null_as_its_schema_says_and_never_500(
    members_api, targets, pingluo, caplog
):
    caplog.set_level(logging.INFO)
    staff = pingluo["staff"]
    spec = (await members_api.get("/openapi.json")).json()
    assert {path for path, operations in spec["paths"].items() if "patch" in operations} == set(targets)
    refused = []
    for template, path in targets.items():
        body = spec["paths"][template]["patch"]["requestBody"]["content"]["application/json"]["schema"]
        for field, prop in _schema(spec, body)["properties"].items():
            before = (await members_api.get(path, headers=staff)).json()
            response = await members_api.patch(path, headers=staff, json={field: None})
            if _takes_null(prop):
                assert response.status_code == 200, (template, field, response.text)
                assert response.json()[field] is None, (template, field)
            else:
                assert response.status_code == 422, (template, field, response.text)
                assert (await members_api.get(path, headers=staff)).json() == before
                refused.append(field)
    assert {"name", "active", "sector_id", "status", "convener_id"} <= set(refused)
    assert "13800000001" not in caplog.text and "mahongmei@example.cn" not in caplog.text


async def test_a_member_clears_its_card_but_not_its_name(members_api, pingluo, platform):
    member_id = pingluo["member"]["id"]
    me = token_for(platform, "member", PINGLUO, member_id=member_id)
    cleared = await members_api.patch(f"/api/v1/members/{member_id}", headers=me, json={"photo_url": None})
    assert cleared.status_code == 200, cleared.text
    nameless = await members_api.patch(f"/api/v1/members/{member_id}", headers=me, json={"name": None})
    assert nameless.status_code == 422, nameless.text


async def test_date_filters_out_of_range_are_422_on_every_route(members_api, pingluo):
    spec = (await members_api.get("/openapi.json")).json()
    checked = []
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path:
            continue
        for parameter in get.get("parameters", []):
            schema = parameter.get("schema", {})
            if not any(s.get("format") == "date" for s in [schema, *schema.get("anyOf", [])]):
                continue
            for far in ("9999-12-31", "0001-01-01"):
                response = await members_api.get(f"{path}?{parameter['name']}={far}", headers=pingluo["staff"])
                assert response.status_code == 422, (path, parameter["name"], far, response.text)
            checked.append(f"{path}?{parameter['name']}")
    assert "/api/v1/reception-days?date_to" in checked and "/api/v1/activities?date_from" in checked


async def test_rule_sets_refuse_infinite_and_negative_points(members_api, pingluo):
    staff = pingluo["staff"]
    rules_now = f"/api/v1/assessments/rules?org_unit={PINGLUO}&year=2026"
    before = (await members_api.get(rules_now, headers=staff)).json()["version"]  # other modules may set some
    for rules in ('{"activity_cap": 1e400}', '{"activity_points": {"visit": -5}}',
                  '{"activity_points": {"visit": 1e400}}', '{"top_groups": 1000000000000}'):
        response = await members_api.post(
            "/api/v1/assessments/rules", headers={**staff, "Content-Type": "application/json"},
            content=f'{{"org_unit": "{PINGLUO}", "year": 2026, "rules": {rules}}}')
        assert response.status_code == 422, (rules, response.text)
    assert (await members_api.get(rules_now, headers=staff)).json()["version"] == before


async def test_a_reception_day_stays_within_the_century_and_a_day(members_api, pingluo, targets):
    venue_id = targets["/api/v1/venues/{venue_id}"].rsplit("/", 1)[-1]
    member_id = pingluo["member"]["id"]
    for starts, ends in (("9999-12-31T09:00:00+08:00", "9999-12-31T12:00:00+08:00"),
                         ("2027-03-15T09:00:00+08:00", "2027-03-18T09:00:00+08:00")):
        response = await members_api.post("/api/v1/reception-days", headers=pingluo["staff"], json={
            "member_id": member_id, "venue_id": venue_id, "starts_at": starts, "ends_at": ends})
        assert response.status_code == 422, response.text
    listed = await members_api.get(f"/api/v1/reception-days?member_id={member_id}")
    assert listed.json()["total"] == 0


async def test_a_check_in_without_a_code_or_with_an_impossible_one_is_422_and_writes_nothing(
    members_api, pingluo, platform, db_pool
):
    me = token_for(platform, "member", PINGLUO, member_id=pingluo["member"]["id"])
    before = await db_pool.fetchval("SELECT count(*) FROM members.check_ins")
    for body in ({"code": None}, {}, {"code": "x" * 19}, {"code": "x" * 2001}, {"code": ["a" * 30]},
                 {"code": "a" * 30, "member_id": pingluo["member"]["id"]}):
        response = await members_api.post("/api/v1/check-ins", headers=me, json=body)
        assert response.status_code == 422, (body, response.text)
    for occasion in ("opinion", "activity%00"):
        response = await members_api.get(f"/api/v1/check-ins?occasion={occasion}&occasion_id={uuid.uuid4()}",
                                         headers=pingluo["staff"])
        assert response.status_code == 422, (occasion, response.text)
    assert await db_pool.fetchval("SELECT count(*) FROM members.check_ins") == before
