"""Webhooks: signed CloudEvents to other government systems, retried, failed, redriven."""

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import uuid

import pytest
import pytest_asyncio
import uvicorn
from liaison_tools.devstack import free_port
from liaison_tools.testing import eventually, request_body, token_for

from .conftest import CITY, DONGFENG, HUANGQUQIAO, RECEIVERS, submit

pytestmark = pytest.mark.integration


class Receiver:
    """An ASGI app that records what it gets and answers what it is told."""

    def __init__(self):
        self.received, self.status, self.headers, self.body = [], 200, [], b""

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        body = await request_body(receive)
        self.received.append({"headers": {k.decode(): v.decode() for k, v in scope["headers"]}, "body": body,
                              "status": self.status})
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


@contextlib.asynccontextmanager
async def receiving(host: str):
    app = Receiver()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started)
    app.port, app.url = port, f"http://{host}:{port}/events"
    try:
        yield app
    finally:
        server.should_exit = True
        await task


@pytest_asyncio.fixture(scope="module")
async def receiver():
    """A receiver on the loopback address the operator allowed (``webhook_allowlist``)."""
    async with receiving(RECEIVERS) as app:
        yield app


@pytest_asyncio.fixture(scope="module")
async def intruded():
    """Something on 127.0.0.1 that no webhook may reach: a database, a broker, another service."""
    async with receiving("127.0.0.1") as app:
        yield app


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
    # Standard Webhooks beside it: the delivery id is signed there too
    delivery_id = request["headers"]["webhook-id"]
    assert delivery_id == request["headers"]["x-liaison-delivery"] and request["headers"]["webhook-timestamp"] == timestamp
    standard = hmac.new(subscription["secret"].encode(), f"{delivery_id}.{timestamp}.".encode() + request["body"],
                        hashlib.sha256).digest()
    assert request["headers"]["webhook-signature"] == "v1," + base64.b64encode(standard).decode()
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


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:5432/", "http://[::1]:8003/api/v1/opinions", "http://169.254.169.254/latest/meta-data/",
    "http://0x7f000001:8004/", "http://localhost:9092/", "http://2130706433/", "http://0177.0.0.1/",
    "http://[::ffff:127.0.0.1]/", "http://10.0.0.7/", "http://192.168.1.1/", "http://172.16.0.1/",
    "http://100.64.0.1/", "http://0.0.0.0:8004/", "http://224.0.0.1/", "http://[fe80::1]/", "http://[fd00::2]/",
    "http://240.0.0.1/", "http://127.0.0.3:8004/",
])
async def test_a_subscription_to_an_internal_address_is_refused_and_nothing_is_written(stack, platform, db_pool, url):
    admin = token_for(platform, "admin", CITY)
    before = await db_pool.fetchval("SELECT count(*) FROM notify.subscriptions")
    refused = await stack["notify"].post("/api/v1/subscriptions", headers=admin, json={
        "name": "扫描器", "url": url, "event_types": ["*"], "org_unit": HUANGQUQIAO})
    assert refused.status_code == 422, refused.text
    assert await db_pool.fetchval("SELECT count(*) FROM notify.subscriptions") == before


async def test_a_host_resolving_to_loopback_at_send_time_is_refused(stack, platform, receiver, intruded, db_pool):
    """DNS rebinding: the name pointed elsewhere when the subscription was made; at sending it
    answers 127.0.0.1, which is checked again and never connected to."""
    subscription = await subscribe(stack, platform, receiver, ["cppcc.feedback.opinion.submitted"])
    await db_pool.execute("UPDATE notify.subscriptions SET url = $1 WHERE id = $2::uuid",
                          f"http://localhost:{intruded.port}/events", subscription["id"])
    try:
        case = await submit(stack)
        row = await eventually(lambda: _outcome(db_pool, subscription, case), timeout=60)
        assert row["status"] == "failed" and row["last_error"] == "address not allowed"
        assert intruded.received == []
    finally:
        await _unsubscribe(stack, platform, subscription)


async def test_a_redirect_is_not_followed(stack, platform, receiver, intruded, db_pool):
    subscription = await subscribe(stack, platform, receiver, ["cppcc.feedback.opinion.submitted"])
    receiver.status, receiver.headers = 307, [(b"location", intruded.url.encode())]
    try:
        case = await submit(stack)
        row = await eventually(lambda: _outcome(db_pool, subscription, case), timeout=60)
        assert row["status"] == "failed" and row["last_error"] == "HTTP 307"
        assert intruded.received == []
    finally:
        receiver.status, receiver.headers = 200, []
        await _unsubscribe(stack, platform, subscription)


async def test_the_delivery_log_tells_nothing_the_receiver_said(stack, platform, receiver, db_pool):
    subscription = await subscribe(stack, platform, receiver, ["cppcc.feedback.opinion.submitted"])
    receiver.status, receiver.body = 500, b"PostgreSQL 18.1 on x86_64: FATAL password authentication failed"
    try:
        case = await submit(stack)
        row = await eventually(lambda: _outcome(db_pool, subscription, case), timeout=60)
        assert row["last_error"] == "HTTP 500"
    finally:
        receiver.status, receiver.body = 200, b""
        await _unsubscribe(stack, platform, subscription)


async def test_a_receiver_that_is_not_http_is_not_quoted_in_the_delivery_log(stack, platform, receiver, db_pool):
    """What a port scanner would read: the banner of whatever answered."""

    async def banner(reader, writer):
        await reader.read(100)
        writer.write(b"SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13\r\nProtocol mismatch.\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(banner, RECEIVERS, 0)
    port = server.sockets[0].getsockname()[1]
    subscription = await subscribe(stack, platform, receiver, ["cppcc.feedback.opinion.submitted"])
    await db_pool.execute("UPDATE notify.subscriptions SET url = $1 WHERE id = $2::uuid",
                          f"http://{RECEIVERS}:{port}/", subscription["id"])
    try:
        case = await submit(stack)
        row = await eventually(lambda: _outcome(db_pool, subscription, case), timeout=60)
        assert row["status"] == "failed" and "SSH" not in row["last_error"]
        town = token_for(platform, "staff", HUANGQUQIAO)
        log = (await stack["notify"].get("/api/v1/deliveries?channel=webhook&limit=500", headers=town)).text
        assert "SSH" not in log and "OpenSSH" not in log
    finally:
        server.close()
        await _unsubscribe(stack, platform, subscription)


async def test_the_signing_secret_is_not_kept_in_clear(stack, platform, receiver, db_pool):
    subscription = await subscribe(stack, platform, receiver, ["cppcc.feedback.opinion.submitted"])
    stored = await db_pool.fetchrow("SELECT * FROM notify.subscriptions WHERE id = $1::uuid", subscription["id"])
    secret = subscription["secret"]
    assert not [c for c, v in stored.items() if secret in (v.decode("latin-1") if isinstance(v, bytes) else str(v))]
    await _unsubscribe(stack, platform, subscription)


async def test_a_secret_kept_in_clear_before_the_upgrade_is_sealed_at_start_and_still_signs(
        stack, platform, receiver, db_pool):
    from notify.handlers.delivery import seal_clear_secrets

    subscription = await subscribe(stack, platform, receiver, ["cppcc.feedback.opinion.submitted"])
    await db_pool.execute("UPDATE notify.subscriptions SET secret = 'an-old-secret-in-clear', secret_sealed = NULL"
                          " WHERE id = $1::uuid", subscription["id"])
    await seal_clear_secrets(stack["notify"].app.state.runtime)
    assert await db_pool.fetchval("SELECT count(*) FROM notify.subscriptions WHERE secret IS NOT NULL") == 0
    case = await submit(stack)
    delivery = await eventually(lambda: db_pool.fetchval(
        "SELECT id::text FROM notify.notifications WHERE recipient_id = $1 AND body LIKE '%' || $2 || '%'",
        subscription["id"], case["id"]), timeout=30)
    got = await eventually(lambda: [r for r in receiver.received
                                    if r["headers"]["x-liaison-delivery"] == delivery], timeout=30)
    timestamp = got[0]["headers"]["x-liaison-timestamp"]
    expected = hmac.new(b"an-old-secret-in-clear", timestamp.encode() + b"." + got[0]["body"], hashlib.sha256)
    assert got[0]["headers"]["x-liaison-signature"] == f"sha256={expected.hexdigest()}"
    await _unsubscribe(stack, platform, subscription)


async def _outcome(db_pool, subscription, case):
    """The webhook delivery of this case once it has its final word (retries exhausted or none needed)."""
    return await db_pool.fetchrow(
        "SELECT status, last_error FROM notify.notifications WHERE channel = 'webhook' AND recipient_id = $1"
        " AND body LIKE '%' || $2 || '%' AND status = 'failed'", subscription["id"], case["id"])


async def _unsubscribe(stack, platform, subscription):
    await stack["notify"].delete(f"/api/v1/subscriptions/{subscription['id']}",
                                 headers=token_for(platform, "admin", CITY))


async def test_a_host_not_yet_in_dns_may_subscribe_and_is_checked_at_each_sending(stack, platform, db_pool):
    admin = token_for(platform, "admin", CITY)
    created = await stack["notify"].post("/api/v1/subscriptions", headers=admin, json={
        "name": "12345热线(新)", "url": "https://hooks.liaison-test.invalid/events",
        "event_types": ["cppcc.feedback.opinion.submitted"], "org_unit": HUANGQUQIAO})
    assert created.status_code == 201, created.text
    try:
        case = await submit(stack)
        row = await eventually(lambda: db_pool.fetchrow(
            "SELECT status, last_error FROM notify.notifications WHERE channel = 'webhook' AND recipient_id = $1"
            " AND body LIKE '%' || $2 || '%' AND attempts > 0", created.json()["id"], case["id"]), timeout=30)
        assert row["last_error"] == "host does not resolve"
    finally:
        await _unsubscribe(stack, platform, created.json())


async def test_errors_kept_before_the_upgrade_lose_the_receivers_words(db_pool):
    from importlib.resources import files

    migration = files("notify").joinpath("migrations/20261203081000_delivery_errors_in_own_words.sql").read_text()
    up = migration.split("-- migrate:down")[0]
    ids = []
    for said in ["illegal status line: bytearray(b'SSH-2.0-OpenSSH_9.6p1')", "HTTP 503",
                 "(550, '5.1.1 <zhang@example.cn>: Recipient address rejected')"]:
        ids.append(await db_pool.fetchval(
            "INSERT INTO notify.notifications (id, event_source, event_id, event_type, org_unit, recipient_kind,"
            " recipient_id, channel, subject, body, status, last_error) VALUES (gen_random_uuid(), 'test', $1,"
            " 'test.v1', $2, 'subscription', 'x', 'webhook', 's', 'b', 'failed', $3) RETURNING id",
            str(uuid.uuid4()), DONGFENG, said))
    async with db_pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL search_path = notify")
        await conn.execute(up)
    kept = await db_pool.fetch("SELECT last_error FROM notify.notifications WHERE id = ANY($1)", ids)
    assert sorted(r["last_error"] for r in kept) == sorted(["HTTP 503", "delivery failed", "delivery failed"])


def _standard_signatures(request) -> list[str]:
    return request["headers"]["webhook-signature"].split()


def _signed_by(secret: str, request) -> str:
    headers = request["headers"]
    mac = hmac.new(secret.encode(), f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode()
                   + request["body"], hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


async def _delivered(stack, db_pool, receiver, subscription):
    case = await submit(stack)
    delivery = await eventually(lambda: db_pool.fetchval(
        "SELECT id::text FROM notify.notifications WHERE recipient_id = $1 AND body LIKE '%' || $2 || '%'",
        subscription["id"], case["id"]), timeout=30)
    return (await eventually(lambda: [r for r in receiver.received
                                      if r["headers"]["x-liaison-delivery"] == delivery], timeout=30))[0]


async def test_a_rotated_secret_signs_beside_the_old_one_until_the_overlap_ends(stack, platform, receiver, db_pool):
    subscription = await subscribe(stack, platform, receiver, ["cppcc.feedback.opinion.submitted"])
    old = subscription["secret"]
    sibling = token_for(platform, "staff", "640205000000")  # 惠农区: not the subscription's subtree
    refused = await stack["notify"].post(f"/api/v1/subscriptions/{subscription['id']}/secret", headers=sibling)
    assert refused.status_code == 404
    rotated = await stack["notify"].post(f"/api/v1/subscriptions/{subscription['id']}/secret",
                                         headers=token_for(platform, "staff", HUANGQUQIAO), json={"overlap_hours": 24})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != old and rotated.json()["previous_secret_until"] is not None

    request = await _delivered(stack, db_pool, receiver, subscription)
    # the new secret first, the old one after it: a receiver on either accepts (Standard Webhooks)
    assert _standard_signatures(request) == [_signed_by(new, request), _signed_by(old, request)]
    timestamp = request["headers"]["x-liaison-timestamp"]
    assert request["headers"]["x-liaison-signature"] == "sha256=" + hmac.new(
        new.encode(), timestamp.encode() + b"." + request["body"], hashlib.sha256).hexdigest()

    again = await stack["notify"].post(f"/api/v1/subscriptions/{subscription['id']}/secret",
                                       headers=token_for(platform, "admin", CITY), json={"overlap_hours": 0})
    assert again.status_code == 200 and again.json()["previous_secret_until"] is None
    newest = again.json()["secret"]
    request = await _delivered(stack, db_pool, receiver, subscription)
    assert _standard_signatures(request) == [_signed_by(newest, request)]
    stored = await db_pool.fetchrow("SELECT * FROM notify.subscriptions WHERE id = $1::uuid", subscription["id"])
    assert not [c for c, v in stored.items() for s in (old, new, newest)
                if s in (v.decode("latin-1") if isinstance(v, bytes) else str(v))]
    await _unsubscribe(stack, platform, subscription)


async def test_a_replaced_secret_past_its_overlap_is_forgotten(stack, platform, receiver, db_pool):
    from notify.handlers.delivery import seal_clear_secrets

    subscription = await subscribe(stack, platform, receiver, ["cppcc.feedback.opinion.submitted"])
    rotated = await stack["notify"].post(f"/api/v1/subscriptions/{subscription['id']}/secret",
                                         headers=token_for(platform, "admin", CITY))
    assert rotated.status_code == 200 and rotated.json()["previous_secret_until"] is not None  # 24 h by default
    await db_pool.execute("UPDATE notify.subscriptions SET previous_secret_until = now() - interval '1 minute'"
                          " WHERE id = $1::uuid", subscription["id"])
    request = await _delivered(stack, db_pool, receiver, subscription)
    assert _standard_signatures(request) == [_signed_by(rotated.json()["secret"], request)]
    await seal_clear_secrets(stack["notify"].app.state.runtime)
    assert await db_pool.fetchval("SELECT previous_secret_sealed FROM notify.subscriptions WHERE id = $1::uuid",
                                  subscription["id"]) is None
    await _unsubscribe(stack, platform, subscription)
