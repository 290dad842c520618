"""`make run` keeps what the platform sends: e-mail in a development mail sink, SMS in the
development gateway — and `liaison mail` reads both."""

import asyncio
import os
import subprocess
import sys
import time
import uuid

import httpx
import pytest
from liaison_shared import db
from liaison_shared.settings import SERVICES, Settings
from liaison_tools.devstack import free_port
from liaison_tools.launcher import Launcher

pytestmark = pytest.mark.e2e

DONGFENG = "640221100201"


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    ports = {f"{name.upper()}_PORT": str(free_port()) for name in SERVICES}
    ports["BROKER_PORT"] = str(free_port())
    ports["EMBEDDED_POSTGRES_PORT"] = str(free_port())
    settings = Settings(**{k.lower(): v for k, v in ports.items()})
    home = tmp_path_factory.mktemp("liaison-home")
    launcher = Launcher(settings, external_kafka=False, external_database=False, home=home,
                        extra_env=ports, echo=lambda text: None)
    with pytest.MonkeyPatch.context() as patch:  # as from a shell without SMTP_HOST: the sink starts
        for name in [n for n in os.environ if n.startswith("SMTP_")]:
            patch.delenv(name)
        launcher.start()
    yield launcher, settings, home
    launcher.stop()


def liaison(launcher, home, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "liaison_shared.cli", "mail", *args], capture_output=True,
                          text=True, timeout=60, env={**launcher.env, "LIAISON_HOME": str(home)})


def test_a_notification_email_lands_in_the_sink_and_liaison_mail_lists_and_shows_it(stack):
    launcher, settings, home = stack
    assert launcher.env["SMTP_HOST"] == "127.0.0.1" and launcher.env["SMTP_PORT"] != "25"
    deadline = time.monotonic() + 60
    while True:  # the demo's org units reach feedback by events, a moment after the start
        submitted = httpx.post(f"{settings.base_url_of('feedback')}/api/v1/opinions", json={
            "content": "村口灌溉渠堵塞", "org_unit": DONGFENG, "channel": "reception_day", "category": "水利"})
        if submitted.status_code != 422 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert submitted.status_code == 201, submitted.text

    deadline = time.monotonic() + 60
    while not list((home / "mail").glob("*.eml")) and time.monotonic() < deadline:
        time.sleep(0.5)
    listed = liaison(launcher, home)
    assert listed.returncode == 0, listed.stderr
    line = next(line for line in listed.stdout.splitlines() if "新的群众意见" in line)
    assert f"@{DONGFENG}.example.cn" in line  # the village's duty mailbox
    shown = liaison(launcher, home, "1")
    assert shown.returncode == 0 and "东风村" in shown.stdout and "委员接待日" in shown.stdout
    assert liaison(launcher, home, "no-such-message").returncode == 1
    # and nothing failed on port 25
    failed = httpx.get(f"{settings.base_url_of('notify')}/api/v1/deliveries?status=failed&channel=email",
                       headers=_staff(settings)).json()
    assert failed["total"] == 0, failed


def test_liaison_mail_sms_reads_what_the_development_gateway_recorded(stack):
    from notify.adapters.sms import DevelopmentGateway

    launcher, settings, home = stack
    key = str(uuid.uuid4())

    async def record():
        conn = await db.connect(Settings(database_url=launcher.env["DATABASE_URL"]), "notify")
        try:
            await DevelopmentGateway().send(conn, phone="13900003333", text="您反映的问题已有答复", idempotency_key=key)
        finally:
            await conn.close()

    asyncio.run(record())
    listed = liaison(launcher, home, "--sms")
    assert listed.returncode == 0, listed.stderr
    assert any(key in line and "13900003333" in line for line in listed.stdout.splitlines())
    shown = liaison(launcher, home, "--sms", key)
    assert shown.returncode == 0 and "您反映的问题已有答复" in shown.stdout


def _staff(settings):
    from liaison_tools.testing import token_for

    return token_for(settings, "staff", DONGFENG)
