"""The Apache Kafka launcher: it fetches once, says in one line what is missing, starts one node
or a three-node cluster that behaves as compose's does, and leaves nothing running behind."""

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError
from liaison_tools import apache_kafka
from liaison_tools.apache_kafka import ApacheKafka
from liaison_tools.testing import eventually

JAVA = shutil.which("java")
runs_kafka = pytest.mark.skipif(
    JAVA is None or (apache_kafka.cached_libs() is None and shutil.which("mvn") is None),
    reason="Apache Kafka needs Java 17 (and Maven for the first fetch); make test-kafka fails without them",
)


def launcher(*args: str, path: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "liaison_tools.apache_kafka", *args],
        env={**os.environ, "PATH": path, **env}, capture_output=True, text=True, timeout=600,
    )


def only_java(tmp_path: Path) -> str:
    """A PATH holding java and nothing else (no mvn)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "java").symlink_to(os.path.realpath(JAVA))
    return str(bin_dir)


def test_without_java_it_fails_in_one_line_naming_what_to_install(tmp_path):
    done = launcher("run", "--", "true", path=str(tmp_path), TMPDIR=str(tmp_path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert "Java 17" in done.stderr and "install" in done.stderr
    assert not list(tmp_path.glob("liaison-kafka-*")), "a data directory left behind"


@pytest.mark.skipif(JAVA is None, reason="needs java to get as far as fetching")
def test_cold_cache_without_maven_fails_in_one_line_naming_maven(tmp_path):
    done = launcher("run", "--", "true", path=only_java(tmp_path), XDG_CACHE_HOME=str(tmp_path / "cold"))
    assert done.returncode == 2
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert "Maven" in done.stderr and "install" in done.stderr


@runs_kafka
def test_a_warm_cache_needs_no_maven(tmp_path):
    libs = apache_kafka.fetch()  # warm it, with mvn if it was cold
    done = launcher("fetch", path=only_java(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(libs)
    assert (libs / f"kafka_2.13-{apache_kafka.kafka_version()}.jar").is_file()


async def admin_of(bootstrap: str) -> AIOKafkaAdminClient:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    await admin.start()
    return admin


async def send_and_read_back(bootstrap: str, topic: str, count: int) -> list[bytes]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
                                request_timeout_ms=10_000)
    await producer.start()
    try:
        for i in range(count):
            await producer.send_and_wait(topic, f"{topic}-{i}".encode(), key=b"k")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        await consumer.seek_to_beginning(partition)
        values = []
        while len(values) < count:
            batch = await consumer.getmany(partition, timeout_ms=5000)
            assert batch, f"only {len(values)} of {count} read back"
            values += [r.value for r in batch[partition]]
        return values
    finally:
        await consumer.stop()


@runs_kafka
async def test_one_node_keeps_what_an_idempotent_producer_sent_and_creates_no_topic_by_itself():
    kafka = ApacheKafka(1).start()  # not in a worker thread: the nodes die with the thread that forked them
    try:
        assert kafka.env()["KAFKA_IDEMPOTENCE"] == "true" and kafka.env()["KAFKA_REPLICATION_FACTOR"] == "1"
        admin = await admin_of(kafka.bootstrap_servers)
        try:
            await admin.create_topics([NewTopic("made", num_partitions=1, replication_factor=1)])
        finally:
            await admin.close()
        assert await send_and_read_back(kafka.bootstrap_servers, "made", 20) == [f"made-{i}".encode() for i in range(20)]
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap_servers, request_timeout_ms=3000)
        await producer.start()
        try:
            with pytest.raises((KafkaError, TimeoutError)):  # auto.create.topics.enable=false, as in compose
                await asyncio.wait_for(producer.send_and_wait("never-created", b"x"), 10)
        finally:
            await producer.stop()
        admin = await admin_of(kafka.bootstrap_servers)
        try:
            assert "never-created" not in await admin.list_topics()
        finally:
            await admin.close()
        pids = [n.process.pid for n in kafka.nodes]
    finally:
        kafka.stop()
    assert not any([await asyncio.to_thread(Path(f"/proc/{pid}").exists) for pid in pids])
    assert not kafka.home.exists()


@runs_kafka
async def test_three_nodes_replicate_three_times_keep_two_in_sync_and_survive_their_leaders_loss():
    kafka = ApacheKafka(3).start()
    try:
        assert kafka.env()["KAFKA_REPLICATION_FACTOR"] == "3"
        assert kafka.brokers() == {1, 2, 3}
        admin = await admin_of(kafka.bootstrap_servers)
        try:
            await admin.create_topics([NewTopic("replicated", num_partitions=1, replication_factor=3)])

            async def described():
                partitions = (await admin.describe_topics(["replicated"]))[0]["partitions"]
                return partitions and partitions[0]["leader"] >= 0 and partitions[0]

            description = await eventually(described, timeout=30)
            configs = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "replicated")])
        finally:
            await admin.close()
        assert sorted(description["replicas"]) == [1, 2, 3]
        assert ("min.insync.replicas", "2") in {(c[0], c[1]) for c in configs[0].resources[0][4]}
        kafka.node(description["leader"]).kill()  # the partition's leader, without a goodbye
        survivors = ",".join(n.address for n in kafka.nodes if n.alive)
        sent = await asyncio.wait_for(send_and_read_back(survivors, "replicated", 10), 120)
        assert sent == [f"replicated-{i}".encode() for i in range(10)]
    finally:
        kafka.stop()
    assert not any(n.alive for n in kafka.nodes)


@runs_kafka
def test_nodes_die_with_their_launcher(tmp_path):
    serve = subprocess.Popen([sys.executable, "-m", "liaison_tools.apache_kafka", "serve"],
                             stdout=subprocess.PIPE, text=True)
    home = None
    try:
        line = serve.stdout.readline()
        assert "Apache Kafka" in line, line
        home = Path(re.search(r"data in (\S+)\)", line)[1])
        children = [int(p) for p in Path(f"/proc/{serve.pid}/task/{serve.pid}/children").read_text().split()]
        assert children
        serve.send_signal(signal.SIGKILL)
        serve.wait(10)
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(Path(f"/proc/{pid}").exists() for pid in children), "a broker outlived its launcher"
    finally:
        if serve.poll() is None:
            serve.kill()
        serve.wait()
        if home is not None:
            shutil.rmtree(home, ignore_errors=True)
