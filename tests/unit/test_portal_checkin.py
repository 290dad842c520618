"""扫码签到 in the portal over fake services: the QR code's default link is the portal's check-in
page; signed out, the link goes through the sign-in and comes back with its code, never to
another site; opening the link changes nothing, the confirmed form posts the code with the
member's token, and each of members' answers is said in plain words; the organiser's screen shows
a QR code that fills the screen and renews itself before it expires. (In a browser, against the
real services: tests/portal/test_check_in.py.)"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ElementTree
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi import Response
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from liaison_shared.settings import Settings
from portal import checkin, session
from portal.app import MEMBER_PHONE_PAGES, create_app
from portal.checkin import PAGE
from portal.settings import PortalSettings
from portal.web import safe_next

pytestmark = pytest.mark.unit

PINGLUO = "640221000000"
MEMBER = "3f0c6a9e-2b1d-4c55-9a31-8d2f6e7b1c40"
ACTIVITY = "7a1e2d3c-4b5a-4f60-8e9d-0c1b2a3f4e5d"
SEED = "a-seed-of-this-browser"
# members' answers by the code the form posts (docs/api.md, check-in)
ANSWERS = {
    "c" * 30 + ".new": (201, {"already_recorded": False}),
    "c" * 30 + ".again": (200, {"already_recorded": True}),
    "c" * 30 + ".stale": (409, {"error": {"code": "code_expired", "message": "not valid now"}}),
    "c" * 30 + ".moved": (409, {"error": {"code": "outside_window", "message": "open from …"}}),
    "c" * 30 + ".forged": (403, {"error": {"code": "invalid_code", "message": "not a check-in code"}}),
    "c" * 30 + ".uninvited": (403, {"error": {"code": "forbidden", "message": "session: only invited"}}),
    "c" * 30 + ".cancelled": (409, {"error": {"code": "session_cancelled", "message": "this session was cancelled"}}),
    "c" * 30 + ".concluded": (409, {"error": {"code": "session_concluded", "message": "this session has concluded"}}),
}
RECORDED = {"occasion": "activity", "occasion_id": ACTIVITY, "title": "黄渠桥镇农田灌溉渠系调研",
            "org_unit": PINGLUO, "member_id": MEMBER, "checked_in_at": "2026-04-08T01:05:00+00:00"}


class Members:
    """Members' check-in routes as the portal calls them, and what it was sent."""

    def __init__(self) -> None:
        self.posted: list[tuple[str, str]] = []
        self.asked: list[str] = []
        self.window_open = True

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        self.asked.append(path)
        if path == "/api/v1/check-ins" and request.method == "POST":
            code = httpx.Response(200, content=request.content).json()["code"]
            self.posted.append((code, request.headers["authorization"]))
            status, body = ANSWERS[code]
            return httpx.Response(status, json={**RECORDED, **body} if status < 400 else body)
        if path == f"/api/v1/check-in-codes/activity/{ACTIVITY}":
            if not self.window_open:
                return httpx.Response(409, json={"error": {"code": "outside_window", "message": "closed"}})
            now = datetime.now(UTC)
            return httpx.Response(200, json={
                "occasion": "activity", "occasion_id": ACTIVITY, "title": "黄渠桥镇农田灌溉渠系调研",
                "org_unit": PINGLUO, "code": "a.b.c", "link": "https://liaison.example.gov.cn/console/check-in?code=a.b.c",
                "svg": "<svg><script>members' markup is never used</script></svg>",
                "valid_from": now.isoformat(), "expires_at": (now + timedelta(seconds=300)).isoformat(),
                "window_opens": now.isoformat(), "window_closes": (now + timedelta(hours=8)).isoformat()})
        if path == "/api/v1/check-ins" and request.method == "GET":
            return httpx.Response(200, json={"items": [
                {"member_id": MEMBER, "member_name": "马丽", "checked_in_at": "2026-04-08T01:05:00+00:00"}],
                "total": 1})
        if path == "/api/v1/org-units":
            return httpx.Response(200, json={"items": [{"code": PINGLUO, "name": "平罗县", "level": "county"}],
                                             "total": 1})
        if path == "/api/v1/departments":
            return httpx.Response(200, json={"items": [], "total": 0})
        if path == "/api/v1/members":
            return httpx.Response(200, json={"items": [{"id": MEMBER, "name": "马丽", "org_unit": PINGLUO,
                                                        "sector_name": "农业界"}], "total": 1})
        return httpx.Response(404, json={"error": {"code": "not_found", "message": path}})


def signed_in(client: TestClient, settings: PortalSettings, role: str) -> None:
    response = Response()
    session.start(settings, response, session.Session(
        token=f"token-of-{role}", role=role, org=PINGLUO, label="马丽（委员）" if role == "member" else "平罗县政协",
        member_id=MEMBER if role == "member" else None, expires=int(time.time()) + 600))
    client.cookies.set(session.SESSION, response.headers["set-cookie"].split(";")[0].split("=", 1)[1])


def csrf(client: TestClient, settings: PortalSettings) -> str:
    client.cookies.set(session.CSRF, SEED)
    browser = SimpleNamespace(cookies={session.CSRF: SEED}, state=SimpleNamespace())
    return session.csrf_token(settings, browser)  # type: ignore[arg-type]


@pytest.fixture
def portal():
    settings, members = PortalSettings(dev_mode=True), Members()
    with TestClient(create_app(settings, httpx.MockTransport(members)), follow_redirects=False) as client:
        client.settings, client.members = settings, members  # type: ignore[attr-defined]
        yield client


def test_the_qr_codes_link_opens_the_portals_check_in_page_unless_told_otherwise():
    routes = {(method, route.path) for route in checkin.router.routes
              if isinstance(route, APIRoute) for method in route.methods or ()}
    assert {("GET", PAGE), ("POST", PAGE)} <= routes
    assert Settings().checkin_page() == f"http://127.0.0.1:8005{PAGE}"
    assert Settings(portal_port=8443).checkin_page() == f"http://127.0.0.1:8443{PAGE}"
    assert Settings(portal_public_url="https://liaison.example.gov.cn/").checkin_page() == \
        f"https://liaison.example.gov.cn{PAGE}"
    assert Settings(portal_public_url="https://liaison.example.gov.cn",
                    checkin_link_base="https://app.example.gov.cn/checkin").checkin_page() == \
        "https://app.example.gov.cn/checkin"


def test_signed_out_the_link_goes_through_the_sign_in_and_comes_back_with_its_code(portal):
    code = "c" * 30 + ".new"
    away = portal.get(PAGE, params={"code": code})
    assert away.status_code == 303
    where = urlsplit(away.headers["location"])
    assert where.path == "/console/signin" and parse_qs(where.query)["next"] == [f"{PAGE}?code={code}"]
    form = portal.get(away.headers["location"]).text
    assert f'name="next" value="{PAGE}?code={code}"' in form
    back = portal.post("/console/signin", data={"csrf": csrf(portal, portal.settings), "role": "member",
                                                "member": MEMBER, "next": f"{PAGE}?code={code}"})
    assert back.status_code == 303 and back.headers["location"] == f"{PAGE}?code={code}"
    assert portal.members.posted == []  # signing in checked nobody in


@pytest.mark.parametrize("target", [
    "//evil.example/console/", "https://evil.example/console/check-in", "/\\evil.example", "/console/\\\\evil",
    "/consolex", "/", "/console/signin?next=/console/member", "/console/check-in?code=a b", "\t/console/member",
    "/console/member\r\nSet-Cookie: x=1", "/console/" + "x" * 3000,
    # dot segments: a browser resolves them, out of /console/ or back to the sign-in (probe)
    "/console/../../evil", "/console/../console/signin", "/console/%2e%2e/evil", "/console/.%2E/x",
    "/console/./../evil",
])
def test_the_way_back_after_sign_in_is_never_another_site(portal, target):
    assert safe_next(target) is None
    back = portal.post("/console/signin", data={"csrf": csrf(portal, portal.settings), "role": "member",
                                                "member": MEMBER, "next": target})
    assert back.status_code == 303 and back.headers["location"] == "/console/member"


def test_the_way_back_may_be_any_console_page():
    assert safe_next(f"{PAGE}?code=eyJ.a-b_c") == f"{PAGE}?code=eyJ.a-b_c"
    assert safe_next("/console/cases/1?done=assign") == "/console/cases/1?done=assign"


def test_opening_the_link_changes_nothing_and_offers_a_protected_confirmation(portal):
    signed_in(portal, portal.settings, "member")
    page = portal.get(PAGE, params={"code": "c" * 30 + ".new"})
    assert page.status_code == 200 and portal.members.posted == []
    assert 'name="csrf"' in page.text and f'value="{"c" * 30}.new"' in page.text and "确认签到" in page.text
    assert "<script" not in page.text
    refused = portal.post(PAGE, data={"code": "c" * 30 + ".new"})  # a form from elsewhere: no CSRF field
    assert refused.status_code == 403 and portal.members.posted == []


@pytest.mark.parametrize(("suffix", "status", "words"), [
    ("new", 200, "签到成功：履职活动“黄渠桥镇农田灌溉渠系调研”，签到时间 2026-04-08 09:05。"),
    ("again", 200, "您已于 2026-04-08 09:05 在履职活动“黄渠桥镇农田灌溉渠系调研”签到，无需重复签到。"),
    ("stale", 409, "签到码已过期"),
    ("moved", 409, "现在不在这场活动的签到时间内"),
    ("forged", 403, "签到码无效"),
    ("uninvited", 403, "您不在这场活动的签到名单内"),
    ("cancelled", 409, "这场协商议事已取消"),
    ("concluded", 409, "这场协商议事已结束"),
])
def test_each_answer_of_members_is_said_in_plain_words(portal, suffix, status, words):
    signed_in(portal, portal.settings, "member")
    code = "c" * 30 + "." + suffix
    answer = portal.post(PAGE, data={"csrf": csrf(portal, portal.settings), "code": code})
    assert answer.status_code == status and words in answer.text
    assert portal.members.posted == [(code, "Bearer token-of-member")]


def test_what_is_no_code_is_not_sent_on_and_only_members_check_in(portal):
    signed_in(portal, portal.settings, "member")
    for garbage in ("", "short", "c" * 30 + "<script>"):
        answer = portal.post(PAGE, data={"csrf": csrf(portal, portal.settings), "code": garbage})
        assert answer.status_code == 400 and "签到码无效" in answer.text
    signed_in(portal, portal.settings, "staff")
    assert "须以委员身份登录" in portal.get(PAGE, params={"code": "c" * 30 + ".new"}).text
    assert portal.members.posted == []


def test_the_organisers_screen_shows_a_qr_code_to_fill_it_and_renews_it_before_it_expires(portal):
    signed_in(portal, portal.settings, "staff")
    page = portal.get(f"/console/check-in-codes/activity/{ACTIVITY}").text
    assert '<meta http-equiv="refresh" content="60">' in page  # a 300 s code: a new one every minute
    figure = page.split('<figure class="qr screen">')[1].split("</figure>")[0]
    svg = ElementTree.fromstring(figure[figure.index("<svg"):figure.index("</svg>") + 6])  # noqa: S314 — our page
    assert svg.get("viewBox") and svg.get("width") is None  # scales to the screen
    assert svg.find("title").text == "履职活动签到二维码：黄渠桥镇农田灌溉渠系调研"
    assert "members' markup" not in page and "<script" not in page
    assert 'href="https://liaison.example.gov.cn/console/check-in?code=a.b.c"' in page
    assert "已签到：1人" in page and "马丽" in page


def test_outside_the_window_the_screen_says_so_and_looks_again(portal):
    portal.members.window_open = False
    signed_in(portal, portal.settings, "staff")
    page = portal.get(f"/console/check-in-codes/activity/{ACTIVITY}")
    assert page.status_code == 200 and "现在不在签到时间内" in page.text and "<svg" not in page.text
    assert '<meta http-equiv="refresh" content="60">' in page.text


def test_the_organisers_screen_is_for_staff_signed_in(portal):
    assert portal.get(f"/console/check-in-codes/activity/{ACTIVITY}").headers["location"] == \
        f"/console/signin?next=%2Fconsole%2Fcheck-in-codes%2Factivity%2F{ACTIVITY}"
    signed_in(portal, portal.settings, "staff")
    for wrong in ("activity/not-an-id", f"opinion/{ACTIVITY}", "activity/..%2F..%2Fmembers"):
        assert portal.get(f"/console/check-in-codes/{wrong}").status_code == 404
    assert portal.members.asked == []  # nothing made of a path that is not an occasion


def test_seen_from_the_internet_a_page_links_to_no_console_page_the_edge_does_not_publish(portal):
    # the gateway publishes of the console only the check-in and the sign-in it needs: the page
    # that says the check-in was recorded, seen through it, offers no "my work" link that would 404
    signed_in(portal, portal.settings, "member")
    code = "c" * 30 + ".new"
    inside = portal.post(PAGE, data={"csrf": csrf(portal, portal.settings), "code": code})
    outside = portal.post(PAGE, data={"csrf": csrf(portal, portal.settings), "code": code},
                          headers={"X-Liaison-Edge": "internet"})
    assert inside.status_code == outside.status_code == 200 and "签到成功" in outside.text

    def console_links(html: str) -> set[str]:
        return set(re.findall(r'(?:href|action)="(/console[^"?]*)', html))
    assert {"/console/member", "/console/inbox", "/console/signout"} <= console_links(inside.text)
    published = {path for method, path in MEMBER_PHONE_PAGES}
    assert "/console/signout" in console_links(outside.text) <= published
