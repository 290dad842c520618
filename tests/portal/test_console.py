"""Staff sign in, open the inbox item of a new opinion and assign it from the dispatch proposal;
each department signs in and replies; the villager's page shows the answer. A member logs an
activity and sees the score change."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from .helpers import CITY, HOUJIALIANG, api, case_by_content, sign_in

pytestmark = pytest.mark.e2e

CONTENT = "侯家梁村到乡道的路口积水严重，雨天孩子上学要蹚水。"
REPLY = "镇政府已安排本月内加装排水管，县住建局负责技术指导。"


async def test_staff_assign_from_the_proposal_and_the_departments_reply_in_the_console(stack, desk, browser, portal):
    created = await api(stack, "POST", "feedback", "/api/v1/opinions", None,
                        {"content": CONTENT, "org_unit": HOUJIALIANG, "channel": "online", "category": "水利"},
                        status=201)
    staff_page = await desk.new_page()
    await sign_in(staff_page, "政协机关工作人员", org=HOUJIALIANG)
    await expect(staff_page.get_by_role("heading", name=re.compile("待办消息"))).to_be_visible()
    item = staff_page.locator(".card", has_text="新的群众意见").first
    for _ in range(60):  # notify hears of the opinion through the broker
        if await item.count():
            break
        await staff_page.wait_for_timeout(500)
        await staff_page.reload()
    await expect(staff_page.locator("#unread")).not_to_have_text("0条未读")
    await item.get_by_role("button", name="打开办理").click()
    await expect(staff_page.locator("#content")).to_have_text(CONTENT)
    await expect(staff_page.locator("#proposal")).to_contain_text("派单目录建议")
    # only what the state allows: a new case can be assigned, not replied to
    await expect(staff_page.get_by_role("button", name="答复", exact=True)).to_have_count(0)
    await staff_page.get_by_role("button", name="交办", exact=True).click()
    await expect(staff_page.get_by_role("status")).to_have_text("已完成：交办")
    await expect(staff_page.locator("#status")).to_have_text("已交有关部门办理")

    staff = stack.token("staff", HOUJIALIANG)
    case = await case_by_content(stack, staff, CONTENT)
    detail = await api(stack, "GET", "feedback", f"/api/v1/opinions/{case['id']}", staff)
    for assignment in detail["assignments"]:
        context = await browser.new_context(base_url=portal, locale="zh-CN")
        page = await context.new_page()
        await sign_in(page, "承办单位", department=assignment["department_id"])
        await page.goto("/console/work")
        await page.get_by_role("link", name=CONTENT[:40]).click()
        # an empty reply is refused next to its field
        await page.get_by_role("button", name="答复", exact=True).click()
        await expect(page.locator("#err-reply-text")).to_have_text("此项必填。")
        await page.get_by_label("答复内容").fill(REPLY)
        await page.get_by_role("button", name="答复", exact=True).click()
        await expect(page.get_by_role("status")).to_have_text("已完成：答复")
        await context.close()

    citizen = await desk.new_page()
    await citizen.goto(f"/track/{created['tracking_code']}")
    await expect(citizen.locator("#status")).to_have_text("已答复，请评价")
    await expect(citizen.locator(".answer").first).to_contain_text(REPLY)


async def test_a_member_logs_an_activity_and_sees_the_score_change(stack, desk):
    admin = stack.token("admin", CITY)
    members = (await api(stack, "GET", "members", "/api/v1/members?limit=500", admin))["items"]
    member = next(m for m in members if m["contact_points"])
    page = await desk.new_page()
    await sign_in(page, "政协委员", member=member["id"])
    await expect(page.get_by_role("heading", name=re.compile("委员履职"))).to_be_visible()
    before = float(await page.locator("#score-total").inner_text())
    await page.get_by_label("活动类型").select_option(label="调研视察")
    await page.get_by_label("活动名称").fill("调研黄渠桥镇农田灌溉渠系")
    await page.get_by_label("联系群众人数").fill("12")
    await page.get_by_role("button", name="提交").click()
    await expect(page.get_by_role("status")).to_have_text("履职活动已记录。")
    after = float(await page.locator("#score-total").inner_text())
    assert after > before, (before, after)
    await expect(page.get_by_text("调研黄渠桥镇农田灌溉渠系")).to_be_visible()
