"""No call leaves notify while a database transaction is open (issue 16): the fan-out asks no
other service for an address, a delivery is claimed and committed before it is sent, and every
adapter that leaves the process refuses to run inside a transaction."""

import asyncio
import uuid

import asyncpg
import pytest
from liaison_shared import db
from liaison_shared.uow import NetworkCallInTransaction, UnitOfWork
from liaison_tools.devstack import free_port
from liaison_tools.testing import eventually, token_for
from notify.adapters import platform as services
from notify.adapters.sms import DevelopmentGateway
from notify.adapters.smtp import Mailer
from notify.handlers.notifications import notify as fan_out

from .conftest import CITY, DONGFENG, invited_member
from .test_webhooks import receiving, subscribe

pytestmark = pytest.mark.integration


async def test_every_adapter_that_leaves_the_process_refuses_an_open_transaction(stack):
    settings = stack["settings"]
    pool = await db.create_pool(settings, "notify")
    try:
        calls = {
            "smtp": lambda: Mailer(settings).send("n-1", "a@example.cn", "s", "b"),
            "sms": lambda: DevelopmentGateway().send(pool, phone="13900000000", text="t", idempotency_key="k"),
            "members": lambda: services.member_contact(settings, "m-1"),
            "feedback": lambda: services.submitter_contact(settings, str(uuid.uuid4())),
        }
        for name, call in calls.items():
            async with UnitOfWork(pool, schema="notify") as uow:
                with pytest.raises(NetworkCallInTransaction):
                    await call()
                assert await uow.conn.fetchval("SELECT 1") == 1, name  # the transaction itself is fine
    finally:
        await pool.close()


async def test_the_fan_out_writes_every_notification_while_members_is_unreachable(stack, platform, db_pool):
    """Before: an invited member's address was asked of members inside the consumer's transaction,
    so with members down the whole event failed — every inbox item with it."""
    member, event, envelope = await invited_member(stack, platform, name="马玉兰", sector="教育界",
                                                   email=f"myl-{stack['tag']}@example.cn", title="东风村养老服务议事会",
                                                   starts_at="2026-12-21T09:00:00+08:00")
    nowhere = stack["settings"].model_copy(update={"members_url": f"http://127.0.0.1:{free_port()}"})
    pool = await db.create_pool(nowhere, "notify")
    try:
        async with UnitOfWork(pool, schema="notify", settings=nowhere) as uow:
            await fan_out(uow, envelope, event)
    finally:
        await pool.close()
    rows = await db_pool.fetch(
        "SELECT channel, status, address FROM notify.notifications WHERE event_id = $1 AND recipient_id = $2"
        " ORDER BY channel", envelope.id, member["id"])
    assert [(r["channel"], r["status"]) for r in rows] == [("email", "pending"), ("inbox", "sent")]
    assert rows[0]["address"] is None  # asked of members when sent, and not kept
    # the running worker asks members (reachable again) and sends it
    await eventually(lambda: [m for m in stack["mailbox"].messages if f"myl-{stack['tag']}@example.cn" in m["to"]],
                     timeout=30)


async def test_a_delivery_in_flight_holds_no_lock_and_is_claimed(stack, platform, db_pool):
    """Before: the worker held FOR UPDATE on its whole batch across SMTP, webhooks and SMS."""
    async with receiving("127.0.0.2") as slow:
        answered = asyncio.Event()
        inner = type(slow).__call__

        async def hold_then_answer(self, scope, receive, send):
            await asyncio.sleep(4)
            await inner(self, scope, receive, send)
            answered.set()
        type(slow).__call__ = hold_then_answer
        try:
            subscription = await subscribe(stack, platform, slow, ["cppcc.feedback.opinion.submitted"])
            case = (await stack["feedback"].post("/api/v1/opinions", json={
                "content": "路灯不亮", "org_unit": DONGFENG, "channel": "online", "category": "市政"})).json()

            async def in_flight():
                return await db_pool.fetchrow(
                    "SELECT id, claimed_until > now() AS claimed, status FROM notify.notifications"
                    " WHERE channel = 'webhook' AND recipient_id = $1 AND body LIKE '%' || $2 || '%'"
                    " AND claimed_until IS NOT NULL", subscription["id"], case["id"])
            row = await eventually(in_flight, timeout=30)
            assert row["claimed"] and row["status"] == "pending" and not answered.is_set()
            async with db_pool.acquire() as conn, conn.transaction():
                try:
                    await conn.execute("SELECT 1 FROM notify.notifications WHERE id = $1 FOR UPDATE NOWAIT", row["id"])
                except asyncpg.LockNotAvailableError:
                    pytest.fail("the row of a delivery being sent is locked")
            await eventually(lambda: db_pool.fetchval(
                "SELECT status = 'sent' AND claimed_until IS NULL FROM notify.notifications WHERE id = $1", row["id"]),
                timeout=30)
            await stack["notify"].delete(f"/api/v1/subscriptions/{subscription['id']}",
                                         headers=token_for(platform, "admin", CITY))
        finally:
            type(slow).__call__ = inner
