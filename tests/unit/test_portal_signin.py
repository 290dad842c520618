"""The portal's sign-in without a network: an issuer configured switches the development sign-in off;
a callback that is not the answer to this browser's own sign-in is refused before anything is asked
of the issuer; the start check names what would make every forwarded token fail; the session cookie
is Secure outside development; the receipt carries the tracking link as a QR code with its words.
(The flow itself runs against a real provider in tests/portal/test_oidc.py.)"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from types import SimpleNamespace

import httpx
import pytest
from fastapi import Response
from fastapi.testclient import TestClient
from portal import session
from portal.app import create_app
from portal.settings import PortalSettings, oidc_problem, refuse_unsafe
from portal.web import CSP

pytestmark = pytest.mark.unit

ISSUER = "http://127.0.0.1:9"  # nothing answers there: nothing may be asked of it
OIDC = {"portal_oidc_issuer": ISSUER, "auth_issuer": ISSUER, "portal_oidc_client_id": "cppcc-portal",
        "portal_oidc_client_secret": "portal-client-secret"}


def no_services(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"no service is called: {request.url}")


@pytest.fixture
def with_issuer():
    settings = PortalSettings(dev_mode=True, **OIDC)
    with TestClient(create_app(settings, httpx.MockTransport(no_services)), follow_redirects=False) as client:
        client.settings = settings  # type: ignore[attr-defined]
        yield client


def csrf_of(client: TestClient) -> str:
    """A valid CSRF field for this client: its seed cookie and the field the portal would render."""
    client.cookies.set(session.CSRF, "a-seed-of-this-browser")
    browser = SimpleNamespace(cookies={session.CSRF: "a-seed-of-this-browser"}, state=SimpleNamespace())
    return session.csrf_token(client.settings, browser)  # type: ignore[attr-defined, arg-type]


def flow_cookie(settings: PortalSettings, state: str) -> str:
    response = Response()
    session.start_flow(settings, response, {"state": state, "nonce": "n" * 20, "verifier": "v" * 48})
    return response.headers["set-cookie"].split(";")[0].split("=", 1)[1]


def test_beside_an_issuer_the_development_sign_in_is_refused(with_issuer):
    answer = with_issuer.post("/console/signin", data={"csrf": csrf_of(with_issuer), "role": "staff",
                                                       "org": "640221000000"})
    assert answer.status_code == 403 and "演示登录已关闭" in answer.text
    assert session.SESSION not in answer.cookies


def test_an_unreachable_issuer_says_so_and_starts_nothing(with_issuer):
    answer = with_issuer.get("/console/signin")
    assert answer.status_code == 503 and "暂时无法连接统一身份认证" in answer.text
    assert session.FLOW not in answer.cookies


def test_a_callback_this_browser_did_not_start_is_refused(with_issuer):
    answer = with_issuer.get("/console/signin/callback", params={"code": "c0de", "state": "s" * 30})
    assert answer.status_code == 400 and "不是从本站发起的" in answer.text
    assert session.SESSION not in answer.cookies


def test_a_callback_with_another_state_is_refused_and_ends_the_flow(with_issuer):
    with_issuer.cookies.set(session.FLOW, flow_cookie(with_issuer.settings, "the-state-it-sent"))
    answer = with_issuer.get("/console/signin/callback", params={"code": "c0de", "state": "another-state"})
    assert answer.status_code == 400 and "与本次登录不符" in answer.text
    assert session.SESSION not in answer.cookies
    assert re.search(r'portal_signin=""; .*Max-Age=0; Path=/console/signin', answer.headers["set-cookie"])


def test_a_flow_cookie_signed_with_another_key_is_no_flow(with_issuer):
    other = PortalSettings(dev_mode=True, portal_session_secret="another-key-of-thirty-two-characters!", **OIDC)
    with_issuer.cookies.set(session.FLOW, flow_cookie(other, "s" * 30))
    answer = with_issuer.get("/console/signin/callback", params={"code": "c0de", "state": "s" * 30})
    assert answer.status_code == 400 and "不是从本站发起的" in answer.text


def test_the_issuer_refusing_is_said_in_words(with_issuer):
    with_issuer.cookies.set(session.FLOW, flow_cookie(with_issuer.settings, "s" * 30))
    answer = with_issuer.get("/console/signin/callback", params={"error": "access_denied", "state": "s" * 30})
    assert answer.status_code == 403 and "没有同意本次登录" in answer.text


@pytest.mark.parametrize(("changes", "named"), [
    ({"portal_oidc_client_secret": None}, "PORTAL_OIDC_CLIENT_SECRET"),
    ({"auth_issuer": "https://sso.example.gov.cn/realms/other"}, "AUTH_ISSUER"),
    ({"portal_oidc_forward_token": "id_token"}, "AUTH_AUDIENCE"),
    ({"dev_mode": False, "portal_session_secret": "x" * 40, "portal_public_url": "http://liaison.example.gov.cn"},
     "https"),
])
def test_the_start_check_names_what_would_fail_every_sign_in(changes, named):
    settings = PortalSettings(**{"dev_mode": True, **OIDC, **changes})
    assert named in (oidc_problem(settings) or "")
    with pytest.raises(SystemExit, match=named):
        refuse_unsafe(settings)


def test_a_sound_issuer_configuration_passes_the_start_check():
    assert oidc_problem(PortalSettings(dev_mode=True)) is None  # no issuer: nothing to check
    assert oidc_problem(PortalSettings(dev_mode=True, **OIDC)) is None
    assert oidc_problem(PortalSettings(**{
        **OIDC, "dev_mode": False, "portal_session_secret": "x" * 40, "portal_oidc_client_id": "cppcc-liaison",
        "portal_oidc_forward_token": "id_token", "portal_oidc_redirect_url":
        "https://console.liaison.example.gov.cn/console/signin/callback"})) is None


def test_outside_development_the_session_cookie_is_secure_httponly_and_lax():
    response = Response()
    session.start(PortalSettings(dev_mode=False), response, session.Session(
        token="t", role="staff", org="640221000000", label="平罗县政协", expires=2_000_000_000))
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=lax" in cookie


def test_the_receipt_shows_the_tracking_link_as_a_qr_code_with_words():
    settings = PortalSettings(dev_mode=True, portal_public_url="https://liaison.example.gov.cn")
    with TestClient(create_app(settings, httpx.MockTransport(no_services))) as client:
        answer = client.get("/r/K7Q2-9XD4-PL3M?kept=0")
    assert answer.status_code == 200 and answer.headers["content-security-policy"] == CSP
    figure = answer.text.split('<figure class="qr">')[1].split("</figure>")[0]
    svg = ElementTree.fromstring(figure[figure.index("<svg"):figure.index("</svg>") + 6])  # noqa: S314 — our page
    assert svg.find("title").text == "二维码：本件意见的查询链接"
    assert "用手机扫描二维码" in figure and "<script" not in answer.text
    assert "https://liaison.example.gov.cn/track/K7Q2-9XD4-PL3M" in answer.text


def test_with_an_issuer_forms_may_go_on_to_its_origin_and_still_no_script_runs(with_issuer):
    policy = with_issuer.get("/track").headers["content-security-policy"]
    assert "form-action 'self' http://127.0.0.1:9;" in policy
    assert policy == CSP.replace("form-action 'self'", "form-action 'self' http://127.0.0.1:9")
    assert "script-src" not in policy and "default-src 'none'" in policy
