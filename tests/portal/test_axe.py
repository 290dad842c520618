"""Accessibility: axe-core (vendored, tests/portal/vendor) finds no serious or critical violation
on the citizen pages, at a phone's width."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import DONGFENG, HUANGQUQIAO, PHONE_VIEWPORT, PINGLUO, api

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# WCAG 2.1 A and AA, what the issue promises (labels, contrast, focus, keyboard)
RUN_AXE = """async () => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


async def test_no_serious_accessibility_violation_on_the_citizen_pages(stack, browser, portal):
    created = await api(stack, "POST", "feedback", "/api/v1/opinions", None,
                        {"content": "东风村小学门口缺少减速带，上下学车辆很快。", "org_unit": DONGFENG,
                         "channel": "online"}, status=201)
    code = created["tracking_code"]
    # the pages allow no script (CSP): this context alone lets the injected axe run
    context = await browser.new_context(viewport=PHONE_VIEWPORT, base_url=portal, locale="zh-CN", bypass_csp=True)
    page = await context.new_page()
    found = {}
    try:
        for path in ["/", f"/places/{PINGLUO}", f"/places/{HUANGQUQIAO}", f"/v/{DONGFENG}", f"/v/{DONGFENG}/say",
                     "/track", f"/r/{code}?kept=0", f"/track/{code}", "/track/NO-SUCH-CODE"]:
            await page.goto(path)
            await page.add_script_tag(path=str(AXE))
            serious = [v for v in await page.evaluate(RUN_AXE) if v["impact"] in ("serious", "critical")]
            if serious:
                found[path] = serious
        # the say form with its errors shown (alerts next to the fields)
        await page.goto(f"/v/{DONGFENG}/say")
        await page.get_by_role("button", name="提交").click()
        await page.add_script_tag(path=str(AXE))
        if serious := [v for v in await page.evaluate(RUN_AXE) if v["impact"] in ("serious", "critical")]:
            found["say with errors"] = serious
    finally:
        await context.close()
    assert not found, found
