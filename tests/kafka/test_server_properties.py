"""The launcher's server.properties say what deploy/compose says: nothing added, nothing dropped,
only addresses and the data directory moved to this machine."""

import re
from pathlib import Path

import pytest
import yaml
from liaison_tools.apache_kafka import ApacheKafka, cluster_id, property_name

COMPOSE = Path(__file__).resolve().parents[2] / "deploy" / "compose"
MOVED = {"node.id", "listeners", "advertised.listeners", "controller.quorum.voters", "log.dirs"}


def composes_kafka() -> tuple[dict, dict]:
    document = yaml.safe_load((COMPOSE / "compose.yaml").read_text())
    return document["x-kafka"]["environment"], {
        name: service["environment"] for name, service in document["services"].items()
        if name.startswith("kafka-")}


def dotenv(ha: bool) -> dict[str, str]:
    text = (COMPOSE / ".env.example").read_text()
    values = dict(re.findall(r"(?m)^([A-Z_]+)=(.*)$", text))
    if ha:
        values |= dict(re.findall(r"(?m)^# ha: ([A-Z_]+)=(.*)$", text))
    return values


def properties_of(kafka: ApacheKafka, tmp_path: Path) -> dict[int, dict[str, str]]:
    voters = [int(v.split("@")[0]) for v in kafka.values["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")]
    ports = {n: {"INTERNAL": 20000 + n, "CONTROLLER": 30000 + n} for n in voters}
    return {n: kafka.server_properties(n, ports, tmp_path / f"data-{n}") for n in voters}


def test_image_names_map_to_properties():
    assert property_name("KAFKA_LOG_DIRS") == "log.dirs"
    assert property_name("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR") == "transaction.state.log.min.isr"
    assert property_name("KAFKA_LISTENER_NAME_INTERNAL_SASL__ENABLED___MECHANISMS") == \
        "listener.name.internal.sasl_enabled-mechanisms"


@pytest.mark.parametrize("nodes", [1, 3])
def test_every_setting_of_compose_and_nothing_else(nodes, tmp_path):
    shared, services = composes_kafka()
    values = dotenv(ha=nodes == 3)
    expected = {property_name(k): re.sub(r"\$\{(\w+)\}", lambda m: values[m[1]], str(v))
                for k, v in shared.items()}
    written = properties_of(ApacheKafka(nodes, home=tmp_path), tmp_path)
    assert len(written) == nodes
    for node_id, properties in written.items():
        own = {property_name(k) for k in services[f"kafka-{node_id}"] if k not in shared}
        assert set(properties) == set(expected) | own, "a property compose does not set, or one missing"
        assert own <= MOVED
        for name, value in expected.items():
            if name not in MOVED:
                assert properties[name] == value, name
        assert properties["node.id"] == str(node_id)
        assert properties["log.dirs"] == str(tmp_path / f"data-{node_id}")


@pytest.mark.parametrize("nodes", [1, 3])
def test_addresses_keep_composes_listeners_and_voters(nodes, tmp_path):
    shared, services = composes_kafka()
    values = dotenv(ha=nodes == 3)
    for node_id, properties in properties_of(ApacheKafka(nodes, home=tmp_path), tmp_path).items():
        environment = services[f"kafka-{node_id}"]
        for prop, variable in (("listeners", "KAFKA_LISTENERS"), ("advertised.listeners", "KAFKA_ADVERTISED_LISTENERS")):
            names = [entry.split("://")[0] for entry in environment[variable].split(",")]
            assert [entry.split("://")[0] for entry in properties[prop].split(",")] == names
            assert all(entry.split("://")[1].startswith("127.0.0.1:") for entry in properties[prop].split(","))
        voters = properties["controller.quorum.voters"].split(",")
        assert [v.split("@")[0] for v in voters] == [v.split("@")[0] for v in values["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")]
        assert properties["controller.listener.names"] == shared["KAFKA_CONTROLLER_LISTENER_NAMES"]


def test_three_nodes_are_composes_ha_lines(tmp_path):
    properties = properties_of(ApacheKafka(3, home=tmp_path), tmp_path)[1]
    assert properties["default.replication.factor"] == "3"
    assert properties["min.insync.replicas"] == "2"
    assert properties["offsets.topic.replication.factor"] == "3"
    assert properties["auto.create.topics.enable"] == "false"
    single = properties_of(ApacheKafka(1, home=tmp_path), tmp_path)[1]
    assert single["default.replication.factor"] == "1" and single["min.insync.replicas"] == "1"


def test_compose_runs_the_version_the_tests_run(monkeypatch):
    """deploy/compose's image is the Apache Kafka these suites start (tools/kafka/pom.xml)."""
    from liaison_tools.apache_kafka import kafka_version

    monkeypatch.delenv("APACHE_KAFKA_VERSION", raising=False)
    document = yaml.safe_load((COMPOSE / "compose.yaml").read_text())
    assert document["x-kafka"]["image"] == f"${{IMAGE_REGISTRY}}/apache/kafka:{kafka_version()}"


def test_a_node_can_advertise_another_port(tmp_path):
    """The fault suite's proxy: the node listens on one port and tells clients another."""
    kafka = ApacheKafka(1, home=tmp_path, listen_ports={1: 20001}, advertised_ports={1: 40001})
    properties = properties_of(kafka, tmp_path)[1]
    assert "INTERNAL://127.0.0.1:20001" in properties["listeners"].split(",")
    assert properties["advertised.listeners"] == "INTERNAL://127.0.0.1:40001"


def test_a_cluster_id_never_reads_as_an_option():
    """One run in 64 drew an id beginning with '-' and kafka-storage took it for a flag (CI,
    stop 26); like Kafka's own Uuid.randomUuid, such draws are thrown away."""
    draws = iter([b"\xf8" + bytes(15), b"\xfb" + bytes(15), bytes(16)])
    assert cluster_id(lambda: next(draws)) == "AAAAAAAAAAAAAAAAAAAAAA"
    assert all(not cluster_id().startswith("-") for _ in range(2000))
