"""The portal's console pages over fake services: a case offers exactly the actions feedback says
the caller may take; the topics board has a column per stage; the figures are an SVG bar chart
drawn on the server, with its numbers in a table too."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from fastapi import Response
from fastapi.testclient import TestClient
from portal import session
from portal.actions import body_of
from portal.app import create_app
from portal.settings import PortalSettings

pytestmark = pytest.mark.unit

PINGLUO, HUANGQUQIAO, CHENGGUAN = "640221000000", "640221100000", "640221101000"
CASE = str(uuid.uuid4())


def fake_services(request: httpx.Request) -> httpx.Response:
    path = request.url.path
    if path == f"/api/v1/opinions/{CASE}":
        return httpx.Response(200, json={
            "id": CASE, "content": "村口灌溉渠堵塞，影响春灌", "category": "水利", "urgency": "normal",
            "created_at": "2026-04-01T08:00:00+08:00", "status": "assigned", "deadline": "2026-04-20",
            "assignments": [{"department_id": "d-water", "lead": True, "state": "active", "deadline": "2026-04-20",
                             "round": 1, "reply": None, "return_ruling": None},
                            {"department_id": "d-housing", "lead": False, "state": "returned",
                             "deadline": "2026-04-20", "round": 1, "reply": None, "return_ruling": None,
                             "return_reason": "不属于住建职责"}],
            "history": [{"at": "2026-04-02T09:00:00+08:00", "action": "extend", "to_status": "assigned",
                         "detail": {"request": "r1", "days": 5, "reason": "需协调施工队"}}],
            "allowed_actions": ["recall", "rule_return", "extend", "supervise"]})
    if path.endswith("/dispatch-proposal"):
        return httpx.Response(200, json=None)
    if path == "/api/v1/departments":
        return httpx.Response(200, json={"items": [{"id": "d-water", "name": "平罗县水务局"},
                                                   {"id": "d-housing", "name": "平罗县住建局"}], "total": 2})
    if path == "/api/v1/topics":
        return httpx.Response(200, json={"items": [
            {"title": "黄渠桥镇农田灌溉渠系改造", "stage": "consulting", "track": "standard", "people_concerned": 40,
             "linked_opinions": 3}], "total": 1})
    if path == "/api/v1/stats":
        assert request.url.params["group_by"] == "org_unit" and request.url.params["org_unit"] == PINGLUO
        return httpx.Response(200, json={"org_unit": PINGLUO, "group_by": "org_unit", "date_from": None,
                                         "date_to": None, "groups": [
            {"key": HUANGQUQIAO, "cases": 12, "people": 15, "response_rate": 1.0, "resolution_rate": 0.75,
             "satisfaction_rate": 0.5, "on_time_rate": None},
            {"key": CHENGGUAN, "cases": 4, "people": 4, "response_rate": 0.5, "resolution_rate": 0.25,
             "satisfaction_rate": None, "on_time_rate": 1.0}]})
    if path == "/api/v1/org-units":
        return httpx.Response(200, json={"items": [{"code": HUANGQUQIAO, "name": "黄渠桥镇"},
                                                   {"code": CHENGGUAN, "name": "城关镇"}], "total": 2})
    return httpx.Response(404, json={"error": {"code": "not_found", "message": path}})


@pytest.fixture
def staff_console():
    settings = PortalSettings(dev_mode=True)
    with TestClient(create_app(settings, httpx.MockTransport(fake_services))) as client:
        response = Response()
        session.start(settings, response, session.Session(token="t", role="staff", org=PINGLUO, label="平罗县政协",
                                                          expires=int(time.time()) + 600))
        client.cookies.set(session.SESSION, response.headers["set-cookie"].split(";")[0].split("=", 1)[1])
        yield client


def test_a_case_offers_exactly_the_actions_feedback_allows_the_caller(staff_console):
    page = staff_console.get(f"/console/cases/{CASE}").text
    offered = {line.split('value="')[1].split('"')[0] for line in page.splitlines()
               if 'name="action"' in line}
    assert offered == {"recall", "rule_return", "extend", "supervise"}
    assert "延期审批" in page and "承办单位申请延长5个工作日：需协调施工队" in page
    assert 'value="d-housing"' in page.split('id="rule_return-department_id"')[1].split("</select>")[0]


def test_the_topics_board_has_a_column_per_stage(staff_console):
    page = staff_console.get("/console/topics").text
    assert page.count('class="column"') == 8
    consulting = page.split('id="stage-consulting"')[1].split("</section>")[0]
    assert "黄渠桥镇农田灌溉渠系改造" in consulting and "小事简议" not in consulting


def test_the_figures_are_a_server_drawn_bar_chart_and_a_table(staff_console):
    response = staff_console.get("/console/figures")
    assert response.status_code == 200
    page = response.text
    svg = page.split("<svg")[1].split("</svg>")[0]
    assert "<script" not in page
    assert svg.count("<rect") == 8  # two units, four rates each
    assert 'width="320.0"' in svg and 'width="240.0"' in svg  # 100 % and 75 % of the chart's width
    assert "黄渠桥镇" in svg and "城关镇" in page
    assert "75%" in page and "—" in page  # a rate of none is shown as none, not as 0 %


def test_a_form_becomes_the_actions_body():
    assert body_of("extend", {"decision": ["approve"]}, "staff") == {"action": "extend", "decision": "approve"}
    assert body_of("extend", {"days": ["5"], "reason": ["需协调"]}, "department") == {
        "action": "extend", "days": 5, "reason": "需协调"}
    assert body_of("rule_return", {"department_id": ["d"], "ruling": ["overrule"], "reason": ["属水务"]},
                   "staff") == {"action": "rule_return", "department_id": "d", "ruling": "overrule",
                                "reason": "属水务"}
    with pytest.raises(ValueError, match="into:"):
        body_of("merge", {"into": [""]}, "staff")
    with pytest.raises(ValueError, match="rating:"):
        body_of("rate", {"rating": ["great"]}, "staff")
