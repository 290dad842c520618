"""The fault suite's own platform: a broker behind a TCP proxy (the broker advertises the
proxy, so every client goes through it and a cut is total), its own PostgreSQL that can be
stopped, an SMTP sink, and members, feedback and notify as real processes.

The broker is the embedded one (Tansu), unless the environment names a broker of its own
(``KAFKA_BOOTSTRAP_SERVERS``, as ``python -m liaison_tools.apache_kafka run`` and so ``make
test-kafka`` set it): then the suite starts an Apache Kafka node of its own from the same
cached jars — it cuts and kills its broker, so it cannot share the session's — with idempotent
producers, as production has them. ``test_cluster.py`` does the same with three nodes."""

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
from liaison_shared.kafka import ensure_topics
from liaison_shared.service import all_topics
from liaison_tools.apache_kafka import ApacheKafka
from liaison_tools.devstack import EmbeddedBroker, EmbeddedPostgres, free_port
from liaison_tools.testing import (
    Mailbox,
    ServiceProcess,
    ThreadedTcpProxy,
    collect,
    header,
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
    proxy: ThreadedTcpProxy | None
    broker: EmbeddedBroker | ApacheKafka
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


def on_apache_kafka() -> bool:
    """Whether this run is on Apache Kafka: ``apache_kafka run`` hands its broker to the suites in
    ``KAFKA_BOOTSTRAP_SERVERS`` (``FAULTS_BROKER=apache-kafka`` asks for it without one)."""
    return bool(os.environ.get("KAFKA_BOOTSTRAP_SERVERS")) or os.environ.get("FAULTS_BROKER") == "apache-kafka"


@pytest.fixture(scope="package")
def stack(tmp_path_factory):
    home = tmp_path_factory.mktemp("faults")
    broker_port = free_port()
    proxy = ThreadedTcpProxy(broker_port).start()
    try:
        if on_apache_kafka():  # a node of the suite's own, advertising the proxy: a cut is total
            broker = ApacheKafka(1, listen_ports={1: broker_port}, advertised_ports={1: proxy.port}).start()
        else:
            broker = EmbeddedBroker(broker_port, advertised_port=proxy.port, log_path=home / "broker.log").start()
        with platform_on(home, broker, f"127.0.0.1:{proxy.port}", proxy=proxy) as stack:
            yield stack
    finally:
        proxy.stop()


@contextlib.contextmanager
def platform_on(home: Path, broker, bootstrap: str, *, proxy: ThreadedTcpProxy | None = None,
                replication_factor: int = 1):
    """PostgreSQL, the SMTP sink and the services on ``broker`` (started; stopped on the way out)."""
    pg_home = Path(tempfile.mkdtemp(prefix="liaison-faults-pg-"))
    postgres = None
    services: dict[str, ServiceProcess] = {}
    try:
        postgres = EmbeddedPostgres(pg_home / "pgdata", free_port(), durable=False).start()
        settings = make_settings({"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "DATABASE_URL": postgres.url("liaison_faults")},
                                 consumer_max_attempts=3, kafka_replication_factor=replication_factor,
                                 **broker.client_settings)
        specs = registry.specs()
        for name, spec in specs.items():
            db.migrate(settings, name, spec.migration_dirs())
        asyncio.run(ensure_topics(settings, all_topics(specs.values())))
        with smtp_sink() as (mailbox, smtp_port):
            env = {"SMTP_PORT": str(smtp_port), "PUBLIC_RATE_LIMIT_PER_MINUTE": "1000000",
                   "CONSUMER_MAX_ATTEMPTS": "3", "DELIVERY_POLL_INTERVAL_S": "0.2", "DELIVERY_BACKOFF_S": "0.2",
                   # a killed notify's claims come back after this (the default is two minutes)
                   "DELIVERY_LEASE_S": "30", "DEADLINE_SCAN_INTERVAL_S": "1", "OUTBOX_POLL_INTERVAL_S": "0.2",
                   "KAFKA_TOPIC_PARTITIONS": "3", "DB_ACQUIRE_TIMEOUT_S": "1",
                   "KAFKA_REPLICATION_FACTOR": str(replication_factor),
                   "KAFKA_BOOTSTRAP_SERVERS": bootstrap}
            stack = Stack(settings, home, proxy, broker, postgres, mailbox, env, services)
            members = services["members"] = stack.process("members").start(timeout=90)
            feedback = services["feedback"] = stack.process("feedback").start(timeout=90)
            stack.env.update({"MEMBERS_URL": members.url, "FEEDBACK_URL": feedback.url})
            services["notify"] = stack.process("notify").start(timeout=90)
            stack.department = _register(stack)
            yield stack
    finally:
        for service in services.values():
            service.kill()
        broker.stop()
        if postgres is not None:
            postgres.stop()
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
    unreachable: int = 0                                    # refused connection: the process was down
    timed_out: int = 0                                      # no answer within the client's 5 s
    retry_after_missing: int = 0
    answered: list[str] = field(default_factory=list)
    answers_failed: int = 0                                 # a staff answer that got no 200

    @property
    def submitted(self) -> int:
        return len(self.accepted) + sum(self.refused.values()) + self.unreachable + self.timed_out


async def drive(stack: Stack, *, seconds: float, rate: float = 12.0, answer_every: int = 0,
                until: asyncio.Event | None = None) -> Load:
    """Public submissions at a steady rate (and staff answering every n-th) for ``seconds``, or
    until ``until`` is set if sooner."""
    load = Load(tag=f"fault-{uuid.uuid4().hex[:8]}")
    staff = token_for(stack.settings, "staff", VILLAGE)
    started = asyncio.get_running_loop().time()
    number = 0
    async with httpx.AsyncClient(timeout=5) as client:
        while asyncio.get_running_loop().time() - started < seconds and not (until and until.is_set()):
            number += 1
            base = stack.services["feedback"].url
            try:
                response = await client.post(f"{base}/api/v1/opinions", json={
                    "content": f"{load.tag} #{number} 路灯不亮", "org_unit": VILLAGE, "channel": "online",
                    "category": "市政"})
            except httpx.TimeoutException:  # counted apart: the case may exist without our knowing
                load.timed_out += 1
            except httpx.TransportError:
                load.unreachable += 1
            else:
                if response.status_code == 201:
                    opinion = response.json()["id"]
                    load.accepted.append(opinion)
                    if answer_every and len(load.accepted) % answer_every == 0:
                        try:
                            answered = await client.post(f"{base}/api/v1/opinions/{opinion}/actions", headers=staff,
                                                         json={"action": "answer_on_spot", "text": "已处理"})
                        except httpx.TransportError:
                            load.answers_failed += 1
                        else:
                            if answered.status_code == 200:
                                load.answered.append(opinion)
                            else:
                                load.answers_failed += 1
                else:
                    load.refused[response.status_code] = load.refused.get(response.status_code, 0) + 1
                    if response.status_code == 503 and "retry-after" not in response.headers:
                        load.retry_after_missing += 1
            await asyncio.sleep(1 / rate)
    return load


async def figures(stack: Stack, load: Load, *, timeout: float = 90, resend_bound: int = 0,  # noqa: ASYNC109 — counts what it finds at the deadline too
                  why_resends: str = "") -> dict:
    """Wait until notify has caught up with every accepted submission, then count what the
    broker holds and what each recipient received.

    ``resend_bound``: e-mails a recipient may receive twice by design (``why_resends`` says
    why); it is printed with the figures, and ``assert_nothing_lost_or_doubled`` holds to it."""
    import asyncpg

    conn = await asyncpg.connect(stack.settings.asyncpg_dsn())
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:  # settled: every case's notifications there, and every e-mail sent and received
            counted = await _count(conn, stack, load, await _outbox_events(conn, load))
            settled = counted["lost"] == 0 and counted["emails_lost"] == 0 and counted["unsent"] == 0
            if settled or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(1.5)  # anything doubled arrives too
        on_topic = await _on_the_topic(stack, load)
        counted = await _count(conn, stack, load, on_topic.pop("events"))
    finally:
        await conn.close()
    counted |= on_topic
    counted["resend_bound"] = resend_bound
    resent = counted.pop("resent")
    shown = ", ".join(f"{k}={v}" for k, v in counted.items())
    print(f"\n[{load.tag}] {shown}" + (f" (resends allowed by design: {why_resends})" if why_resends else ""))
    return counted | {"resent": resent}  # the Message-IDs received more than once


async def _outbox_events(conn, load: Load) -> dict[str, set[str]]:
    """case → the ids of its ``opinion.submitted`` events, as the producer's outbox has them
    (cheap: only to see when notify has caught up; the figures count what the topic holds)."""
    rows = await conn.fetch(
        "SELECT record_key, event_id::text FROM feedback.outbox WHERE event_type = 'cppcc.feedback.opinion.submitted.v1'"
        " AND record_key = ANY($1::text[])", load.accepted)
    events: dict[str, set[str]] = {}
    for row in rows:
        events.setdefault(row["record_key"], set()).add(row["event_id"])
    return events


async def _count(conn, stack: Stack, load: Load, events: dict[str, set[str]]) -> dict:
    """``events``: case → its ``opinion.submitted`` event ids. Lost: an accepted case with no
    event, or whose event did not become every notification; doubled: a case with two events, a
    second notification for one event, recipient and channel, a message received twice."""
    ids = load.accepted
    cases = await conn.fetchval("SELECT count(*) FROM feedback.opinions WHERE id = ANY($1::uuid[])", ids)
    event_ids = [e for case in ids for e in events.get(case, ())]
    effects = await conn.fetchval("SELECT count(*) FROM notify.inbox WHERE event_id = ANY($1::text[])", event_ids)
    rows = await conn.fetch(
        "SELECT event_id, recipient_kind, channel, count(*) AS n, array_agg(id::text) AS ids,"
        " count(*) FILTER (WHERE status <> 'sent' AND channel <> 'inbox') AS unsent"
        " FROM notify.notifications WHERE event_id = ANY($1::text[]) GROUP BY 1, 2, 3", event_ids)
    per_event: dict[str, set] = {}
    doubled_notifications = 0
    for row in rows:
        per_event.setdefault(row["event_id"], set()).add((row["recipient_kind"], row["channel"]))
        doubled_notifications += row["n"] - 1
    incomplete = sum(1 for e in event_ids if not per_event.get(e, set()) >= PER_SUBMISSION)
    without_event = sum(1 for case in ids if not events.get(case))
    doubled_events = sum(len(events.get(case, ())) - 1 for case in ids if events.get(case))
    # what the recipients received — every message, not distinct ones
    by_channel = {channel: {i for row in rows if row["channel"] == channel for i in row["ids"]}
                  for channel in ("email", "sms", "webhook")}
    email_ids = {f"<{i}@cppcc-liaison>" for i in by_channel["email"]}
    emails = [m["id"] for m in stack.mailbox.messages if m["id"] in email_ids]
    # the development SMS gateway keeps one row per idempotency key: a resend cannot show there
    sms = await conn.fetchval("SELECT count(*) FROM notify.sms_messages WHERE idempotency_key = ANY($1::text[])",
                              sorted(by_channel["sms"]))
    email_duplicates = len(emails) - len(set(emails))
    return {
        "submitted": load.submitted, "accepted": len(ids), "refused": dict(load.refused),
        "unreachable": load.unreachable, "timed_out": load.timed_out, "cases": cases,
        "events": len(event_ids), "effects": effects, "notifications": sum(r["n"] for r in rows),
        "unsent": sum(r["unsent"] for r in rows),
        "lost": incomplete + without_event + (len(ids) - cases),
        "emails": len(emails), "emails_lost": len(email_ids - set(emails)), "email_duplicates": email_duplicates,
        "sms": sms, "sms_lost": len(by_channel["sms"]) - sms, "webhooks": len(by_channel["webhook"]),
        "record_duplicates": doubled_notifications + doubled_events,
        "duplicates": doubled_notifications + doubled_events + email_duplicates,
        "resent": {i for i in emails if emails.count(i) > 1},
    }


async def _on_the_topic(stack: Stack, load: Load) -> dict:
    """``opinion.submitted`` read back from the broker (not from the producer's own outbox):
    every accepted case must be there, as exactly one event; copies of one event (the same
    ``ce_id``: a relay resent it) may be, the consumers' inbox absorbs them."""
    accepted = set(load.accepted)

    def submitted(record) -> bool:
        return record.key is not None and record.key.decode() in accepted \
            and header(record, "ce_type") == "cppcc.feedback.opinion.submitted.v1"
    records = await collect(stack.settings, "cppcc.feedback.opinion", count=len(accepted), where=submitted, timeout=30)
    if len({r.key for r in records}) < len(accepted) or len(records) > len(accepted):
        # copies filled the count first, or there are some: read it all
        records = await collect(stack.settings, "cppcc.feedback.opinion", count=10**9, where=submitted, timeout=8)
    events: dict[str, set[str]] = {}
    for record in records:
        events.setdefault(record.key.decode(), set()).add(header(record, "ce_id"))
    return {"events": events, "on_topic": len(events), "lost_on_topic": len(accepted - set(events)),
            "topic_copies": len(records) - sum(len(e) for e in events.values())}


def assert_nothing_lost_or_doubled(counted: dict, load: Load) -> None:
    """Nothing lost, nothing doubled; e-mails received twice only within ``counted["resend_bound"]``
    (see ``figures``), with the same Message-ID."""
    assert counted["cases"] == counted["accepted"] == counted["events"] == counted["effects"], counted
    assert counted["on_topic"] == counted["accepted"] and counted["lost_on_topic"] == 0, counted
    assert counted["lost"] == 0 and counted["emails_lost"] == 0 and counted["sms_lost"] == 0, counted
    assert counted["unsent"] == 0, counted
    assert counted["record_duplicates"] == 0, counted
    assert counted["email_duplicates"] <= counted["resend_bound"], counted
    assert counted["duplicates"] == counted["email_duplicates"], counted
    assert counted["accepted"] > 0
    assert 500 not in load.refused and load.retry_after_missing == 0, load.refused


async def consumer_group_members(settings, group: str) -> list[list[tuple[str, int]]]:
    """Each member of ``group`` with the partitions the broker assigned it (DescribeGroups)."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

    admin = AIOKafkaAdminClient(**settings.kafka_client_options(), request_timeout_ms=10_000)
    await admin.start()
    try:
        described = (await admin.describe_consumer_groups([group]))[0].to_object()["groups"][0]
    finally:
        await admin.close()
    members = []
    for member in described["members"]:
        raw = member["member_assignment"]
        assignment = ConsumerProtocolMemberAssignment.decode(raw).assignment if raw else []
        members.append(sorted((topic, p) for topic, partitions in assignment for p in partitions))
    return members


@pytest.fixture
async def db_pool_faults(stack):
    import asyncpg

    pool = await asyncpg.create_pool(stack.settings.asyncpg_dsn(), min_size=1, max_size=4)
    yield pool
    await pool.close()
