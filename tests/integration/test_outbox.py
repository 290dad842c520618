"""The transactional outbox and its relay, against the real broker and PostgreSQL."""

import asyncio
import uuid
from collections import defaultdict

import pytest
from liaison_shared import db, outbox
from liaison_shared.events import Envelope
from liaison_shared.kafka import ensure_topics
from liaison_shared.outbox import OutboxRelay
from liaison_shared.uow import UnitOfWork
from liaison_tools.devstack import EmbeddedBroker, free_port
from liaison_tools.testing import (
    TcpProxy,
    collect,
    eventually,
    header,
    running,
)

from .probe import ProbeHappened

pytestmark = pytest.mark.integration

TOPIC = ProbeHappened.event_type.topic
ORG = "640221100201"  # a village of 黄渠桥镇, 平罗县


def titled(prefix):
    return lambda record: prefix.encode() in (record.value or b"")


async def write_events(uow_factory, prefix: str, count: int, *, keys: int = 1) -> None:
    for seq in range(count):
        async with uow_factory() as uow:
            uow.publish(ProbeHappened(title=f"{prefix}-{seq}", seq=seq, thing_id=f"{prefix}-key-{seq % keys}"))


def uow_factory(pool):
    return lambda: UnitOfWork(pool, schema="probe")


async def effects(db_pool, prefix: str) -> list:
    return await db_pool.fetch(
        "SELECT title, seq FROM probe.effects WHERE title LIKE $1 ORDER BY applied_at", prefix + "-%"
    )


async def test_events_reach_kafka_with_every_contract_header(probe, platform, db_pool):
    prefix = f"headers-{uuid.uuid4().hex[:6]}"
    async with running(probe(), platform) as client:
        await write_events(client.app.state.runtime.uow, prefix, 1)
        [record] = await collect(platform, TOPIC, count=1, where=titled(prefix))
    assert header(record, "ce_type") == "cppcc.probe.thing.happened.v1"
    assert header(record, "ce_specversion") == "1.0"
    assert header(record, "ce_orgunit") == ORG and header(record, "ce_level") == "village"
    assert header(record, "ce_subject") == f"{prefix}-key-0" == record.key.decode()
    assert header(record, "content-type") == "application/json"
    assert header(record, "traceparent").startswith("00-")
    envelope = Envelope.from_kafka(record.headers, record.value, record.key)
    assert envelope.parse() == ProbeHappened(title=f"{prefix}-0", seq=0, thing_id=f"{prefix}-key-0")


async def test_requests_succeed_while_the_broker_is_unreachable_and_events_follow(
    probe, platform, db_pool, tmp_path
):
    broker_port, proxy = free_port(), None
    proxy = await TcpProxy(broker_port).start()
    # The broker advertises the proxy, so clients never bypass it after the first metadata.
    broker = EmbeddedBroker(broker_port, advertised_port=proxy.port, log_path=tmp_path / "b.log").start()
    settings = platform.model_copy(update={"kafka_bootstrap_servers": f"127.0.0.1:{proxy.port}",
                                           **broker.client_settings})
    try:
        await ensure_topics(settings, probe().topics_to_create(), partitions=3)
        prefix = f"outage-{uuid.uuid4().hex[:6]}"
        async with running(probe(), settings) as client:
            await eventually(lambda: client.app.state.runtime.relay.broker_up or None, timeout=10)
            await proxy.cut()
            await write_events(client.app.state.runtime.uow, prefix, 20, keys=4)
            pending = await db_pool.fetchval(
                "SELECT count(*) FROM probe.outbox WHERE published_at IS NULL AND convert_from(payload, 'UTF8') LIKE $1",
                f"%{prefix}%",
            )
            assert pending == 20
            ready = await eventually(lambda: _readyz_with_broker_down(client), timeout=30)
            assert ready.status_code == 200
            await asyncio.sleep(2)
            await proxy.restore()
            await eventually(lambda: _count(db_pool, prefix, 20), timeout=60)
            records = await collect(settings, TOPIC, count=20, where=titled(prefix))
        assert len(records) == 20
        assert len(await effects(db_pool, prefix)) == 20
    finally:
        await proxy.stop()
        broker.stop()


async def _readyz_with_broker_down(client):
    response = await client.get("/readyz")
    body = response.json()
    return response if body["broker"]["up"] is False and body["broker"]["last_error"] else None


async def _count(db_pool, prefix, expected):
    return len(await effects(db_pool, prefix)) >= expected


async def test_two_relays_neither_double_send_nor_reorder_an_aggregate(probe, platform, db_pool):
    prefix = f"replicas-{uuid.uuid4().hex[:6]}"
    await write_events(uow_factory(db_pool_probe := await db.create_pool(platform, "probe")),
                       prefix, 120, keys=6)
    relays = [OutboxRelay(db_pool_probe, platform, service="probe") for _ in range(2)]
    tasks = [asyncio.create_task(r.run()) for r in relays]
    try:
        records = await collect(platform, TOPIC, count=120, where=titled(prefix), timeout=30)
        assert sum(r.is_leader for r in relays) == 1
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for relay in relays:
            await relay.stop()
        await db_pool_probe.close()
    ids = [header(r, "ce_id") for r in records]
    assert len(ids) == 120 and len(set(ids)) == 120
    by_key = defaultdict(list)
    for record in records:
        by_key[record.key].append(ProbeHappened.model_validate_json(record.value).seq)
    assert len(by_key) == 6
    for seqs in by_key.values():
        assert seqs == sorted(seqs)


async def test_a_relay_dying_between_publish_and_mark_resends_and_the_inbox_absorbs_it(
    probe, platform, db_pool
):
    prefix = f"crash-{uuid.uuid4().hex[:6]}"
    crashes = []

    def crash_once(ids):
        if not crashes:
            crashes.append(ids)
            raise RuntimeError("relay died between publish and mark")

    async with running(probe(), platform, after_publish=crash_once) as client:
        await eventually(lambda: client.app.state.runtime.relay.is_leader or None)
        await write_events(client.app.state.runtime.uow, prefix, 5)
        await eventually(lambda: _count(db_pool, prefix, 5))
        await asyncio.sleep(1.5)  # let any duplicate arrive
        sent = await collect(platform, TOPIC, count=10, where=titled(prefix), timeout=5)
        assert crashes, "the crash point was never reached"
        assert len(sent) > 5, "the batch was not sent twice"
        assert sorted(e["seq"] for e in await effects(db_pool, prefix)) == [0, 1, 2, 3, 4]


async def test_a_row_committed_after_a_later_id_is_still_sent(probe, platform, db_pool):
    prefix = f"late-{uuid.uuid4().hex[:6]}"
    pool = await db.create_pool(platform, "probe")
    relay = OutboxRelay(pool, platform, service="probe")
    early = await db.connect(platform, "probe")
    try:
        tx = early.transaction()
        await tx.start()
        slow = Envelope.wrap(ProbeHappened(title=f"{prefix}-slow"), subject="a", org_unit=ORG)
        await early.execute(
            "INSERT INTO outbox (event_id, topic, record_key, event_type, headers, payload)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            slow.id, slow.topic, slow.key, slow.type,
            [k + "=" + v.decode() for k, v in slow.headers()], slow.value(),
        )
        await write_events(uow_factory(pool), f"{prefix}-fast", 1)  # a higher id, committed first
        while await relay.publish_batch():
            pass
        await tx.commit()
        while await relay.publish_batch():
            pass
        records = await collect(platform, TOPIC, count=2, where=titled(prefix))
        assert len(records) == 2
    finally:
        await early.close()
        await relay.stop()
        await pool.close()


async def _notifications_of(conn, channel: str) -> list:
    seen: list = []
    await conn.add_listener(channel, lambda *args: seen.append(args))
    return seen


async def test_a_commit_wakes_the_relay_leading_in_its_process_without_notify(probe, platform):
    """NOTIFY serialises every notifying commit of the database (a lock held to the end of the
    commit): where the relay leads, a commit wakes it directly and sends none."""
    prefix = f"local-{uuid.uuid4().hex[:6]}"
    slow_poll = platform.model_copy(update={"outbox_poll_interval_s": 60.0})
    pool = await db.create_pool(slow_poll, "probe")
    listener = await db.connect(slow_poll, "probe")
    relay = OutboxRelay(pool, slow_poll, service="probe")
    task = asyncio.create_task(relay.run())
    try:
        # leading here once its producer is up: from then on a commit here sends no NOTIFY
        await eventually(lambda: outbox.leads_here("probe") or None, timeout=30)
        notified = await _notifications_of(listener, db.outbox_channel("probe"))
        await write_events(uow_factory(pool), prefix, 3)
        # well inside the 60-second poll: the relay was woken by the commits themselves
        records = await collect(platform, TOPIC, count=3, where=titled(prefix), timeout=10)
        assert len(records) == 3
        await asyncio.sleep(0.2)
        assert notified == []
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await relay.stop()
        await listener.close()
        await pool.close()


async def test_a_commit_where_no_relay_leads_notifies(probe, platform):
    pool = await db.create_pool(platform, "probe")
    listener = await db.connect(platform, "probe")
    try:
        notified = await _notifications_of(listener, db.outbox_channel("probe"))
        await write_events(uow_factory(pool), f"elsewhere-{uuid.uuid4().hex[:6]}", 1)
        assert await eventually(lambda: notified or None, timeout=5)
    finally:
        await listener.close()
        await pool.close()
