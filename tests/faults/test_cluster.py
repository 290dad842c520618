"""Three Apache Kafka nodes — replication 3, min.insync.replicas 2, as compose's ``# ha:``
lines describe production — under a steady load: the leader of the busiest partition killed
and back, a rolling restart, the controller quorum lost and regained. Each counts what was
lost and doubled as ``test_faults.py`` does, and prints its figures.

Only on Apache Kafka (``make test-kafka``): the module starts a cluster of its own, beside the
session's broker, which it leaves alone."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
import pytest
from liaison_tools.apache_kafka import ApacheKafka, Node
from liaison_tools.testing import eventually

from .conftest import (
    Stack,
    assert_nothing_lost_or_doubled,
    drive,
    figures,
    on_apache_kafka,
    platform_on,
)

pytestmark = pytest.mark.skipif(
    not on_apache_kafka(),
    reason="three brokers are Apache Kafka's (make test-kafka, or KAFKA_BOOTSTRAP_SERVERS set by"
           " `python -m liaison_tools.apache_kafka run`); the embedded broker is a single process")

OPINIONS = "cppcc.feedback.opinion"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    # started from this (the main) thread: a node dies with the thread that started it
    kafka = ApacheKafka(3).start()
    with platform_on(tmp_path_factory.mktemp("cluster"), kafka, kafka.bootstrap_servers,
                     replication_factor=kafka.replication_factor) as stack:
        yield stack


@pytest.fixture(scope="module")
def stack(cluster):
    """The stack of this module is the cluster's: fixtures of the suite that take a ``stack``
    (such as ``db_pool_faults``) use it."""
    return cluster


def kafka_of(stack: Stack) -> ApacheKafka:
    return stack.broker  # type: ignore[return-value]


async def partitions(stack: Stack, topic: str = OPINIONS) -> dict[int, dict]:
    """partition → {"leader", "replicas", "isr"} as the cluster's metadata has them now."""
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(**stack.settings.kafka_client_options(), request_timeout_ms=5000)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return {p["partition"]: {"leader": p["leader"], "replicas": sorted(p["replicas"]), "isr": sorted(p["isr"])}
            for p in described["partitions"]}


async def end_offsets(stack: Stack, topic: str = OPINIONS) -> dict[int, int]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(**stack.settings.kafka_client_options())
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not tps:
            await consumer._client.force_metadata_update()  # noqa: SLF001 — the topic's first sight
            tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return {tp.partition: offset for tp, offset in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()


async def unpublished(pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM feedback.outbox WHERE published_at IS NULL")


async def bring_back(stack: Stack, *nodes: Node, timeout: float = 120) -> None:  # noqa: ASYNC109 — its asserts say which step ran out of time
    """Start ``nodes`` again on their data and wait until each has started and every replica of
    the opinions' partitions is in sync again."""
    kafka = kafka_of(stack)
    marks = {}
    for node in nodes:  # from the loop's (main) thread, which outlives the nodes
        marks[node.node_id] = node.log_path.stat().st_size
        node.start(kafka.java, kafka.libs)

    def started(node: Node) -> bool:
        with open(node.log_path, "rb") as log:
            log.seek(marks[node.node_id])
            return b"Kafka Server started" in log.read()
    deadline = time.monotonic() + timeout
    while not all(started(node) for node in nodes):
        assert all(node.alive for node in nodes), [n.log_tail() for n in nodes if not n.alive]
        assert time.monotonic() < deadline, "a node did not start again"
        await asyncio.sleep(0.3)
    while True:
        with contextlib.suppress(Exception):  # metadata not available yet
            described = await partitions(stack)
            if all(p["isr"] == p["replicas"] and len(p["isr"]) == 3 for p in described.values()):
                return
        assert time.monotonic() < deadline, "replicas not back in sync"
        await asyncio.sleep(0.5)


async def test_the_leader_of_the_busiest_partition_killed_and_back(cluster):
    done = asyncio.Event()
    seen: dict = {}

    async def kill_then_return():
        await asyncio.sleep(5)
        offsets = await end_offsets(cluster)
        busiest = max(offsets, key=offsets.get)
        before = await partitions(cluster)
        leader = kafka_of(cluster).node(before[busiest]["leader"])
        seen.update({"partition": busiest, "end offsets": offsets, "killed leader": leader.node_id})
        leader.kill()  # SIGKILL

        async def new_leader():
            try:
                now = (await partitions(cluster))[busiest]
            except Exception:  # noqa: BLE001 — the client still asks the dead node: ask again
                return None
            return now if now["leader"] not in (leader.node_id, -1) else None
        seen["during"] = await eventually(new_leader, timeout=30, interval=0.5)
        await asyncio.sleep(6)  # the load goes on with two of three
        await bring_back(cluster, leader)
        seen["after"] = (await partitions(cluster))[busiest]
        await asyncio.sleep(3)
        done.set()

    load, _ = await asyncio.gather(drive(cluster, seconds=180, until=done), kill_then_return())
    print(f"\n[leader killed] {seen}")
    assert seen["during"]["leader"] != seen["killed leader"] and seen["killed leader"] not in seen["during"]["isr"]
    assert seen["killed leader"] in seen["after"]["isr"]  # it came back and caught up
    assert load.unreachable == load.timed_out == 0 and not load.refused, load
    assert_nothing_lost_or_doubled(await figures(cluster, load, timeout=120), load)


async def test_a_rolling_restart_of_all_three(cluster):
    done = asyncio.Event()
    order: list[int] = []

    async def roll():
        await asyncio.sleep(3)
        for node in kafka_of(cluster).nodes:
            await asyncio.to_thread(node.stop)  # SIGTERM: a controlled shutdown
            order.append(node.node_id)
            await bring_back(cluster, node)
        await asyncio.sleep(3)
        done.set()

    load, _ = await asyncio.gather(drive(cluster, seconds=300, until=done), roll())
    print(f"\n[rolling restart] nodes restarted in turn: {order}")
    assert order == [1, 2, 3]
    assert load.unreachable == load.timed_out == 0 and not load.refused, load
    assert_nothing_lost_or_doubled(await figures(cluster, load, timeout=120), load)


async def test_the_controller_quorum_lost_and_regained(cluster, db_pool_faults):
    """Two of three down: no quorum, no in-sync pair — nothing can be written; requests still
    succeed, the outbox holds every event, and once the nodes return every one arrives."""
    done = asyncio.Event()
    seen: dict = {"backlog": [], "broker_up": []}

    async def lose_then_regain():
        await asyncio.sleep(4)
        down = kafka_of(cluster).nodes[:2]
        for node in down:
            node.kill()  # SIGKILL
        async with httpx.AsyncClient(base_url=cluster.services["feedback"].url, timeout=5) as client:
            for _ in range(12):
                await asyncio.sleep(1)
                seen["backlog"].append(await unpublished(db_pool_faults))
                seen["broker_up"].append((await client.get("/readyz")).json()["broker"]["up"])
        await bring_back(cluster, *down)
        await asyncio.sleep(3)
        done.set()

    load, _ = await asyncio.gather(drive(cluster, seconds=300, until=done), lose_then_regain())
    print(f"\n[quorum lost] unpublished outbox rows each second: {seen['backlog']};"
          f" /readyz broker.up: {seen['broker_up']}")
    assert load.unreachable == load.timed_out == 0 and not load.refused, load  # the API never needed it
    assert seen["backlog"][-1] > seen["backlog"][len(seen["backlog"]) // 2] > seen["backlog"][0], seen
    assert seen["broker_up"][-1] is False, seen
    assert_nothing_lost_or_doubled(await figures(cluster, load, timeout=180), load)

    async def all_published():  # the rest too (rows written after the load, e.g. by notify)
        return await unpublished(db_pool_faults) == 0
    await eventually(all_published, timeout=30, interval=0.5)
