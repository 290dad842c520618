"""Webhooks: signed CloudEvents to other government systems, retried, failed, redriven."""

import asyncio
import hashlib
import hmac
import json

import pytest
import pytest_asyncio
import uvicorn
from liaison_shared.devstack import free_port
from liaison_shared.testing import eventually, token_for

from .conftest import CITY, DONGFENG, HUANGQUQIAO, submit

pytestmark = pytest.mark.integration


class Receiver:
    """An ASGI app that records what it gets and answers what it is told."""

    def __init__(self):
        self.received, self.status = [], 200

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.received.append({"headers": {k.decode(): v.decode() for k, v in scope["headers"]}, "body": body,
                              "status": self.status})
        await send({"type": "http.response.start", "status": self.status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest_asyncio.fixture(scope="module")
async def receiver():
    app = Receiver()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started)
    app.url = f"http://127.0.0.1:{port}/events"
    yield app
    server.should_exit = True
    await task


async def subscribe(stack, platform, receiver, types):
    admin = token_for(platform, "admin", CITY)
    created = await stack["notify"].post("/api/v1/subscriptions", headers=admin, json={
        "name": "12345热线", "url": receiver.url, "event_types": types, "org_unit": HUANGQUQIAO})
    assert created.status_code == 201, created.text
    return created.json()


async def test_a_subscriber_gets_a_correctly_signed_cloudevent(stack, platform, receiver):
    subscription = await subscribe(stack, platform, receiver, ["cppcc.feedback.opinion.submitted"])
    case = await submit(stack)
    got = await eventually(lambda: [r for r in receiver.received if case["id"].encode() in r["body"]], timeout=30)
    request = got[0]
    event = json.loads(request["body"])
    assert event["specversion"] == "1.0" and event["type"] == "cppcc.feedback.opinion.submitted.v1"
    assert event["data"]["opinion_id"] == case["id"] and event["orgunit"] == DONGFENG
    timestamp = request["headers"]["x-liaison-timestamp"]
    expected = hmac.new(subscription["secret"].encode(), timestamp.encode() + b"." + request["body"],
                        hashlib.sha256).hexdigest()
    assert request["headers"]["x-liaison-signature"] == f"sha256={expected}"
    assert request["headers"]["content-type"].startswith("application/cloudevents+json")
    await stack["notify"].delete(f"/api/v1/subscriptions/{subscription['id']}",
                                 headers=token_for(platform, "admin", CITY))


async def test_a_failing_receiver_is_retried_then_failed_and_a_redrive_delivers(stack, platform, receiver, db_pool):
    subscription = await subscribe(stack, platform, receiver, ["cppcc.feedback.opinion.submitted"])
    receiver.status = 503
    try:
        case = await submit(stack)

        async def failed():
            return await db_pool.fetchrow(
                "SELECT id::text AS id, attempts, status FROM notify.notifications"
                " WHERE channel = 'webhook' AND recipient_id = $1 AND body LIKE '%' || $2 || '%' AND status = 'failed'",
                subscription["id"], case["id"])

        row = await eventually(failed, timeout=60)
        assert row["attempts"] == stack["settings"].delivery_max_attempts
        attempts = [r for r in receiver.received if case["id"].encode() in r["body"]]
        assert len(attempts) == row["attempts"]
    finally:
        receiver.status = 200
    staff = token_for(platform, "staff", HUANGQUQIAO)
    assert (await stack["notify"].post(f"/api/v1/deliveries/{row['id']}/redrive", headers=staff)).status_code == 204
    await eventually(lambda: db_pool.fetchval("SELECT status = 'sent' FROM notify.notifications WHERE id = $1::uuid",
                                              row["id"]), timeout=30)
    delivered = [r for r in receiver.received if case["id"].encode() in r["body"] and r["status"] == 200]
    assert len(delivered) == 1
    sibling = token_for(platform, "staff", "640221100202")
    assert (await stack["notify"].post(f"/api/v1/deliveries/{row['id']}/redrive", headers=sibling)).status_code == 404
