"""Accessibility smoke: every form control on the citizen pages and the console has a label."""

from __future__ import annotations

import pytest

from .helpers import DONGFENG, HUANGQUQIAO, UNLABELLED, api, sign_in

pytestmark = pytest.mark.e2e


async def test_every_form_control_has_a_label(stack, desk):
    created = await api(stack, "POST", "feedback", "/api/v1/opinions", None,
                        {"content": "东风村卫生室缺少常用药。", "org_unit": DONGFENG, "channel": "online"},
                        status=201)
    page = await desk.new_page()
    pages = ["/", f"/places/{HUANGQUQIAO}", f"/v/{DONGFENG}", f"/v/{DONGFENG}/say", "/track",
             f"/r/{created['tracking_code']}?kept=0", f"/track/{created['tracking_code']}", "/console/signin"]
    missing = {}
    for path in pages:
        await page.goto(path)
        if found := await page.evaluate(UNLABELLED):
            missing[path] = found
    await sign_in(page, "政协机关工作人员", org=DONGFENG)
    for path in ["/console/inbox", "/console/work", f"/console/cases/{created['id']}"]:
        await page.goto(path)
        if found := await page.evaluate(UNLABELLED):
            missing[path] = found
    assert not missing, missing
