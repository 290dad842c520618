"""The subscriber's kit of examples/subscriber (docs/subscribers.md), run as another government
system runs it, against members, feedback and notify on the real broker and database: the
FastStream consumer reads a public opinion's ``opinion.submitted`` once, whatever else comes
its way, and the webhook receiver takes notify's signed delivery once and refuses forgeries."""

import asyncio
import contextlib
import hashlib
import hmac
import importlib.util
import json
import os
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

# the development stack's helpers: this import alone names their package
from liaison_tools.testing import (
    collect,
    eventually,
    free_port,
    header,
    produce_raw,
    running,
    smtp_sink,
    token_for,
)

pytestmark = pytest.mark.integration

KIT = Path(__file__).parents[2] / "examples" / "subscriber"
CITY, PINGLUO, HUANGQUQIAO = "640200000000", "640221000000", "640221100000"
VILLAGE = "640221100205"  # 黄渠桥村 of 黄渠桥镇: only this module submits there
RECEIVERS = "127.0.0.2"  # a loopback address the operator allows webhooks to (WEBHOOK_ALLOWLIST)
NAME, PHONE = "马玉兰", "13909521234"  # given with consent: kept by feedback, never printed by a subscriber


def kit_installed() -> None:
    """One line instead of a traceback from a subprocess: what the kit needs is not installed."""
    missing = [name for name in ("cloudevents", "faststream", "starlette", "uvicorn")
               if importlib.util.find_spec(name) is None]
    if missing:
        pytest.fail(f"the subscriber kit needs {', '.join(missing)}: "
                    f"{sys.executable} -m pip install -r examples/subscriber/requirements.txt", pytrace=False)


class Kit:
    """One script of the kit as a process of its own, its output kept line by line."""

    def __init__(self, script: str, workdir: Path, **env: str) -> None:
        self.script, self.workdir, self.env = script, workdir, env
        self.out: list[str] = []
        self.err: list[str] = []

    async def start(self) -> "Kit":
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-u", str(KIT / self.script), cwd=self.workdir, env={**os.environ, **self.env},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        self._readers = [asyncio.create_task(self._read(self.process.stdout, self.out)),
                         asyncio.create_task(self._read(self.process.stderr, self.err))]
        return self

    @staticmethod
    async def _read(stream, lines: list[str]) -> None:
        while line := await stream.readline():
            lines.append(line.decode().rstrip("\n"))

    def lines_with(self, *parts: str) -> list[str]:
        assert self.process.returncode is None, f"{self.script} exited: {self.said()}"
        return [line for line in self.out if all(part in line for part in parts)]

    def said(self) -> str:
        return "\n".join(["stdout:", *self.out[-20:], "stderr:", *self.err[-20:]])

    async def stop(self) -> None:
        """As an operator stops it (SIGTERM); it must shut down cleanly."""
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        await asyncio.gather(*self._readers)
        assert not any("Traceback" in line for line in self.err), self.said()


@pytest_asyncio.fixture(scope="module")
async def consumer(platform, tmp_path_factory):
    """Started first: joining its consumer group takes the broker a few seconds."""
    kit_installed()
    kit = await Kit("consumer.py", tmp_path_factory.mktemp("consumer"),
                    KAFKA_BOOTSTRAP_SERVERS=platform.kafka_bootstrap_servers,
                    SUBSCRIBER_GROUP=f"gov.hotline-{uuid.uuid4().hex[:6]}", SUBSCRIBER_DB="seen.sqlite3").start()
    yield kit
    await kit.stop()


@pytest_asyncio.fixture(scope="module")
async def stack(platform, service_specs, db_pool, consumer):
    with smtp_sink() as (_, smtp_port):
        settings = platform.model_copy(update={
            "smtp_port": smtp_port, "public_rate_limit_per_minute": 10_000, "delivery_poll_interval_s": 0.2,
            "delivery_backoff_s": 0.2, "webhook_allowlist": [RECEIVERS]})
        async with running(service_specs["members"], settings) as members, \
                running(service_specs["feedback"], settings) as feedback, \
                running(service_specs["notify"], settings) as notify:
            admin = token_for(settings, "admin", CITY)
            for code, name in [(CITY, "石嘴山市"), (PINGLUO, "平罗县"), (HUANGQUQIAO, "黄渠桥镇"), (VILLAGE, "黄渠桥村")]:
                await members.post("/api/v1/org-units", headers=admin, json={"code": code, "name": name})
            await eventually(lambda: db_pool.fetchval(
                "SELECT count(*) = 1 FROM feedback.org_units WHERE code = $1", VILLAGE), timeout=30)
            yield {"feedback": feedback, "notify": notify, "admin": admin}


async def submit(stack) -> dict:
    response = await stack["feedback"].post("/api/v1/opinions", json={
        "content": "村口灌溉渠堵塞，影响春灌", "org_unit": VILLAGE, "channel": "reception_day", "category": "水利",
        "submitter_name": NAME, "submitter_phone": PHONE, "consent": True})
    assert response.status_code == 201, response.text
    return response.json()


def nothing_personal(kit: Kit, *also: str) -> None:
    said = "\n".join(kit.out + kit.err)
    for value in (NAME, PHONE, *also):
        assert value not in said


async def test_the_consumer_prints_a_submitted_opinion_once_and_passes_over_what_it_does_not_read(stack, consumer,
                                                                                                 platform):
    case = await submit(stack)
    line = (await eventually(lambda: consumer.lines_with("opinion.submitted.v1", f"opinion={case['id']}"),
                             timeout=90))[0]
    assert f"org_unit={VILLAGE} channel=reception_day category=水利" in line, consumer.said()

    # what else the topic may carry, on the opinion's key so it comes in this order after it
    [record] = await collect(platform, "cppcc.feedback.opinion", count=1, where=lambda r: (
        r.key == case["id"].encode() and header(r, "ce_type") == "cppcc.feedback.opinion.submitted.v1"))
    original = header(record, "ce_id")

    def renamed(type_: str, value: bytes) -> tuple[bytes, bytes, list]:
        headers = {**dict(record.headers), "ce_id": str(uuid.uuid4()).encode(), "ce_type": type_.encode()}
        return record.key, value, list(headers.items())

    again = (record.key, record.value, list(record.headers))  # a redelivery: the very same event
    unknown = renamed("cppcc.feedback.opinion.translated.v1", b'{"opinion_id":"%s"}' % case["id"].encode())
    newer = json.loads(record.value) | {"added_tomorrow": {"any": ["shape"]}}  # a field added later
    tomorrow = renamed("cppcc.feedback.opinion.submitted.v1", json.dumps(newer).encode())
    await produce_raw(platform, "cppcc.feedback.opinion", [again, unknown, tomorrow])

    await eventually(lambda: consumer.lines_with(f"event={dict(tomorrow[2])['ce_id'].decode()}"), timeout=60)
    assert len(consumer.lines_with(f"event={original}")) == 1, consumer.said()
    assert consumer.lines_with("translated") == []
    assert any("translated.v1 is not read here" in line for line in consumer.err), consumer.said()
    nothing_personal(consumer, *filter(None, [json.loads(record.value).get("subject_id")]))


def signed(secret: str, body: bytes, *, at: float | None = None) -> dict[str, str]:
    timestamp = str(int(time.time() if at is None else at))
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"content-type": "application/cloudevents+json; charset=utf-8", "x-liaison-timestamp": timestamp,
            "x-liaison-signature": f"sha256={mac}"}


@contextlib.asynccontextmanager
async def subscribed(stack, url: str):
    created = await stack["notify"].post("/api/v1/subscriptions", headers=stack["admin"], json={
        "name": "12345热线", "url": url, "event_types": ["cppcc.feedback.opinion.submitted"], "org_unit": VILLAGE})
    assert created.status_code == 201, created.text
    try:
        yield created.json()
    finally:
        await stack["notify"].delete(f"/api/v1/subscriptions/{created.json()['id']}", headers=stack["admin"])


async def test_the_receiver_takes_one_signed_delivery_and_refuses_forged_and_stale_ones(stack, db_pool,
                                                                                       tmp_path_factory):
    kit_installed()
    port = free_port()
    url = f"http://{RECEIVERS}:{port}/events"
    async with subscribed(stack, url) as subscription:
        receiver = await Kit("receiver.py", tmp_path_factory.mktemp("receiver"), WEBHOOK_SECRET=subscription["secret"],
                             RECEIVER_HOST=RECEIVERS, RECEIVER_PORT=str(port), RECEIVER_DB="seen.sqlite3").start()
        try:
            async with httpx.AsyncClient(timeout=5) as client:

                async def up() -> bool:
                    with contextlib.suppress(httpx.HTTPError):
                        return (await client.get(f"http://{RECEIVERS}:{port}/healthz")).status_code == 200
                    return False

                await eventually(up, timeout=30)
                case = await submit(stack)
                await eventually(lambda: receiver.lines_with("opinion.submitted.v1", f"opinion={case['id']}"),
                                 timeout=60)
                delivery = await eventually(lambda: db_pool.fetchrow(
                    "SELECT id::text AS id, body, attempts FROM notify.notifications WHERE channel = 'webhook'"
                    " AND recipient_id = $1 AND status = 'sent' AND body LIKE '%' || $2 || '%'",
                    subscription["id"], case["id"]), timeout=30)
                assert delivery["attempts"] == 1  # notify's own signature was accepted the first time
                assert receiver.lines_with(f"delivery={delivery['id']}") != []
                body = delivery["body"].encode()

                async def post(headers: dict[str, str], content: bytes = body) -> int:
                    response = await client.post(url, content=content,
                                                 headers={**headers, "x-liaison-delivery": delivery["id"]})
                    return response.status_code

                secret = subscription["secret"]
                assert await post(signed("a-guessed-secret", body)) == 401
                assert await post(signed(secret, body, at=time.time() - 600)) == 401  # a captured request, replayed
                tampered = body.replace(VILLAGE.encode(), b"640221100201")
                assert await post(signed(secret, body), tampered) == 401
                assert await post({**signed(secret, body), "webhook-id": delivery["id"],
                                   "webhook-timestamp": str(int(time.time())), "webhook-signature": "v1,Zm9yZ2Vk"}) == 401
                assert await post({"content-type": "application/cloudevents+json"}) == 401
                # notify's retry of the same delivery, after an answer lost on the way: taken, not done again
                assert await post(signed(secret, body)) == 204

            assert len(receiver.lines_with(f"opinion={case['id']}")) == 1, receiver.said()
            assert sum("refused delivery" in line for line in receiver.err) == 5, receiver.said()
            nothing_personal(receiver)
        finally:
            await receiver.stop()
