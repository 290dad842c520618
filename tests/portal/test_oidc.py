"""Staff sign in at a real OIDC provider — oidc-provider-mock, an authlib provider run as its own
process — by the authorization-code flow with PKCE, state and nonce; the four services trust that
issuer's keys (AUTH_JWKS_URL) and nothing else, so the inbox and the case they show were read with the
token the portal forwarded. A forged state, a forged nonce, a tampered code, a callback replayed in
another browser and a person without a role at the platform are refused, and nothing is signed in."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
import pytest_asyncio
from liaison_tools.devstack import die_with_parent, free_port, stop_process, wait_until_answers
from playwright.async_api import expect

from ..e2e.story_stack import demo_stack
from .conftest import chromium, running_portal
from .helpers import DONGFENG, api

pytestmark = pytest.mark.e2e

# the ID token's audience is the client: the portal's client id is the services' AUTH_AUDIENCE
CLIENT_ID = "cppcc-liaison"
STAFF = {"sub": "wang.fang@dongfeng", "name": "王芳", "role": "staff", "org": DONGFENG}
NO_ROLE = {"sub": "li.si@visitor", "name": "李四"}
CONTENT = "东风村村委会门前路灯坏了三盏，晚上接孩子看不清路。"


@pytest.fixture(scope="module")
def issuer(tmp_path_factory) -> str:
    """The provider, requiring a nonce, with a member of staff of 东风村 and a person of no unit."""
    port = free_port()
    log = tmp_path_factory.mktemp("oidc-provider") / "provider.log"
    users = [arg for user in (STAFF, NO_ROLE) for arg in ("--user-claims", json.dumps(user, ensure_ascii=False))]
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--host", "127.0.0.1", "--port", str(port), *users,
             "--require-nonce"], stdout=out, stderr=subprocess.STDOUT, preexec_fn=die_with_parent())
    url = f"http://127.0.0.1:{port}"
    wait_until_answers(process, f"{url}/.well-known/openid-configuration", log, "the OIDC provider")
    try:
        yield url
    finally:
        stop_process(process)


@pytest_asyncio.fixture(scope="module")
async def trusting(platform, issuer, tmp_path_factory):
    """The four services on the demo data, verifying tokens against the provider's keys only."""
    chromium()
    async with demo_stack(platform, tmp_path_factory.mktemp("oidc-stack"), service_env={
            "AUTH_JWKS_URL": f"{issuer}/jwks", "AUTH_ISSUER": issuer, "AUTH_AUDIENCE": CLIENT_ID}) as running:
        yield running


@pytest.fixture(scope="module")
def signin_portal(trusting, issuer, tmp_path_factory) -> str:
    # the provider's access tokens are opaque: the portal forwards the ID token, which it verified
    with running_portal(trusting, tmp_path_factory.mktemp("oidc-portal"), PORTAL_OIDC_ISSUER=issuer,
                        AUTH_ISSUER=issuer, AUTH_AUDIENCE=CLIENT_ID, PORTAL_OIDC_CLIENT_ID=CLIENT_ID,
                        PORTAL_OIDC_CLIENT_SECRET=secrets.token_urlsafe(24),
                        PORTAL_OIDC_FORWARD_TOKEN="id_token") as url:
        yield url


@pytest_asyncio.fixture
async def office(browser, signin_portal):
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, base_url=signin_portal,
                                        locale="zh-CN")
    context.set_default_timeout(15_000)
    yield context
    await context.close()


def with_param(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    return urlunsplit(parts._replace(query=urlencode({**query, **params})))


async def signed_in(context) -> bool:
    return "portal_session" in {cookie["name"] for cookie in await context.cookies()}


async def at_the_issuer(page, issuer: str) -> dict[str, str]:
    """Open the console; the browser ends on the issuer's sign-in page. What the portal asked for."""
    await page.goto("/console/signin")
    assert page.url.startswith(f"{issuer}/oauth2/authorize"), page.url
    return {name: values[0] for name, values in parse_qs(urlsplit(page.url).query).items()}


async def test_staff_sign_in_at_the_issuer_and_the_services_accept_the_forwarded_token(trusting, office, issuer):
    await api(trusting, "POST", "feedback", "/api/v1/opinions", None,
              {"content": CONTENT, "org_unit": DONGFENG, "channel": "online"}, status=201)
    page = await office.new_page()
    await page.goto("/console/inbox")  # not signed in: to the issuer
    assert page.url.startswith(f"{issuer}/oauth2/authorize"), page.url
    asked = {name: values[0] for name, values in parse_qs(urlsplit(page.url).query).items()}
    assert asked["response_type"] == "code" and asked["client_id"] == CLIENT_ID
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert len(asked["state"]) >= 20 and len(asked["nonce"]) >= 20
    assert "openid" in asked["scope"].split()

    await page.get_by_role("button", name=STAFF["sub"]).click()
    await expect(page.get_by_role("heading", name=re.compile("待办消息"))).to_be_visible()
    await expect(page.locator(".who")).to_contain_text("王芳（政协机关工作人员）")
    cookies = {cookie["name"]: cookie for cookie in await office.cookies()}
    assert cookies["portal_session"]["httpOnly"] and cookies["portal_session"]["sameSite"] == "Lax"
    assert "portal_signin" not in cookies  # the flow is answered once

    # notify accepted the token: the opinion's inbox item, heard through the broker
    item = page.locator(".card", has_text="新的群众意见").first
    for _ in range(60):
        if await item.count():
            break
        await page.wait_for_timeout(500)
        await page.reload()
    await item.get_by_role("button", name="打开办理").click()
    await expect(page.locator("#content")).to_have_text(CONTENT)  # and feedback did
    # the services trust the issuer only: a development token is no longer good there
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.get(f"{trusting.url('notify')}/api/v1/inbox", headers=trusting.token("staff", DONGFENG))
    assert answer.status_code == 401

    await page.get_by_role("button", name="退出").click()
    assert page.url.startswith(f"{issuer}/oauth2/end_session"), page.url  # the issuer's session ends too
    assert not await signed_in(office)
    await page.goto("/console/inbox")
    assert page.url.startswith(f"{issuer}/oauth2/authorize"), page.url


async def test_a_callback_with_another_state_is_refused(office, issuer):
    page = await office.new_page()
    await at_the_issuer(page, issuer)
    await page.goto(with_param(page.url, state=secrets.token_urlsafe(24)))
    await page.get_by_role("button", name=STAFF["sub"]).click()
    await expect(page.get_by_role("alert")).to_have_text("登录回调与本次登录不符，已拒绝，请重新登录。")
    assert not await signed_in(office)


async def test_an_id_token_with_another_nonce_is_refused(office, issuer):
    page = await office.new_page()
    await at_the_issuer(page, issuer)
    # the provider puts the nonce it was sent into the ID token: not the one this sign-in remembered
    await page.goto(with_param(page.url, nonce=secrets.token_urlsafe(20)))
    await page.get_by_role("button", name=STAFF["sub"]).click()
    await expect(page.get_by_role("alert")).to_have_text("统一身份认证的答复没有通过核验，已拒绝，请重新登录。")
    assert not await signed_in(office)


async def test_a_tampered_code_is_refused_and_the_real_callback_replayed_elsewhere_too(office, browser, issuer,
                                                                                         signin_portal):
    page = await office.new_page()
    await at_the_issuer(page, issuer)
    genuine: list[str] = []

    async def tamper(route):
        # the provider's answer to the sign-in, its redirect to the portal changed on the way
        if route.request.method != "POST":
            await route.continue_()
            return
        answer = await route.fetch(max_redirects=0)
        genuine.append(answer.headers["location"])
        await route.fulfill(status=302, headers={"location": with_param(genuine[0], code="forged-code")})

    await page.route(f"{issuer}/oauth2/authorize**", tamper)
    await page.get_by_role("button", name=STAFF["sub"]).click()
    await expect(page.get_by_role("alert")).to_have_text("统一身份认证的答复没有通过核验，已拒绝，请重新登录。")
    assert not await signed_in(office)

    # the genuine answer (its code still unused at the provider), opened in someone else's browser
    elsewhere = await browser.new_context(base_url=signin_portal, locale="zh-CN")
    try:
        stranger = await elsewhere.new_page()
        await stranger.goto(genuine[0])
        await expect(stranger.get_by_role("alert")).to_have_text("登录已过期，或不是从本站发起的，请重新登录。")
        assert not await signed_in(elsewhere)
    finally:
        await elsewhere.close()
    # and again where it began: that sign-in was answered already
    await page.goto(genuine[0])
    await expect(page.get_by_role("alert")).to_have_text("登录已过期，或不是从本站发起的，请重新登录。")
    assert not await signed_in(office)


async def test_a_person_without_a_role_at_the_platform_is_refused(office, issuer):
    page = await office.new_page()
    await at_the_issuer(page, issuer)
    await page.get_by_role("button", name=NO_ROLE["sub"]).click()
    await expect(page.get_by_role("alert")).to_have_text("您的账号在本平台没有角色或所在单位，请联系管理员。")
    assert not await signed_in(office)


async def test_signed_in_from_the_internet_without_a_page_to_return_to_the_start_page_opens(browser, signin_portal,
                                                                                             issuer):
    # the gateway marks what it sends the portal (portal.web.EDGE_HEADER); it publishes no console
    # page but the check-in, so a sign-in with nowhere to go back to ends on the start page, not a 404
    context = await browser.new_context(base_url=signin_portal, locale="zh-CN",
                                        extra_http_headers={"X-Liaison-Edge": "internet"})
    context.set_default_timeout(15_000)
    try:
        page = await context.new_page()
        await at_the_issuer(page, issuer)
        await page.get_by_role("button", name=STAFF["sub"]).click()
        await page.wait_for_url(f"{signin_portal}/")
        assert await signed_in(context)
        links = await page.locator("header nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
        assert not [link for link in links if link.startswith("/console")], links
    finally:
        await context.close()
