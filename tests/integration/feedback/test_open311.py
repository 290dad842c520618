"""The Open311 GeoReport v2 façade (issue 21.2) on the real broker and database: keys staff issue,
a civic app's request becoming a case like any public intake, what it reads back (nothing
personal), the rate limit per key — and a conformance walk over the spec's fields and errors."""

import dataclasses
import json
import uuid
from datetime import datetime

import pytest
import pytest_asyncio
from liaison_tools.testing import collect, header, running, token_for

from .conftest import DONGFENG, HUINONG, PINGLUO, act

pytestmark = pytest.mark.integration

FORM = {"content-type": "application/x-www-form-urlencoded"}
WORDS = "东风村三队路口路灯不亮半个月了"
# what a civic app may send about the citizen; none of it may be kept or shown
PERSONAL = {"first_name": "三", "last_name": "张", "phone": "13912345678", "email": "zhangsan@example.cn"}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


@pytest_asyncio.fixture(scope="module")
async def keys(world):
    api, county = world["api"], world["county_staff"]
    issued = {}
    for name, unit, headers in [("石嘴山随手拍", PINGLUO, county),
                                ("惠农民生通", HUINONG, token_for(world["settings"], "staff", HUINONG))]:
        response = await api.post("/api/v1/open311/clients", headers=headers, json={"name": name, "org_unit": unit})
        assert response.status_code == 201, response.text
        issued[unit] = response.json()
    return issued


async def hand_in(api, key, **fields):
    body = {"api_key": key, "jurisdiction_id": DONGFENG, "service_code": "010101", "description": WORDS,
            "lat": "38.9012", "long": "106.5543", "address_string": "三队路口", "attribute[urgency]": "urgent",
            **PERSONAL, **fields}
    return await api.post("/open311/v2/requests.json", content=_form(body), headers=FORM)


def _form(fields: dict) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in fields.items() if v is not None})


def is_error(response, status: int) -> bool:
    """GeoReport's error format: a list of {code, description}, the code the HTTP status."""
    body = response.json()
    return (response.status_code == status and isinstance(body, list) and len(body) >= 1
            and all(set(e) == {"code", "description"} and e["code"] == status and e["description"] for e in body))


async def test_staff_issue_a_key_shown_once_and_stored_hashed(world, keys, db_pool):
    api, county = world["api"], world["county_staff"]
    key = keys[PINGLUO]["api_key"]
    assert key.startswith("o311_") and len(key) > 40
    stored = await db_pool.fetchrow("SELECT key_hash FROM feedback.open311_clients WHERE id = $1::uuid",
                                    keys[PINGLUO]["id"])
    assert key.encode() not in bytes(stored["key_hash"]) and len(stored["key_hash"]) == 32
    listed = (await api.get("/api/v1/open311/clients", headers=county)).json()
    mine = next(c for c in listed["items"] if c["id"] == keys[PINGLUO]["id"])
    assert "api_key" not in mine and key not in json.dumps(listed)
    assert keys[HUINONG]["id"] not in {c["id"] for c in listed["items"]}  # a sibling county's client
    assert (await api.post("/api/v1/open311/clients", headers=county, json={
        "name": "越权", "org_unit": HUINONG})).status_code == 404
    assert (await api.post("/api/v1/open311/clients", headers=world["water"], json={
        "name": "承办单位", "org_unit": PINGLUO})).status_code == 403
    assert (await api.post("/api/v1/open311/clients", json={"name": "无令牌", "org_unit": PINGLUO})).status_code == 401


async def test_a_request_becomes_a_case_like_any_public_intake_and_keeps_nothing_personal(world, keys, platform):
    api, county = world["api"], world["county_staff"]
    created = await hand_in(api, keys[PINGLUO]["api_key"])
    assert created.status_code == 201, created.text
    [answer] = created.json()
    case_id = answer["service_request_id"]
    assert "3个工作日" in answer["service_notice"] and answer["account_id"] is None
    case = (await api.get(f"/api/v1/opinions/{case_id}", headers=county)).json()
    assert (case["category"], case["channel"], case["urgency"], case["org_unit"]) == (
        "城乡建设/道路交通/路灯", "online", "urgent", DONGFENG)
    assert case["content"] == WORDS and case["submitter_name"] is None and case["submitter_phone"] is None
    assert case["location"] == {"latitude": 38.9012, "longitude": 106.5543, "address_string": "三队路口"}
    assert case["tracking_code"] == answer["tracking_code"]

    events = await collect(platform, "cppcc.feedback.opinion", count=1, timeout=15,
                           where=lambda r: r.key == case_id.encode()
                           and header(r, "ce_type") == "cppcc.feedback.opinion.submitted.v1")
    assert len(events) == 1
    data = json.loads(events[0].value)
    assert data["category"] == "城乡建设/道路交通/路灯" and data["subject_id"] is None
    assert not any(v.encode() in events[0].value for v in (*PERSONAL.values(), "三队路口"))


async def test_what_a_civic_app_reads_back_follows_the_case(world, keys):
    api, county, departments = world["api"], world["county_staff"], world["departments"]
    case_id = (await hand_in(api, keys[PINGLUO]["api_key"])).json()[0]["service_request_id"]

    async def shown() -> dict:
        response = await api.get(f"/open311/v2/requests/{case_id}.json")  # no key: the id is the capability
        assert response.status_code == 200, response.text
        [request] = response.json()
        return request

    first = await shown()
    assert (first["status"], first["status_notes"], first["expected_datetime"]) == ("open", "已受理，等待分办", None)
    assert (first["service_code"], first["service_name"]) == ("010101", "路灯")
    assigned = await act(api, county, case_id, action="assign", department_ids=[departments["平罗县住建局"]])
    assert assigned.status_code == 200, assigned.text
    deadline = assigned.json()["deadline"]
    second = await shown()
    assert second["status"] == "open" and second["agency_responsible"].startswith("平罗县住建局")
    assert second["expected_datetime"] == f"{deadline}T23:59:59+08:00" and deadline in second["service_notice"]
    replied = await act(api, world["housing"], case_id, action="reply", text="已更换灯泡，三队路口路灯恢复照明")
    assert replied.status_code == 200, replied.text
    third = await shown()
    assert (third["status"], third["status_notes"], third["expected_datetime"]) == ("closed", "承办单位已答复", None)
    assert datetime.fromisoformat(third["updated_datetime"]) >= datetime.fromisoformat(first["updated_datetime"])


async def test_a_key_lists_its_own_requests_with_the_specs_filters(world, keys):
    api = world["api"]
    mine = (await hand_in(api, keys[PINGLUO]["api_key"], service_code="0201",
                          description="支渠堵塞，春灌放不下水")).json()[0]["service_request_id"]
    theirs = (await hand_in(api, keys[HUINONG]["api_key"], jurisdiction_id=HUINONG)).json()[0]["service_request_id"]
    key = keys[PINGLUO]["api_key"]
    listed = await api.get("/open311/v2/requests.json", params={"api_key": key})
    ids = {r["service_request_id"] for r in listed.json()}
    assert mine in ids and theirs not in ids
    water = (await api.get("/open311/v2/requests.json", params={"api_key": key, "service_code": "0201"})).json()
    assert mine in {r["service_request_id"] for r in water} and all(r["service_code"] == "0201" for r in water)
    opened = await api.get("/open311/v2/requests.json", params={"api_key": key, "status": "open"})
    assert mine in {r["service_request_id"] for r in opened.json()}
    closed = await api.get("/open311/v2/requests.json", params={"api_key": key, "status": "closed"})
    assert all(r["status"] == "closed" for r in closed.json()) and mine not in {
        r["service_request_id"] for r in closed.json()}
    later = await api.get("/open311/v2/requests.json", params={"api_key": key, "start_date": "2100-01-01T00:00:00Z"})
    assert later.json() == []
    by_ids = await api.get("/open311/v2/requests.json", params={"service_request_id": f"{mine},{theirs}"})
    assert {r["service_request_id"] for r in by_ids.json()} == {mine, theirs}


async def test_a_key_is_refused_outside_its_units_and_once_revoked(world, keys):
    api, county = world["api"], world["county_staff"]
    assert is_error(await hand_in(api, keys[PINGLUO]["api_key"], jurisdiction_id=HUINONG), 403)
    issued = (await api.post("/api/v1/open311/clients", headers=county, json={
        "name": "试用期应用", "org_unit": PINGLUO})).json()
    assert (await hand_in(api, issued["api_key"])).status_code == 201
    revoked = await api.delete(f"/api/v1/open311/clients/{issued['id']}", headers=county)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert is_error(await hand_in(api, issued["api_key"]), 403)
    assert is_error(await api.get("/open311/v2/requests.json", params={"api_key": issued["api_key"]}), 403)


async def test_requests_are_limited_per_key(world, keys, service_specs):
    settings = world["settings"].model_copy(update={"open311_rate_limit_per_minute": 3})
    # a second feedback process, serving HTTP only: without consumers it leaves the group to the first
    http_only = dataclasses.replace(service_specs["feedback"], consumer=None, background_jobs=())
    async with running(http_only, settings) as api:
        key, other = keys[PINGLUO]["api_key"], keys[HUINONG]["api_key"]
        answers = [await api.get("/open311/v2/requests.json", params={"api_key": key}) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 200]
        limited = await hand_in(api, key)
        assert is_error(limited, 429) and int(limited.headers["Retry-After"]) > 0
        assert (await api.get("/open311/v2/requests.json", params={"api_key": other})).status_code == 200


# --- conformance: GeoReport v2's fields and errors, walked one by one ------------------------------------


async def test_conformance_services_and_definitions(world):
    api = world["api"]
    services = await api.get("/open311/v2/services.json", params={"jurisdiction_id": DONGFENG})
    assert services.status_code == 200 and services.headers["content-type"].startswith("application/json")
    listed = services.json()
    assert isinstance(listed, list) and listed
    for service in listed:
        assert {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"} <= set(service)
        assert isinstance(service["metadata"], bool) and service["type"] in ("realtime", "batch", "blackbox")
        assert all(isinstance(service[f], str) and service[f] for f in ("service_code", "service_name", "group"))
    lamp = next(s for s in listed if s["service_code"] == "010101")
    assert (lamp["service_name"], lamp["group"], lamp["keywords"]) == ("路灯", "城乡建设", "城乡建设,道路交通,路灯")
    base = (await api.get("/open311/v2/services.json")).json()  # no jurisdiction: the base tree
    assert {s["service_code"] for s in base} <= {s["service_code"] for s in listed}

    for service in [s for s in listed if s["metadata"]][:5]:
        found = await api.get(f"/open311/v2/services/{service['service_code']}.json",
                              params={"jurisdiction_id": DONGFENG})
        assert found.status_code == 200, found.text
        definition = found.json()
        assert definition["service_code"] == service["service_code"] and isinstance(definition["attributes"], list)
        for attribute in definition["attributes"]:
            assert {"variable", "code", "datatype", "required", "datatype_description", "order",
                    "description"} <= set(attribute)
            assert attribute["datatype"] in DATATYPES and isinstance(attribute["required"], bool)
            assert isinstance(attribute["order"], int) and isinstance(attribute["variable"], bool)
            if attribute["datatype"].endswith("valuelist"):
                assert attribute["values"] and all(set(v) == {"key", "name"} for v in attribute["values"])


async def test_conformance_requests_carry_the_specs_fields_and_nothing_personal(world, keys):
    api = world["api"]
    created = await hand_in(api, keys[PINGLUO]["api_key"], **{"attribute[urgency]": None})
    assert created.status_code == 201, created.text
    assert isinstance(created.json(), list) and len(created.json()) == 1
    answer = created.json()[0]
    assert {"service_request_id", "service_notice", "account_id"} <= set(answer)
    uuid.UUID(answer["service_request_id"])
    assert "15个工作日" in answer["service_notice"]  # normal urgency without the attribute

    for response in (await api.get(f"/open311/v2/requests/{answer['service_request_id']}.json"),
                     await api.get("/open311/v2/requests.json",
                                   params={"service_request_id": answer["service_request_id"]}),
                     await api.get("/open311/v2/requests.json", params={"api_key": keys[PINGLUO]["api_key"]})):
        assert response.status_code == 200, response.text
        for request in response.json():
            assert {"service_request_id", "status", "status_notes", "service_name", "service_code",
                    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
                    "expected_datetime"} <= set(request)
            assert request["status"] in ("open", "closed")
            for field in ("requested_datetime", "updated_datetime", "expected_datetime"):
                if request[field] is not None:
                    assert datetime.fromisoformat(request[field]).utcoffset() is not None, field
            assert not {"description", "address", "address_string", "lat", "long", "email", "phone",
                        "first_name", "last_name"} & set(request)
        text = response.text
        assert not any(v in text for v in (WORDS, "三队路口", "38.9012", *PERSONAL.values()))


async def test_conformance_errors_are_georeports_with_the_right_status(world, keys):
    api, key = world["api"], keys[PINGLUO]["api_key"]
    assert is_error(await hand_in(api, "o311_not-a-key"), 403)
    assert is_error(await hand_in(api, None), 400)  # no api_key at all: a missing parameter
    assert is_error(await hand_in(api, key, service_code=None), 400)
    assert is_error(await hand_in(api, key, description=None), 400)
    assert is_error(await hand_in(api, key, jurisdiction_id="abc"), 400)
    assert is_error(await hand_in(api, key, lat="91", long="106"), 400)
    assert is_error(await hand_in(api, key, long=None), 400)  # lat without long
    assert is_error(await hand_in(api, key, **{"attribute[urgency]": "very"}), 400)
    assert is_error(await hand_in(api, key, service_code="no-such"), 404)
    assert is_error(await hand_in(api, key, jurisdiction_id="640221100299"), 404)  # a unit nobody registered
    json_body = await api.post("/open311/v2/requests.json", json={"api_key": key, "jurisdiction_id": DONGFENG,
                                                                  "service_code": "0201", "description": "渠道漏水"})
    assert json_body.status_code == 201, json_body.text
    assert is_error(await api.post("/open311/v2/requests.json", content=b"{broken",
                                   headers={"content-type": "application/json"}), 400)
    assert is_error(await api.get("/open311/v2/services/no-such.json"), 404)
    assert is_error(await api.get("/open311/v2/services.json", params={"jurisdiction_id": "123"}), 400)
    assert is_error(await api.get("/open311/v2/services.json", params={"jurisdiction_id": "640221100299"}), 404)
    assert is_error(await api.get(f"/open311/v2/requests/{uuid.uuid4()}.json"), 404)
    assert is_error(await api.get("/open311/v2/requests/not-an-id.json"), 404)
    assert is_error(await api.get("/open311/v2/requests.json"), 403)  # neither ids nor a key
    assert is_error(await api.get("/open311/v2/requests.json", params={"api_key": key, "status": "pending"}), 400)
    assert is_error(await api.get("/open311/v2/requests.json", params={"api_key": key, "start_date": "soon"}), 400)


async def test_a_case_handed_in_elsewhere_is_not_an_open311_request(world):
    """Cases of the other channels stay out of the façade, even by id: their ids travel in events."""
    api = world["api"]
    other = await api.post("/api/v1/opinions", json={"content": "村口灌溉渠堵塞", "org_unit": DONGFENG,
                                                     "channel": "online", "category": "灌溉"})
    assert other.status_code == 201
    assert is_error(await api.get(f"/open311/v2/requests/{other.json()['id']}.json"), 404)


async def test_every_error_under_the_facade_is_a_georeport_with_the_right_status(world, keys):
    """Not only the façade's own refusals: a path or a method no route has, a body over the limit,
    dates out of range and bodies nested beyond reading are GeoReport errors too, never a 500."""
    api, key = world["api"], keys[PINGLUO]["api_key"]
    assert is_error(await api.put("/open311/v2/requests.json", content=b""), 405)
    assert is_error(await api.get("/open311/v2/nope.json"), 404)
    assert is_error(await api.get("/open311/v2/requests.xml"), 404)
    assert is_error(await api.delete(f"/open311/v2/requests/{uuid.uuid4()}.json"), 405)
    too_big = b"description=" + b"x" * world["settings"].max_body_bytes
    assert is_error(await api.post("/open311/v2/requests.json", content=too_big, headers=FORM), 413)

    async def streamed():  # no content-length: the limit is counted as the body arrives
        for _ in range(4):
            yield b"x" * (world["settings"].max_body_bytes // 3)

    assert is_error(await api.post("/open311/v2/requests.json", content=streamed(), headers=FORM), 413)
    for far in ("0001-01-01T00:00:00", "9999-12-31T23:59:59"):
        for name in ("start_date", "end_date"):
            answer = await api.get("/open311/v2/requests.json", params={"api_key": key, name: far})
            assert is_error(answer, 400), answer.text
            assert answer.json()[0]["description"].startswith(f"{name}:")
    for deep in (b'{"a":' * 100_000, b"[" * 100_000):
        answer = await api.post("/open311/v2/requests.json", content=deep, headers={"content-type": "application/json"})
        assert is_error(answer, 400), answer.text[:200]
    # outside the façade the platform's own format stays
    assert set((await api.get("/api/v1/nope")).json()) == {"error"}


async def test_georeport_errors_name_the_parameter_and_never_echo_its_value(world, keys):
    api, key = world["api"], keys[PINGLUO]["api_key"]
    injected = "' OR 1=1-- "
    for answer, status in [
        (await hand_in(api, key, service_code=injected), 404),
        (await hand_in(api, key, jurisdiction_id="640221100299"), 404),
        (await hand_in(api, key, jurisdiction_id="640205000000"), 403),  # a unit outside the key's
        (await api.get(f"/open311/v2/services/{injected}.json"), 404),
        (await api.get("/open311/v2/services/0101.json", params={"jurisdiction_id": "640221100299"}), 404),
        (await hand_in(api, key, description="东风村\x00路灯"), 400),
    ]:
        assert is_error(answer, status), answer.text
        described = answer.json()[0]["description"]
        assert not any(value in described for value in (injected, "OR 1=1", "640221100299", "640205000000",
                                                         PINGLUO, "东风村")), described
    assert (await hand_in(api, key, description="东风村\x00路灯")).json()[0]["description"].startswith("description:")
