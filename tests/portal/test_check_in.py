"""扫码签到 end to end: staff of 平罗县 put today's activity's check-in QR code on a screen; a member
on a phone opens its link, signs in (the development sign-in), comes back to the check-in page with
the code and confirms — recorded; the same link again says it was recorded already; a tampered code
is invalid; the organiser's list shows who came. axe-core finds no serious violation on the pages."""

from __future__ import annotations

import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from liaison_shared.chinatime import today_in_china
from playwright.async_api import expect

from .helpers import CITY, HUANGQUQIAO, PHONE_VIEWPORT, PINGLUO, WIDER_THAN_SCREEN, api, sign_in
from .test_axe import AXE, RUN_AXE

pytestmark = pytest.mark.e2e


async def serious_violations(page) -> list[dict]:
    await page.add_script_tag(path=str(AXE))
    return [v for v in await page.evaluate(RUN_AXE) if v["impact"] in ("serious", "critical")]


def tampered(link: str) -> str:
    """The same link with one character of the code's signature changed."""
    code = parse_qs(urlsplit(link).query)["code"][0]
    head, payload, signature = code.split(".")
    middle = len(signature) // 2
    changed = signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1:]
    return link.replace(code, f"{head}.{payload}.{changed}")


async def test_a_member_checks_in_by_the_qr_code_on_the_organisers_screen(stack, browser, desk, portal):
    admin, staff = stack.token("admin", CITY), stack.token("staff", PINGLUO)
    members = (await api(stack, "GET", "members", "/api/v1/members?limit=500", admin))["items"]
    host, guest = [m for m in members if m["org_unit"] == PINGLUO and m["status"] == "active"][:2]
    title = f"黄渠桥镇农田灌溉渠系座谈会 {uuid.uuid4().hex[:4]}"
    await api(stack, "POST", "members", "/api/v1/activities", staff, {
        "type": "seminar", "title": title, "org_unit": HUANGQUQIAO,
        "occurred_on": today_in_china().isoformat(), "member_ids": [host["id"]]}, status=201)

    # the organiser: today's occasions, then the activity's screen
    screen = await desk.new_page()
    await sign_in(screen, "政协机关工作人员", org=PINGLUO)
    await screen.goto("/console/check-in-codes")
    await screen.get_by_role("link", name=title).click()
    await expect(screen.get_by_role("heading", level=1)).to_have_text(f"履职活动签到 · {title}")
    qr = screen.locator("figure.qr svg")
    await expect(qr).to_be_visible()
    assert (await qr.bounding_box())["width"] >= 500  # scannable across a room, not a stamp
    refresh = await screen.locator('meta[http-equiv="refresh"]').get_attribute("content")
    assert 5 <= int(refresh) <= 60
    await expect(screen.locator("#attendance")).to_have_text("已签到：0人")
    link = await screen.locator("#checkin-link").get_attribute("href")
    # members made the link from the portal's port: the QR code opens the portal's page
    assert link.startswith(f"{portal}/console/check-in?code="), link

    # the member, on a phone: the link, the sign-in, and back to the confirmation with the code
    phone = await browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN", bypass_csp=True)
    phone.set_default_timeout(15_000)
    try:
        page = await phone.new_page()
        await page.goto(link)
        await expect(page).to_have_url(re.compile(r"/console/signin\?next="))
        await sign_in(page, "政协委员", member=guest["id"], sent_here=True)
        await expect(page).to_have_url(link)
        await expect(page.get_by_role("heading", level=1)).to_have_text("扫码签到")
        assert not await page.evaluate(WIDER_THAN_SCREEN)
        assert not await serious_violations(page), "the confirmation page"
        await page.get_by_role("button", name="确认签到").click()
        await expect(page.get_by_role("status")).to_contain_text(f"签到成功：履职活动“{title}”")
        assert not await serious_violations(page), "the answer"

        answer = await page.goto(link)
        assert "script-src" not in answer.headers["content-security-policy"]  # no script allowed at all
        await page.get_by_role("button", name="确认签到").click()
        await expect(page.get_by_role("status")).to_contain_text("无需重复签到")

        await page.goto(tampered(link))
        await page.get_by_role("button", name="确认签到").click()
        await expect(page.get_by_role("alert")).to_contain_text("签到码无效")
        assert not await serious_violations(page), "a refusal"
    finally:
        await phone.close()

    # recorded once, for the member who came, and the organiser's screen shows it
    present = await api(stack, "GET", "members",
                        f"/api/v1/check-ins?occasion=activity&occasion_id={link_occasion(screen.url)}", staff)
    assert [p["member_id"] for p in present["items"]] == [guest["id"]]
    await screen.reload()
    await expect(screen.locator("#attendance")).to_have_text("已签到：1人")
    await expect(screen.get_by_role("cell", name=guest["name"])).to_be_visible()


def link_occasion(screen_url: str) -> str:
    return urlsplit(screen_url).path.rsplit("/", 1)[-1]
