"""The notify stack of these tests: members, feedback and notify, a local SMTP server."""

import asyncio
import contextlib
import uuid

import pytest_asyncio
import uvicorn
from liaison_tools.devstack import free_port
from liaison_tools.testing import eventually, running, smtp_sink, token_for

CITY, PINGLUO, HUANGQUQIAO, CHENGGUAN, DONGFENG = (
    "640200000000", "640221000000", "640221100000", "640221101000", "640221100201")
RECEIVERS = "127.0.0.2"


@contextlib.asynccontextmanager
async def served(app, port: int):
    """The same app on a real port too: notify calls feedback and members over HTTP for contacts."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started)
    try:
        yield
    finally:
        server.should_exit = True
        await task


@pytest_asyncio.fixture(scope="module")
async def notify_overrides():
    """Settings of notify alone that a test module changes (the SMS gateway, say)."""
    return {}


@pytest_asyncio.fixture(scope="module")
async def stack(platform, service_specs, db_pool, notify_overrides):
    with smtp_sink() as (mailbox, smtp_port):
        settings = platform.model_copy(update={"smtp_port": smtp_port, "public_rate_limit_per_minute": 10_000,
                                               "delivery_poll_interval_s": 0.2, "delivery_backoff_s": 0.2,
                                               "delivery_max_attempts": 3})
        tag = uuid.uuid4().hex[:6]
        feedback_port, members_port = free_port(), free_port()
        # webhook receivers of these tests listen on 127.0.0.2, a loopback address the operator
        # allows; every other internal address stays refused
        notify_settings = settings.model_copy(update={"feedback_url": f"http://127.0.0.1:{feedback_port}",
                                                      "members_url": f"http://127.0.0.1:{members_port}",
                                                      "webhook_allowlist": [RECEIVERS], **notify_overrides})
        async with running(service_specs["members"], settings) as members, \
                running(service_specs["feedback"], settings) as feedback, \
                served(feedback.app, feedback_port), served(members.app, members_port), \
                running(service_specs["notify"], notify_settings) as notify:
            admin = token_for(settings, "admin", CITY)
            for code, name in [(CITY, "石嘴山市"), (PINGLUO, "平罗县"), (HUANGQUQIAO, "黄渠桥镇"),
                               (CHENGGUAN, "城关镇"), (DONGFENG, "东风村")]:
                await members.post("/api/v1/org-units", headers=admin, json={"code": code, "name": name})
            await members.patch(f"/api/v1/org-units/{DONGFENG}", headers=admin,
                                json={"duty_contact": {"email": f"point-{tag}@dongfeng.example.cn"}})
            water = (await members.post("/api/v1/departments", headers=admin, json={
                "name": f"平罗县水务局({tag})", "org_unit": PINGLUO,
                "duty_contact": {"email": f"water-{tag}@pingluo.example.cn"}})).json()["id"]

            async def projected():
                in_notify = await db_pool.fetchval(
                    "SELECT (SELECT count(*) FROM notify.departments WHERE id = $1)"
                    " + (SELECT count(*) FROM notify.org_units WHERE code = $2 AND duty_email IS NOT NULL)",
                    water, DONGFENG)
                in_feedback = await db_pool.fetchval(
                    "SELECT count(*) FROM feedback.departments WHERE id = $1", water)
                return in_notify == 2 and in_feedback == 1

            await eventually(projected, timeout=30)
            yield {"settings": settings, "mailbox": mailbox, "members": members, "feedback": feedback,
                   "notify": notify, "water": water, "tag": tag}


async def submit(stack):
    response = await stack["feedback"].post("/api/v1/opinions", json={
        "content": "村口灌溉渠堵塞", "org_unit": DONGFENG, "channel": "reception_day", "category": "水利"})
    assert response.status_code == 201
    return response.json()


async def invited_member(stack, platform, *, name: str, sector: str, email: str, title: str, starts_at: str):
    """A member of Pingluo with a private e-mail, and a session at Dongfeng that invites it."""
    from liaison_shared.contracts.consultation import SessionScheduled
    from liaison_shared.events import Envelope

    admin = token_for(platform, "admin", CITY)
    sector = (await stack["members"].post("/api/v1/sectors", headers=admin, json={
        "org_unit": PINGLUO, "name": f"{sector}({stack['tag']})", "category": "professional"})).json()
    member = (await stack["members"].post("/api/v1/members", headers=admin, json={
        "name": name, "sector_id": sector["id"], "org_unit": PINGLUO, "email": email})).json()
    event = SessionScheduled(session_id=str(uuid.uuid4()), topic_id=str(uuid.uuid4()), org_unit=DONGFENG,
                             title=title, starts_at=starts_at, member_ids=[member["id"]])
    return member, event, Envelope.wrap(event, subject=event.session_id, org_unit=DONGFENG)
