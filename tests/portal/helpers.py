"""What the portal's browser tests share: the demo's places, signing in, reading the APIs."""

from __future__ import annotations

import httpx
from liaison_tools.testing import eventually

PINGLUO, HUANGQUQIAO = "640221000000", "640221100000"   # 平罗县, 黄渠桥镇
DONGFENG, HOUJIALIANG = "640221100201", "640221100202"  # 东风村, 侯家梁村
CITY = "640200000000"
PHONE_VIEWPORT = {"width": 360, "height": 740}

# every control a person fills in, and whether a label names it
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map(el => el.outerHTML)"""
WIDER_THAN_SCREEN = "() => document.documentElement.scrollWidth > window.innerWidth"


async def api(stack, method: str, service: str, path: str, token=None, body=None, status: int = 200):
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.request(method, f"{stack.url(service)}{path}", headers=token or {}, json=body)
    assert response.status_code == status, f"{method} {path}: {response.text}"
    return response.json()


async def case_by_content(stack, staff, content: str) -> dict:
    async def found():
        page = await api(stack, "GET", "feedback", "/api/v1/opinions?limit=500", staff)
        return next((c for c in page["items"] if c["content"] == content), None)
    return await eventually(found, timeout=30)


async def department_org(stack, department_id: str) -> str:
    admin = stack.token("admin", CITY)
    return (await api(stack, "GET", "members", f"/api/v1/departments/{department_id}", admin))["org_unit"]


async def sign_in(page, role_label: str, *, org: str | None = None, department: str | None = None,
                  member: str | None = None, sent_here: bool = False) -> None:
    """The development sign-in page, as a person fills it in; ``sent_here``: the page is open already,
    a page that needs sign-in having sent the person to it."""
    if not sent_here:
        await page.goto("/console/signin")
    await page.get_by_label("角色", exact=True).select_option(label=role_label)
    if org:
        await page.get_by_label("所在单位（工作人员、领导）").select_option(value=org)
    if department:
        await page.get_by_label("承办单位（承办单位角色）").select_option(value=department)
    if member:
        await page.get_by_label("委员（委员角色）").select_option(value=member)
    await page.get_by_role("button", name="登录").click()
    await page.wait_for_load_state()
