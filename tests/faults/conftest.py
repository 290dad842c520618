"""The fault suite's own platform: an embedded broker behind a TCP proxy (the broker advertises
the proxy, so every client goes through it and a cut is total), its own PostgreSQL that can be
stopped, an SMTP sink, and members, feedback and notify as real processes."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from liaison_shared import db, registry
from liaison_shared.devstack import EmbeddedBroker, EmbeddedPostgres, free_port
from liaison_shared.kafka import ensure_topics
from liaison_shared.service import all_topics
from liaison_shared.testing import (
    Mailbox,
    ServiceProcess,
    ThreadedTcpProxy,
    make_settings,
    smtp_sink,
    token_for,
)

CITY, COUNTY, TOWN, VILLAGE = "640200000000", "640221000000", "640221100000", "640221100201"
# what one opinion.submitted must become in notify: the village staff's inbox item and the
# e-mail to the village's duty address
PER_SUBMISSION = {("org_staff", "inbox"), ("org_staff", "email")}


@dataclass
class Stack:
    settings: object
    home: Path
    proxy: ThreadedTcpProxy
    broker: EmbeddedBroker
    postgres: EmbeddedPostgres
    mailbox: Mailbox
    env: dict[str, str]
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    department: str = ""

    def process(self, name: str, *, port: int | None = None, **env: str) -> ServiceProcess:
        return ServiceProcess(name, self.settings, log_dir=self.home, port=port, **{**self.env, **env})

    def restart(self, name: str, **env: str) -> ServiceProcess:
        old = self.services[name]
        old.kill()
        self.services[name] = self.process(name, port=old.port, **env).start(timeout=90)
        return self.services[name]

    def liaison(self, *args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, **self.env, "DATABASE_URL": self.settings.database_url,
               "KAFKA_BOOTSTRAP_SERVERS": self.settings.kafka_bootstrap_servers}
        return subprocess.run([sys.executable, "-m", "liaison_shared.cli", *args], capture_output=True, text=True,
                              env=env, timeout=300)


@pytest.fixture(scope="package")
def stack(tmp_path_factory):
    home = tmp_path_factory.mktemp("faults")
    broker_port = free_port()
    proxy = ThreadedTcpProxy(broker_port).start()
    broker = EmbeddedBroker(broker_port, advertised_port=proxy.port, log_path=home / "broker.log").start()
    pg_home = Path(tempfile.mkdtemp(prefix="liaison-faults-pg-"))
    postgres = EmbeddedPostgres(pg_home / "pgdata", free_port(), durable=False).start()
    settings = make_settings({"KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{proxy.port}",
                              "DATABASE_URL": postgres.url("liaison_faults")}, consumer_max_attempts=3,
                             **broker.client_settings)
    specs = registry.specs()
    for name, spec in specs.items():
        db.migrate(settings, name, spec.migration_dirs())
    asyncio.run(ensure_topics(settings, all_topics(specs.values())))
    with smtp_sink() as (mailbox, smtp_port):
        env = {"SMTP_PORT": str(smtp_port), "PUBLIC_RATE_LIMIT_PER_MINUTE": "1000000", "CONSUMER_MAX_ATTEMPTS": "3",
               "DELIVERY_POLL_INTERVAL_S": "0.2", "DELIVERY_BACKOFF_S": "0.2", "DEADLINE_SCAN_INTERVAL_S": "1",
               "OUTBOX_POLL_INTERVAL_S": "0.2", "KAFKA_TOPIC_PARTITIONS": "3", "DB_ACQUIRE_TIMEOUT_S": "1"}
        stack = Stack(settings, home, proxy, broker, postgres, mailbox, env)
        try:
            members = stack.services["members"] = stack.process("members").start(timeout=90)
            feedback = stack.services["feedback"] = stack.process("feedback").start(timeout=90)
            stack.env.update({"MEMBERS_URL": members.url, "FEEDBACK_URL": feedback.url})
            stack.services["notify"] = stack.process("notify").start(timeout=90)
            stack.department = _register(stack)
            yield stack
        finally:
            for service in stack.services.values():
                service.kill()
            broker.stop()
            postgres.stop()
            proxy.stop()
            shutil.rmtree(pg_home, ignore_errors=True)


def _register(stack: Stack) -> str:
    """The county, town and village (with a duty mailbox) and a department, until projected."""
    admin = token_for(stack.settings, "admin", CITY)
    base = stack.services["members"].url
    with httpx.Client(base_url=base, headers=admin, timeout=10) as client:
        for code, name in [(CITY, "石嘴山市"), (COUNTY, "平罗县"), (TOWN, "黄渠桥镇")]:
            assert client.post("/api/v1/org-units", json={"code": code, "name": name}).status_code in (201, 409)
        assert client.post("/api/v1/org-units", json={"code": VILLAGE, "name": "东风村", "duty_contact": {
            "email": "dongfeng@example.cn"}}).status_code in (201, 409)
        department = client.post("/api/v1/departments", json={"name": "平罗县水务局", "org_unit": COUNTY,
                                                               "duty_contact": {"email": "water@example.cn"}})
        assert department.status_code == 201, department.text
    department_id = department.json()["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if asyncio.run(_projected(stack, department_id)):
            return department_id
        time.sleep(0.3)
    raise AssertionError("registry not projected into feedback and notify")


async def _projected(stack: Stack, department_id: str) -> bool:
    import asyncpg

    conn = await asyncpg.connect(stack.settings.asyncpg_dsn())
    try:
        return await conn.fetchval(
            "SELECT (SELECT count(*) FROM feedback.departments WHERE id = $1) = 1"
            " AND (SELECT count(*) FROM feedback.org_units WHERE code = $2) = 1"
            " AND (SELECT count(*) FROM notify.org_units WHERE code = $2 AND duty_email IS NOT NULL) = 1"
            " AND (SELECT count(*) FROM notify.departments WHERE id = $1) = 1", department_id, VILLAGE)
    finally:
        await conn.close()


# --- load and figures ----------------------------------------------------------------------


@dataclass
class Load:
    tag: str
    accepted: list[str] = field(default_factory=list)
    refused: dict[int, int] = field(default_factory=dict)   # status → count (503 during an outage)
    unreachable: int = 0                                    # no answer at all (the process was down)
    retry_after_missing: int = 0
    answered: list[str] = field(default_factory=list)

    @property
    def submitted(self) -> int:
        return len(self.accepted) + sum(self.refused.values()) + self.unreachable


async def drive(stack: Stack, *, seconds: float, rate: float = 12.0, answer_every: int = 0) -> Load:
    """Public submissions at a steady rate (and staff answering every n-th) for ``seconds``."""
    load = Load(tag=f"fault-{uuid.uuid4().hex[:8]}")
    staff = token_for(stack.settings, "staff", VILLAGE)
    started = asyncio.get_running_loop().time()
    number = 0
    async with httpx.AsyncClient(timeout=5) as client:
        while asyncio.get_running_loop().time() - started < seconds:
            number += 1
            base = stack.services["feedback"].url
            try:
                response = await client.post(f"{base}/api/v1/opinions", json={
                    "content": f"{load.tag} #{number} 路灯不亮", "org_unit": VILLAGE, "channel": "online",
                    "category": "市政"})
            except httpx.TransportError:
                load.unreachable += 1
            else:
                if response.status_code == 201:
                    opinion = response.json()["id"]
                    load.accepted.append(opinion)
                    if answer_every and len(load.accepted) % answer_every == 0:
                        with contextlib.suppress(httpx.TransportError):
                            answered = await client.post(f"{base}/api/v1/opinions/{opinion}/actions", headers=staff,
                                                         json={"action": "answer_on_spot", "text": "已处理"})
                            if answered.status_code == 200:
                                load.answered.append(opinion)
                else:
                    load.refused[response.status_code] = load.refused.get(response.status_code, 0) + 1
                    if response.status_code == 503 and "retry-after" not in response.headers:
                        load.retry_after_missing += 1
            await asyncio.sleep(1 / rate)
    return load


async def figures(stack: Stack, load: Load, *, timeout: float = 90) -> dict:
    """Wait until notify has caught up with every accepted submission, then count."""
    import asyncpg

    conn = await asyncpg.connect(stack.settings.asyncpg_dsn())
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            counted = await _count(conn, stack, load)
            settled = counted["lost"] == 0 and counted["emails_lost"] == 0
            if settled or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(1.5)  # anything doubled arrives too
        counted = await _count(conn, stack, load)
    finally:
        await conn.close()
    print(f"\n[{load.tag}] " + ", ".join(f"{k}={v}" for k, v in counted.items()))
    return counted


async def _count(conn, stack: Stack, load: Load) -> dict:
    ids = load.accepted
    cases = await conn.fetchval("SELECT count(*) FROM feedback.opinions WHERE id = ANY($1::uuid[])", ids)
    events = await conn.fetch(
        "SELECT record_key, event_id::text FROM feedback.outbox WHERE event_type = 'cppcc.feedback.opinion.submitted.v1'"
        " AND record_key = ANY($1::text[])", ids)
    event_ids = [r["event_id"] for r in events]
    effects = await conn.fetchval("SELECT count(*) FROM notify.inbox WHERE event_id = ANY($1::text[])", event_ids)
    rows = await conn.fetch(
        "SELECT event_id, recipient_kind, channel, count(*) AS n, array_agg(id::text) AS ids, bool_and(status = 'sent')"
        " AS sent FROM notify.notifications WHERE event_id = ANY($1::text[]) GROUP BY 1, 2, 3", event_ids)
    per_event: dict[str, set] = {}
    duplicates = 0
    for row in rows:
        per_event.setdefault(row["event_id"], set()).add((row["recipient_kind"], row["channel"]))
        duplicates += row["n"] - 1
    lost = sum(1 for e in event_ids if not PER_SUBMISSION <= per_event.get(e, set())) + (len(ids) - len(event_ids))
    email_ids = {f"<{i}@cppcc-liaison>" for row in rows if row["channel"] == "email" for i in row["ids"]}
    received = [m["id"] for m in stack.mailbox.messages if m["id"] in email_ids]
    return {
        "submitted": load.submitted, "accepted": len(ids), "refused": dict(load.refused),
        "unreachable": load.unreachable, "cases": cases, "events": len(event_ids), "effects": effects,
        "notifications": sum(r["n"] for r in rows), "duplicates": duplicates + (len(events) - len(set(event_ids))),
        "lost": lost + (len(ids) - cases), "emails": len(set(received)), "emails_lost": len(email_ids - set(received)),
        "emails_resent_same_id": len(received) - len(set(received)),
    }


def assert_nothing_lost_or_doubled(counted: dict, load: Load) -> None:
    assert counted["cases"] == counted["accepted"] == counted["events"] == counted["effects"], counted
    assert counted["lost"] == 0 and counted["duplicates"] == 0, counted
    assert counted["emails_lost"] == 0, counted
    assert counted["accepted"] > 0
    assert 500 not in load.refused and load.retry_after_missing == 0, load.refused


@pytest.fixture
async def db_pool_faults(stack):
    import asyncpg

    pool = await asyncpg.create_pool(stack.settings.asyncpg_dsn(), min_size=1, max_size=4)
    yield pool
    await pool.close()
