"""The portal in a real browser: the four services on the demo data (tests/e2e/story_stack), the
portal as a process in front of them, and Debian's Chromium driven by Playwright (the system
browser at ``CHROMIUM``, default /usr/bin/chromium; Playwright downloads none)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time

import httpx
import pytest
import pytest_asyncio
from liaison_tools.devstack import die_with_parent, free_port, stop_process

from ..e2e.story_stack import demo_stack
from .helpers import PHONE_VIEWPORT

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = PHONE_VIEWPORT


def chromium() -> str:
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is missing: install it with `apt-get install -y chromium` (as root), "
                    "or set CHROMIUM to its path", pytrace=False)
    return CHROMIUM


@pytest_asyncio.fixture(scope="session")
async def stack(platform, tmp_path_factory):
    chromium()  # fail in one line before starting anything
    async with demo_stack(platform, tmp_path_factory.mktemp("portal-stack")) as running:
        yield running


@contextlib.contextmanager
def running_portal(stack, log_dir, **settings: str):
    """The portal as ``make run`` starts it, on a free port, in front of the stack's services;
    ``settings``: more of its environment (an OIDC issuer, say)."""
    port = free_port()
    log = log_dir / "portal.log"
    env = {**os.environ, "DEV_MODE": "true", "PORTAL_PORT": str(port), "LOG_FORMAT": "text",
           **{f"{name.upper()}_URL": stack.url(name) for name in stack.services}, **settings}
    with open(log, "ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "portal"], env=env, stdout=out,
                                   stderr=subprocess.STDOUT, preexec_fn=die_with_parent())
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"portal exited with {process.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        time.sleep(0.1)
    try:
        yield url
    finally:
        stop_process(process)


@pytest.fixture(scope="session")
def portal(stack, tmp_path_factory) -> str:
    """The portal with the development sign-in, as ``make run`` starts it."""
    with running_portal(stack, tmp_path_factory.mktemp("portal-log")) as url:
        yield url


@pytest_asyncio.fixture(scope="session")
async def browser():
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        launched = await driver.chromium.launch(executable_path=chromium(), args=LAUNCH_ARGS)
        yield launched
        await launched.close()


@pytest_asyncio.fixture
async def phone(browser, portal):
    """A fresh browser context on a 360 px wide screen (cookies of its own), at the portal."""
    context = await browser.new_context(viewport=PHONE, base_url=portal, locale="zh-CN")
    context.set_default_timeout(15_000)
    yield context
    await context.close()


@pytest_asyncio.fixture
async def desk(browser, portal):
    """A desktop context for staff, departments and members."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, base_url=portal, locale="zh-CN")
    context.set_default_timeout(15_000)
    yield context
    await context.close()
