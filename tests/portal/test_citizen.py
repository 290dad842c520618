"""A villager on a phone (360 px): finds the village, says something with consent, gets a code,
tracks it, and — once staff and the departments have acted — reads the answer and rates it."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from .helpers import DONGFENG, WIDER_THAN_SCREEN, api, case_by_content, department_org

pytestmark = pytest.mark.e2e

CONTENT = "东风村村口灌溉渠堵塞，春灌时水过不来，请尽快清淤。"
ANSWER = "已安排黄渠桥镇水利站本周内清淤，县水务局派员督导。"


async def test_a_villager_on_a_phone_says_something_tracks_it_and_rates_the_answer(stack, phone):
    page = await phone.new_page()
    await page.goto("/")
    await page.get_by_role("link", name="平罗县").click()
    await page.get_by_role("link", name="黄渠桥镇").click()
    await page.get_by_role("link", name="东风村").click()
    await expect(page).to_have_url(re.compile(f"/v/{DONGFENG}$"))
    await expect(page.get_by_role("heading", name="亮身份：联系本村的政协委员")).to_be_visible()
    assert not await page.evaluate(WIDER_THAN_SCREEN), "the village page is wider than a 360 px screen"

    await page.get_by_role("link", name="反映意见").click()
    await page.get_by_label("问题类别").select_option(label="水利")
    await page.get_by_label("您想反映的问题（必填）").fill(CONTENT)
    await page.get_by_label("姓名", exact=True).fill("马某某")
    await page.get_by_label("手机号码", exact=True).fill("13995200101")
    # a name without consent is refused next to the consent box, nothing is sent
    await page.get_by_role("button", name="提交").click()
    await expect(page.locator("#err-consent")).to_contain_text("需要先勾选同意")
    await expect(page.locator("#consent-text")).to_contain_text("个人信息保护法")
    await page.get_by_label(re.compile("我已阅读上述告知")).check()
    await page.get_by_role("button", name="提交").click()

    await expect(page.get_by_role("heading", name="已收到您的意见")).to_be_visible()
    await expect(page.get_by_text("您的姓名和电话已按您的同意保存")).to_be_visible()
    code = (await page.locator("#tracking-code").inner_text()).strip()
    assert not await page.evaluate(WIDER_THAN_SCREEN)

    await page.get_by_role("navigation").get_by_role("link", name="查询进度").click()
    await page.get_by_label("查询码").fill(code)
    await page.get_by_role("button", name="查询").click()
    await expect(page.locator("#status")).to_have_text("已受理，正在分办")
    await expect(page.get_by_text("暂无答复")).to_be_visible()

    # a wrong code says so, in words
    await page.goto("/track/NO-SUCH-CODE")
    await expect(page.get_by_role("alert")).to_have_text("没有找到这个查询码，请核对后再试。")

    # the village's staff assign from the dispatch proposal; every department replies (through the API)
    staff = stack.token("staff", DONGFENG)
    case = await case_by_content(stack, staff, CONTENT)
    proposal = await api(stack, "GET", "feedback", f"/api/v1/opinions/{case['id']}/dispatch-proposal", staff)
    departments = [proposal["lead_department"], *proposal["co_departments"]]
    await api(stack, "POST", "feedback", f"/api/v1/opinions/{case['id']}/actions", staff,
              {"action": "assign", "department_ids": departments})
    for department in departments:
        token = stack.token("department", await department_org(stack, department), dept=department)
        await api(stack, "POST", "feedback", f"/api/v1/opinions/{case['id']}/actions", token,
                  {"action": "reply", "text": ANSWER})

    await page.goto(f"/track/{code}")
    await expect(page.locator("#status")).to_have_text("已答复，请评价")
    await expect(page.locator(".answer").first).to_contain_text(ANSWER)
    await page.get_by_label("满意", exact=True).check()
    await page.get_by_label("您的意见（可不填）").fill("清得很干净，谢谢。")
    await page.get_by_role("button", name="提交评价").click()
    await expect(page.get_by_role("status")).to_have_text("感谢您的评价。")
    await expect(page.locator("#rating")).to_have_text("满意")
    await expect(page.get_by_role("button", name="提交评价")).to_have_count(0)
    assert not await page.evaluate(WIDER_THAN_SCREEN)
