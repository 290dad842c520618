"""The scope matrix: every route with an id, of every service, tried by principals who have no
business with the object behind the id — staff, a member and a department of the sibling county,
a member of the county who was not invited, a department of the county that was not assigned.
Each is refused (404, or 403; 401/405 where the route says so) and NOTHING changes: every table
of the service's schema is compared before and after each request, and every table of every
schema once the events have had time to travel.

The objects are real: county A's staff create them through the API. The routes are generated from
the services' OpenAPI documents, so a new route is in the matrix the day it is added; a route whose
id this file cannot supply fails the test until it gets one here, or a line in ``NOT_IN_MATRIX``
saying why it is not an object of a scope.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import httpx
import pytest_asyncio
from liaison_shared import registry
from liaison_shared.chinatime import CHINA
from liaison_shared.service import create_app
from liaison_tools.testing import eventually

from .security_support.inspect import changed, settled, snapshot
from .security_support.stack import COUNTY_A, COUNTY_B, VILLAGE_A, demo_stack

REFUSED = {401, 403, 404, 405}
YEAR = date.today().year

# Routes outside the matrix, each with the reason. Nothing else may be left out.
NOT_IN_MATRIX = {
    ("GET", "/api/v1/track/{code}"): "a capability URL: the tracking code is the citizen's credential, whoever "
                                     "holds it; that only the citizen holds it is finding 10's test",
    ("POST", "/api/v1/track/{code}/rating"): "a capability URL, as GET /track/{code}",
    ("GET", "/open311/v2/requests/{service_request_id}.json"): "a capability URL, as GET /track/{code}: the id "
                                                              "is the civic app's, and the answer holds nothing "
                                                              "personal (test_open311)",
}

SIBLINGS = {"staff of the sibling county", "member of the sibling county", "department of the sibling county"}
COUNTY_MEMBER, COUNTY_DEPARTMENT = "member of county A, not invited", "department of county A, not assigned"
ANYONE = SIBLINGS | {COUNTY_MEMBER, COUNTY_DEPARTMENT}
IN_COUNTY = {COUNTY_MEMBER, COUNTY_DEPARTMENT}

# Reads open by design to some of the matrix's principals, with the reason. Writes are never open.
OPEN_READS = {
    ("GET", "/api/v1/org-units/{code}"): (ANYONE, "the org-unit directory (names, duty contacts of offices)"),
    ("GET", "/api/v1/departments/{department_id}"): (ANYONE, "the directory of departments"),
    ("GET", "/api/v1/sectors/{sector_id}"): (ANYONE, "the directory of sectors (界别)"),
    ("GET", "/api/v1/sectors/{sector_id}/bridges"): (ANYONE, "the directory: whom a sector links to"),
    ("GET", "/api/v1/special-committees/{committee_id}"): (ANYONE, "the directory of special committees"),
    ("GET", "/api/v1/special-committees/{committee_id}/plan-items"): (
        IN_COUNTY, "a committee's work plan is open to the people of its unit"),
    ("GET", "/api/v1/members/{member_id}/card"): (ANYONE, "a member's public card (no private contact)"),
    ("GET", "/api/v1/contact-points/{code}/members"): (ANYONE, "who serves a contact point: public cards, "
                                                       "for citizens"),
    ("GET", "/api/v1/venues/{venue_id}"): (ANYONE, "venues are public places, listed for citizens"),
    ("GET", "/api/v1/calendar/{year}"): (ANYONE, "the working-day calendar is the same for everyone"),
    ("GET", "/open311/v2/services/{service_code}.json"): (ANYONE, "Open311: the category tree is public"),
    ("GET", "/api/v1/topics/{topic_id}"): ({COUNTY_MEMBER}, "the topic pool of a unit is open to its members, "
                                           "who support topics and study them"),
    ("GET", "/api/v1/topics/{topic_id}/lineage"): ({COUNTY_MEMBER}, "a topic's lineage is read as the topic"),
    ("GET", "/api/v1/outcomes/{outcome_id}"): ({COUNTY_MEMBER}, "a unit's consultation outcomes are open to its "
                                               "members"),
}

# Writes a matrix principal may make by design: not sent (they would change things, rightly).
LEGIT_WRITES = {
    ("POST", "/api/v1/topics/{topic_id}/actions", "support"): (
        {COUNTY_MEMBER}, "a member supports a topic of the unit (once per person: finding 9's test)"),
}

# Refusals other than 401/403/404/405 that are right for a route, with the reason.
OTHER_REFUSALS = {
    ("POST", "/api/v1/imports/{kind}"): ({422}, ANYONE, "the path names a kind, not an object: the rows outside "
                                         "the caller's reach are rejected, all rows or none"),
    ("POST", "/api/v1/topics/{topic_id}/research"): ({422}, {COUNTY_MEMBER}, "a member of the unit may study its "
                                                     "topic: crediting another member is refused as bad input"),
}
QUERY = {"year": str(date.today().year)}


def _future(days: int, hour: int = 9) -> str:
    return datetime.combine(date.today() + timedelta(days=days), datetime.min.time().replace(hour=hour),
                            CHINA).isoformat()


def path_values(o: dict) -> dict:
    """The value of each path parameter: by (path, name) where a name means different things."""
    return {
        "code": VILLAGE_A, "department_id": o["dept_a"], "sector_id": o["sector_a"],
        "committee_id": o["committee"], "member_id": o["member"], "contact_point": VILLAGE_A,
        "venue_id": o["venue"], "activity_id": o["activity"], "assessment_id": o["assessment"],
        "kind": "venues", "topic_id": o["topic"], "session_id": o["session"], "outcome_id": o["outcome"],
        "opinion_id": o["opinion"], "rule_id": o["rule"], "year": str(YEAR), "report_id": o["report"],
        "committee": COUNTY_A, "proposal_id": o["proposal"], "notification_id": o["notification"],
        "subscription_id": o["subscription"], "group_id": o["group"],
        "occasion": "activity", "occasion_id": o["activity"],
        ("/api/v1/track/{code}", "code"): o["tracking_code"],
        ("/api/v1/track/{code}/rating", "code"): o["tracking_code"],
        ("/api/v1/categories/{code}", "code"): o["category"], "client_id": o["open311_client"],
        "service_code": "0201", "service_request_id": o["open311_request"],
    }


def bodies(o: dict, who: dict) -> dict:
    """What an intruder would send to each write route: valid requests, aimed at county A's objects
    and crediting the intruder's own member or department, or the sibling county's."""
    mine_member = who.get("member_id") or o["member_b"]
    mine_dept = who.get("dept") or o["dept_b"]
    return {
        ("PATCH", "/api/v1/org-units/{code}"): [{"name": "改名村"}, {"active": False}],
        ("PATCH", "/api/v1/departments/{department_id}"): [{"name": "改名局"},
                                                           {"duty_contact": {"email": "x@evil.example"}}],
        ("POST", "/api/v1/sectors/{sector_id}/bridges"): [{"kind": "enterprise", "name": "某企业"}],
        ("POST", "/api/v1/special-committees/{committee_id}/plan-items"): [{"year": YEAR, "title": "闯入的计划"}],
        ("PATCH", "/api/v1/members/{member_id}"): [{"public_contact": "改了"}, {"status": "ended"}],
        ("POST", "/api/v1/members/{member_id}/assignments"): [{"contact_point": VILLAGE_A}],
        ("DELETE", "/api/v1/members/{member_id}/assignments/{contact_point}"): [None],
        ("PATCH", "/api/v1/sector-groups/{group_id}"): [{"name": "改名组"}, {"convener_id": mine_member}],
        ("POST", "/api/v1/sector-groups/{group_id}/members"): [{"member_ids": [mine_member]}],
        ("POST", "/api/v1/sector-groups/{group_id}/plan-items"): [{"planned_on": f"{YEAR}-12-01",
                                                                   "theme": "闯入的计划"}],
        ("POST", "/api/v1/sector-groups/{group_id}/activities"): [
            {"type": "visit", "title": "闯入的活动", "org_unit": COUNTY_A, "occurred_on": date.today().isoformat(),
             "member_ids": [mine_member]}],
        ("PATCH", "/api/v1/venues/{venue_id}"): [{"name": "改名厅"}, {"active": False}],
        ("POST", "/api/v1/imports/{kind}"): [f"kind,name,org_unit\ncontact_point,闯入的联系点,{VILLAGE_A}\n"],
        ("PATCH", "/api/v1/topics/{topic_id}"): [{"title": "改名"}, {"department_ids": [o["dept_b"]]}],
        ("POST", "/api/v1/topics/{topic_id}/actions"): [
            {"action": "support"}, {"action": "select", "track": "standard"}, {"action": "close"},
            {"action": "hand_down", "to": COUNTY_B, "reason": "x"}, {"action": "decline", "reason": "x"}],
        ("POST", "/api/v1/topics/{topic_id}/research"): [
            {"kind": "material", "title": "闯入的调研", "summary": "x",
             "member_ids": [o["member_a"] if who.get("org") == COUNTY_A else mine_member]}],
        ("POST", "/api/v1/sessions/{session_id}/actions"): [
            {"action": "attend", "member_ids": [mine_member]}, {"action": "cancel", "reason": "x"},
            {"action": "conclude", "minutes": "x", "outcomes": [{"kind": "consensus", "text": "x"}]}],
        ("POST", "/api/v1/sessions/{session_id}/opinions"): [
            {"content": "闯入的意见", "disposition": "assigned", "department_ids": [mine_dept],
             "member_id": o["member_a"]},
            {"content": "闯入的意见", "disposition": "received", "member_id": mine_member}],
        ("POST", "/api/v1/outcomes/{outcome_id}/actions"): [
            {"action": "convert", "target": "department_task", "department_ids": [mine_dept],
             "deadline": (date.today() + timedelta(days=30)).isoformat()},
            {"action": "evaluate", "result": "implementing", "satisfied": 100}, {"action": "publish"}],
        ("POST", "/api/v1/opinions/{opinion_id}/actions"): [
            {"action": "assign", "department_ids": [mine_dept]}, {"action": "reply", "text": "已办"},
            {"action": "return", "reason": "不归我管"}, {"action": "close"},
            {"action": "answer_on_spot", "text": "x"}, {"action": "rate", "rating": "satisfied"},
            {"action": "convert", "target": "topic", "title": "x"},
            {"action": "rule_return", "department_id": mine_dept, "ruling": "overrule", "reason": "x"}],
        ("DELETE", "/api/v1/opinions/{opinion_id}/submitter"): [None],
        ("DELETE", "/api/v1/dispatch-rules/{rule_id}"): [None],
        ("PATCH", "/api/v1/categories/{code}"): [{"name": "闯入改名"}, {"retired": True}],
        ("DELETE", "/api/v1/open311/clients/{client_id}"): [None],
        ("PUT", "/api/v1/calendar/{year}"): [[{"day": f"{YEAR}-12-31", "workday": False, "note": "闯入"}]],
        ("PATCH", "/api/v1/reports/{report_id}"): [{"title": "改名"}, {"member_ids": [mine_member]}],
        ("POST", "/api/v1/reports/{report_id}/actions"): [{"action": "submit"},
                                                         {"action": "adopt", "adopted_by": "city"}],
        ("PUT", "/api/v1/proposal-sessions/{committee}/{year}"): [
            {"filing_opens": f"{YEAR}-01-01", "filing_closes": f"{YEAR}-01-02"}],
        ("POST", "/api/v1/proposals/{proposal_id}/actions"): [
            {"action": "sign"}, {"action": "file"}, {"action": "accept"}, {"action": "close"},
            {"action": "publish_reply"}, {"action": "consent_disclosure"}],
        ("POST", "/api/v1/inbox/{notification_id}/read"): [None],
        ("DELETE", "/api/v1/subscriptions/{subscription_id}"): [None],
        ("POST", "/api/v1/subscriptions/{subscription_id}/secret"): [{"overlap_hours": 1}],
        ("POST", "/api/v1/deliveries/{notification_id}/redrive"): [None],
    }


def routes(settings) -> list[tuple[str, str, str, dict]]:
    """(service, METHOD, path, operation) of every route with a path parameter, from the OpenAPI."""
    found = []
    for name, spec in registry.specs().items():
        document = create_app(spec, settings).openapi()
        for path, operations in document["paths"].items():
            if "{" not in path:
                continue
            for method, operation in operations.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    found.append((name, method.upper(), path, operation))
    return found


async def ok(response: httpx.Response, status: int = 201) -> dict:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json() if response.content else {}


async def county_a_objects(stack, http: httpx.AsyncClient) -> dict:
    """County A's staff create one of each kind of object through the API."""
    ids, staff = dict(stack.ids), stack.token("staff", COUNTY_A)
    members, consultation = stack.url("members"), stack.url("consultation")
    feedback, notify = stack.url("feedback"), stack.url("notify")
    o = dict(ids)

    member = await ok(await http.post(f"{members}/api/v1/members", headers=staff, json={
        "name": "赵矩阵", "sector_id": ids["sector_a"], "org_unit": COUNTY_A, "region": VILLAGE_A,
        "email": "matrix-private@example.cn", "phone": "13700007001"}))
    o["member"] = member["id"]
    await ok(await http.post(f"{members}/api/v1/members/{o['member']}/assignments", headers=staff,
                             json={"contact_point": VILLAGE_A}))
    o["venue"] = (await ok(await http.post(f"{members}/api/v1/venues", headers=staff, json={
        "kind": "contact_point", "name": "矩阵联系点", "org_unit": VILLAGE_A})))["id"]
    o["committee"] = (await ok(await http.post(f"{members}/api/v1/special-committees", headers=staff, json={
        "org_unit": COUNTY_A, "name": "矩阵委员会", "sector_ids": [ids["sector_a"]]})))["id"]
    await ok(await http.post(f"{members}/api/v1/special-committees/{o['committee']}/plan-items", headers=staff,
                             json={"year": YEAR, "title": "矩阵计划"}))
    await ok(await http.post(f"{members}/api/v1/sectors/{ids['sector_a']}/bridges", headers=staff,
                             json={"kind": "department", "name": "矩阵桥", "department_id": ids["dept_a"]}))
    o["activity"] = (await ok(await http.post(f"{members}/api/v1/activities", headers=staff, json={
        "type": "visit", "title": "矩阵走访", "org_unit": COUNTY_A, "occurred_on": date.today().isoformat(),
        "member_ids": [o["member"]], "people_reached": 3})))["id"]
    await ok(await http.post(f"{members}/api/v1/reception-days", headers=staff, json={
        "member_id": o["member"], "venue_id": o["venue"], "starts_at": _future(3),
        "ends_at": _future(3, 11), "capacity": 5}))
    await ok(await http.post(f"{members}/api/v1/assessments/rules", headers=staff,
                             json={"org_unit": COUNTY_A, "year": YEAR, "rules": {}}))
    o["assessment"] = (await ok(await http.post(f"{members}/api/v1/assessments", headers=staff,
                                                json={"org_unit": COUNTY_A, "year": YEAR})))["id"]
    o["group"] = (await ok(await http.post(f"{members}/api/v1/sector-groups", headers=staff, json={
        "sector_id": ids["sector_a"], "name": "矩阵活动组", "convener_id": o["member"]})))["id"]
    plan_item = (await ok(await http.post(f"{members}/api/v1/sector-groups/{o['group']}/plan-items", headers=staff,
                                          json={"planned_on": date.today().isoformat(), "theme": "矩阵计划"})))["id"]
    await ok(await http.post(f"{members}/api/v1/sector-groups/{o['group']}/activities", headers=staff, json={
        "type": "seminar", "title": "矩阵活动组座谈", "org_unit": COUNTY_A, "occurred_on": date.today().isoformat(),
        "member_ids": [o["member"]], "plan_item_id": plan_item}))

    async def projected():
        return await stack.pool.fetchval(
            "SELECT (SELECT count(*) FROM consultation.members WHERE id = $1)"
            " + (SELECT count(*) FROM consultation.venues WHERE id = $2) = 2", o["member"], o["venue"])

    await eventually(projected, timeout=60)

    async def approved_topic(title: str) -> str:
        topic = (await ok(await http.post(f"{consultation}/api/v1/topics", headers=staff, json={
            "title": title, "org_unit": VILLAGE_A, "source_kind": "public",
            "department_ids": [ids["dept_a"]]})))["id"]
        actions = f"{consultation}/api/v1/topics/{topic}/actions"
        await ok(await http.post(actions, headers=staff, json={"action": "select", "track": "standard"}), 200)
        await ok(await http.post(actions, headers=staff, json={"action": "submit_plan", "plan": {
            "form": "基层搭台、政协嵌入", "participants": "委员、部门、村民代表", "schedule": "下月上旬"}}), 200)
        await ok(await http.post(actions, headers=stack.token("leader", COUNTY_A), json={"action": "approve"}), 200)
        return topic

    async def session(topic: str, title: str) -> str:
        return (await ok(await http.post(f"{consultation}/api/v1/sessions", headers=staff, json={
            "topic_id": topic, "title": title, "form": "议事厅", "starts_at": _future(-1),
            "venue_id": o["venue"], "member_ids": [ids["member_a"]], "department_ids": [ids["dept_a"]]})))["id"]

    # a topic consulted and concluded, with an outcome; another whose session is still to be held
    concluded = await approved_topic("矩阵议题（已协商）")
    held = await session(concluded, "矩阵协商（已结束）")
    await ok(await http.post(f"{consultation}/api/v1/sessions/{held}/actions", headers=staff, json={
        "action": "conclude", "minutes": "纪要"}), 200)
    o["outcome"] = (await ok(await http.post(f"{consultation}/api/v1/outcomes", headers=staff, json={
        "kind": "suggestion", "text": "矩阵建议", "topic_id": concluded, "session_id": held})))["id"]
    o["topic"] = await approved_topic("矩阵议题")
    o["session"] = await session(o["topic"], "矩阵协商")

    opinion = await ok(await http.post(f"{feedback}/api/v1/opinions", json={
        "content": "矩阵：路灯不亮", "org_unit": VILLAGE_A, "channel": "online", "consent": True,
        "submitter_name": "钱矩阵", "submitter_phone": "13700007002"}))
    o["opinion"], o["tracking_code"] = opinion["id"], opinion["tracking_code"]
    await ok(await http.post(f"{feedback}/api/v1/opinions/{o['opinion']}/actions", headers=staff,
                             json={"action": "assign", "department_ids": [ids["dept_a"]]}), 200)
    o["rule"] = (await ok(await http.post(f"{feedback}/api/v1/dispatch-rules", headers=staff, json={
        "category": "水利", "org_unit": COUNTY_A, "lead_department": ids["dept_a"]})))["id"]
    o["category"] = (await ok(await http.post(f"{feedback}/api/v1/categories", headers=staff, json={
        "name": "矩阵分类", "parent": "0201", "org_unit": COUNTY_A})))["code"]
    client = await ok(await http.post(f"{feedback}/api/v1/open311/clients", headers=staff, json={
        "name": "矩阵随手拍", "org_unit": COUNTY_A}))
    o["open311_client"] = client["id"]
    o["open311_request"] = (await ok(await http.post(f"{feedback}/open311/v2/requests.json", json={
        "api_key": client["api_key"], "jurisdiction_id": VILLAGE_A, "service_code": "010101",
        "description": "矩阵：路灯不亮"})))[0]["service_request_id"]
    o["report"] = (await ok(await http.post(f"{feedback}/api/v1/reports", headers=staff, json={
        "kind": "public_opinion_report", "title": "矩阵社情民意", "body": "x", "org_unit": COUNTY_A,
        "case_ids": [o["opinion"]], "member_ids": [ids["member_a"]]})))["id"]
    await ok(await http.put(f"{feedback}/api/v1/proposal-sessions/{COUNTY_A}/{YEAR}", headers=staff, json={
        "filing_opens": f"{YEAR}-01-01", "filing_closes": f"{YEAR}-12-31"}), 200)
    o["proposal"] = (await ok(await http.post(f"{feedback}/api/v1/proposals", headers=staff, json={
        "committee": COUNTY_A, "year": YEAR, "title": "矩阵提案", "body": "x", "kind": "member",
        "proposer_member_id": ids["member_a"], "co_signers": [ids["member_a2"]]})))["id"]

    o["subscription"] = (await ok(await http.post(f"{notify}/api/v1/subscriptions", headers=staff, json={
        "name": "矩阵订阅", "url": "https://hooks.example.cn/matrix", "event_types": ["*"],
        "org_unit": COUNTY_A})))["id"]
    o["notification"] = await eventually(lambda: stack.pool.fetchval(
        "SELECT id::text FROM notify.notifications WHERE recipient_id = $1 ORDER BY id LIMIT 1", ids["dept_a"]),
        timeout=60)
    o["topic_b"] = (await ok(await http.post(f"{consultation}/api/v1/topics", headers=stack.token("staff", COUNTY_B),
                                             json={"title": "惠农区的议题", "org_unit": COUNTY_B})))["id"]
    for key in ("fresh_opinion", "opinion_to_convert"):
        o[key] = (await ok(await http.post(f"{feedback}/api/v1/opinions", json={
            "content": "矩阵：排水沟堵了", "org_unit": VILLAGE_A, "channel": "online"})))["id"]
    o["fresh_topic"] = (await ok(await http.post(f"{consultation}/api/v1/topics", headers=staff, json={
        "title": "矩阵新议题", "org_unit": VILLAGE_A})))["id"]
    return o


def intruders(stack) -> dict[str, dict]:
    ids = stack.ids
    return {
        "staff of the sibling county": {"role": "staff", "org": COUNTY_B},
        "member of the sibling county": {"role": "member", "org": COUNTY_B, "member_id": ids["member_b"]},
        "department of the sibling county": {"role": "department", "org": COUNTY_B, "dept": ids["dept_b"]},
        "member of county A, not invited": {"role": "member", "org": COUNTY_A,
                                            "member_id": ids["member_a_outsider"]},
        "department of county A, not assigned": {"role": "department", "org": COUNTY_A,
                                                 "dept": ids["dept_a_other"]},
    }


@pytest_asyncio.fixture(scope="module")
async def matrix_stack(platform, tmp_path_factory):
    # a delivery that fails is failed at once, not retried while the matrix compares the tables
    async with demo_stack(platform, tmp_path_factory.mktemp("scope-matrix"), DELIVERY_MAX_ATTEMPTS="1") as stack:
        async with httpx.AsyncClient(timeout=30) as http:
            stack.objects = await county_a_objects(stack, http)
        yield stack


def build_path(path: str, values: dict) -> tuple[str | None, list[str]]:
    missing = []

    def one(match: re.Match) -> str:
        name = match.group(1)
        value = values.get((path, name), values.get(name))
        if value is None:
            missing.append(name)
            return match.group(0)
        return str(value)

    built = re.sub(r"\{([^}]+)\}", one, path)
    return (None if missing else built), missing


async def test_every_route_with_an_id_refuses_intruders_and_changes_nothing(matrix_stack):
    stack, o = matrix_stack, matrix_stack.objects
    schemas = ["members", "consultation", "feedback", "notify"]
    secrets = ["matrix-private@example.cn", "13700007001", "钱矩阵", "13700007002", o["tracking_code"]]
    failures: list[str] = []
    values = path_values(o)
    baseline = await settled(stack.pool, schemas)
    tried = 0
    async with httpx.AsyncClient(timeout=30) as http:
        for service, method, path, operation in routes(stack.settings):
            if (method, path) in NOT_IN_MATRIX:
                continue
            url_path, missing = build_path(path, values)
            if url_path is None:
                failures.append(f"{method} {path} ({service}): no id for {missing}; create one in county_a_objects"
                                " or list the route in NOT_IN_MATRIX with a reason")
                continue
            query = {p["name"]: QUERY.get(p["name"]) for p in operation.get("parameters", [])
                     if p["in"] == "query" and p.get("required")}
            if None in query.values():
                failures.append(f"{method} {path}: no value for its required query parameters {sorted(query)}")
                continue
            for who, claims in intruders(stack).items():
                headers = stack.token(claims["role"], claims["org"],
                                      **{k: v for k, v in claims.items() if k not in ("role", "org")})
                if "requestBody" in operation or method in ("POST", "PUT", "PATCH"):
                    sent = bodies(o, claims).get((method, path))
                    if sent is None:
                        failures.append(f"{method} {path}: no intruder's body known; add one to bodies()")
                        break
                else:
                    sent = [None]
                readers, _ = OPEN_READS.get((method, path), (set(), ""))
                statuses, refused_by, _ = OTHER_REFUSALS.get((method, path), (set(), set(), ""))
                allowed = REFUSED | (statuses if who in refused_by else set()) | ({200} if who in readers else set())
                for body in sent:
                    action = body.get("action") if isinstance(body, dict) else None
                    if who in LEGIT_WRITES.get((method, path, action), (set(), ""))[0]:
                        continue
                    before = await snapshot(stack.pool, [service])
                    if isinstance(body, str):
                        kwargs = {"content": body.encode(), "headers": {**headers, "Content-Type": "text/csv"}}
                    else:
                        kwargs = {"json": body, "headers": headers}
                    response = await http.request(method, stack.url(service) + url_path, params=query, **kwargs)
                    tried += 1
                    after = await snapshot(stack.pool, [service])
                    label = f"{method} {path} as {who}" + (f" with {body!r}" if body is not None else "")
                    if response.status_code not in allowed:
                        failures.append(f"{label}: answered {response.status_code} {response.text[:160]}")
                    if changed(before, after):
                        failures.append(f"{label}: changed {changed(before, after)}")
                        await settled(stack.pool, [service])  # its seal and relay, not the next one's doing
                    if any(secret in response.text for secret in secrets):
                        failures.append(f"{label}: the answer holds personal data or the tracking code")
    after_all = await settled(stack.pool, schemas)
    if changed(baseline, after_all):
        failures.append(f"after the events travelled, tables changed: {changed(baseline, after_all)}")
    assert tried > 150, f"only {tried} requests were tried"
    assert not failures, f"{len(failures)} of {tried} intrusions got through:\n" + "\n".join(failures)


def test_the_matrix_covers_every_route_with_an_id(platform):
    """The list of what is left out of the matrix names only routes that exist."""
    existing = {(method, path) for _, method, path, _ in routes(platform)}
    listed = [*NOT_IN_MATRIX, *OPEN_READS, *OTHER_REFUSALS, *((m, p) for m, p, _ in LEGIT_WRITES)]
    stale = [route for route in listed if route not in existing]
    assert not stale, f"listed but no longer routes: {stale}"
    assert len(existing) > 40


def foreign_references(o: dict) -> list[tuple[str, str, str, str, object]]:
    """(who, service, METHOD, path, body): county A's own people, on county A's objects or creating
    new ones, naming the sibling county's department, member, venue, topic or committee."""
    soon = (date.today() + timedelta(days=30)).isoformat()
    return [
        ("staff", "feedback", "POST", f"/api/v1/opinions/{o['fresh_opinion']}/actions",
         {"action": "assign", "department_ids": [o["dept_b"]]}),
        ("staff", "feedback", "POST", "/api/v1/dispatch-rules",
         {"category": "跨区类", "org_unit": COUNTY_A, "lead_department": o["dept_b"]}),
        ("staff", "members", "POST", "/api/v1/reception-days",
         {"member_id": o["member"], "venue_id": o["venue_b"], "starts_at": _future(9), "ends_at": _future(9, 11)}),
        ("staff", "members", "POST", "/api/v1/activities",
         {"type": "visit", "title": "跨区走访", "org_unit": COUNTY_A, "occurred_on": date.today().isoformat(),
          "member_ids": [o["member_b"]]}),
        ("staff", "consultation", "POST", "/api/v1/sessions",
         {"topic_id": o["topic"], "title": "跨区协商", "form": "议事厅", "starts_at": _future(6),
          "member_ids": [o["member_b"]], "department_ids": [o["dept_b"]]}),
        ("staff", "consultation", "PATCH", f"/api/v1/topics/{o['fresh_topic']}", {"department_ids": [o["dept_b"]]}),
        ("staff", "consultation", "POST", f"/api/v1/outcomes/{o['outcome']}/actions",
         {"action": "convert", "target": "department_task", "department_ids": [o["dept_b"]], "deadline": soon}),
        ("member", "feedback", "POST", "/api/v1/proposals",
         {"committee": COUNTY_B, "year": YEAR, "title": "跨区提案", "body": "x", "kind": "member",
          "proposer_member_id": o["member_a"], "co_signers": [o["member_b"]]}),
        ("member", "members", "POST", "/api/v1/activities",
         {"type": "visit", "title": "替人记功", "org_unit": COUNTY_A, "occurred_on": date.today().isoformat(),
          "member_ids": [o["member_a"], o["member_a2"]], "people_reached": 50}),
        ("staff", "members", "POST", f"/api/v1/sector-groups/{o['group']}/members", {"member_ids": [o["member_b"]]}),
        ("staff", "members", "POST", f"/api/v1/sector-groups/{o['group']}/activities",
         {"type": "visit", "title": "跨区活动", "org_unit": COUNTY_B, "occurred_on": date.today().isoformat(),
          "member_ids": [o["member"]]}),
    ]


async def test_county_a_cannot_reach_into_the_sibling_county_through_what_it_sends(matrix_stack):
    """The other axis of scope: a request on one's own objects that names another unit's department,
    member, venue, topic or committee is refused (4xx), and nothing changes, anywhere."""
    stack, o = matrix_stack, matrix_stack.objects
    principals = {"staff": stack.token("staff", COUNTY_A),
                  "member": stack.token("member", COUNTY_A, member_id=o["member_a"])}
    failures = []
    async with httpx.AsyncClient(timeout=30) as http:
        after = await settled(stack.pool)
        for who, service, method, path, body in foreign_references(o):
            before = after
            response = await http.request(method, stack.url(service) + path, headers=principals[who], json=body)
            after = await settled(stack.pool)
            label = f"{method} {path} as county A's {who} with {body!r}"
            if not 400 <= response.status_code < 500:
                failures.append(f"{label}: answered {response.status_code} {response.text[:160]}")
            if changed(before, after):
                failures.append(f"{label}: changed {changed(before, after)}")
        # finding 8: converting one's own case into the sibling's topic adds nothing to that topic
        # (whether the case itself converts is feedback's to say)
        def topic_b():
            return stack.pool.fetchval(
                "SELECT md5(coalesce((SELECT t::text FROM consultation.topics t WHERE id::text = $1), '')"
                " || coalesce((SELECT string_agg(s::text, '' ORDER BY s::text) FROM consultation.topic_sources s"
                " WHERE topic_id::text = $1), ''))", o["topic_b"])

        before = await topic_b()
        await http.post(f"{stack.url('feedback')}/api/v1/opinions/{o['opinion_to_convert']}/actions",
                        headers=principals["staff"], json={"action": "convert", "target": "topic",
                                                           "topic_id": o["topic_b"], "title": "并入惠农区议题"})
        await settled(stack.pool)
        if await topic_b() != before:
            failures.append("converting county A's case into county B's topic changed county B's topic")
    assert not failures, "reached into the sibling county:\n" + "\n".join(failures)
