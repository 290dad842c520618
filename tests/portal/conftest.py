"""The portal in a real browser: the four services on the demo data (tests/e2e/story_stack), the
portal as a process in front of them, and Debian's Chromium driven by Playwright (the system
browser at ``CHROMIUM``, default /usr/bin/chromium; Playwright downloads none)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys

import pytest
import pytest_asyncio
from liaison_tools.devstack import die_with_parent, free_port, stop_process, wait_until_answers

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


@pytest.fixture(scope="session")
def portal_port() -> int:
    """The portal's port, chosen before the services start: as under `make run`, every process knows
    every port, and members' check-in QR codes link to the portal's page (PORTAL_PORT)."""
    return free_port()


@pytest_asyncio.fixture(scope="session")
async def stack(platform, tmp_path_factory, portal_port):
    chromium()  # fail in one line before starting anything
    async with demo_stack(platform, tmp_path_factory.mktemp("portal-stack"),
                          service_env={"PORTAL_PORT": str(portal_port)}) as running:
        yield running


@contextlib.contextmanager
def running_portal(stack, log_dir, port: int | None = None, **settings: str):
    """The portal as ``make run`` starts it, on ``port`` (else a free one), in front of the stack's
    services; ``settings``: more of its environment (an OIDC issuer, say)."""
    port = port or free_port()
    log = log_dir / "portal.log"
    env = {**os.environ, "DEV_MODE": "true", "PORTAL_PORT": str(port), "LOG_FORMAT": "text",
           **{f"{name.upper()}_URL": stack.url(name) for name in stack.services}, **settings}
    with open(log, "ab") as out:
        process = subprocess.Popen([sys.executable, "-m", "portal"], env=env, stdout=out,
                                   stderr=subprocess.STDOUT, preexec_fn=die_with_parent())
    url = f"http://127.0.0.1:{port}"
    wait_until_answers(process, f"{url}/healthz", log, "portal")
    try:
        yield url
    finally:
        stop_process(process)


@pytest.fixture(scope="session")
def portal(stack, tmp_path_factory, portal_port) -> str:
    """The portal with the development sign-in, as ``make run`` starts it."""
    with running_portal(stack, tmp_path_factory.mktemp("portal-log"), portal_port) as url:
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
