"""The README's screenshots, taken on the demo data: `PORTAL_SCREENSHOTS=docs/portal make test
PYTEST_ARGS=tests/portal/test_screenshots.py` (skipped otherwise)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .helpers import DONGFENG, api, sign_in

pytestmark = pytest.mark.e2e
WHERE = os.environ.get("PORTAL_SCREENSHOTS")


@pytest.mark.skipif(not WHERE, reason="PORTAL_SCREENSHOTS names the directory to write to")
async def test_screenshots_of_the_citizen_pages_and_the_work_queue(stack, phone, desk):
    out = Path(WHERE)
    os.makedirs(out, exist_ok=True)
    created = await api(stack, "POST", "feedback", "/api/v1/opinions", None,
                        {"content": "东风村村口灌溉渠堵塞，春灌时水过不来。", "org_unit": DONGFENG,
                         "channel": "online", "category": "水利"}, status=201)
    page = await phone.new_page()
    for name, path in [("village", f"/v/{DONGFENG}"), ("say", f"/v/{DONGFENG}/say"),
                       ("receipt", f"/r/{created['tracking_code']}?kept=0"), ("track", f"/track/{created['tracking_code']}")]:
        await page.goto(path)
        await page.screenshot(path=out / f"{name}.png", full_page=True)
    console = await desk.new_page()
    await sign_in(console, "政协机关工作人员", org=DONGFENG)
    await console.goto("/console/work")
    await console.screenshot(path=out / "work-queue.png", full_page=True)
