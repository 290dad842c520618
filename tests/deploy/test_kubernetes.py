"""deploy/k8s: every overlay builds with kustomize, its core objects validate against the
Kubernetes schemas, and its topics, users, ports and settings are the code's."""

import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from liaison_shared import registry
from liaison_shared.service import all_topics
from liaison_shared.settings import SERVICES, Settings
from liaison_tools import strimzi

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
CORE = {"Deployment", "Service", "Job", "ConfigMap", "NetworkPolicy", "PodDisruptionBudget", "ServiceAccount",
        "Namespace"}
FIELDS = {name.upper() for name in Settings.model_fields}


def build(overlay: str) -> list[dict]:
    done = subprocess.run(["kubectl", "kustomize", str(K8S / "overlays" / overlay)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


@pytest.fixture(scope="module", params=["dev", "prod"])
def overlay(request):
    return request.param, build(request.param)


def of_kind(objects, kind):
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


def test_core_objects_validate_against_the_kubernetes_schemas(overlay):
    _, objects = overlay
    core = [o for o in objects if o["kind"] in CORE]
    assert len(core) > 15
    for obj in core:
        kubernetes_validate.validate(obj, "1.32.0", strict=True)
    for obj in objects:  # the operators' resources at least name themselves
        assert obj["apiVersion"] and obj["metadata"]["name"]


def test_each_service_runs_as_the_code_says(overlay):
    name, objects = overlay
    deployments, services = of_kind(objects, "Deployment"), of_kind(objects, "Service")
    settings = next(iter(of_kind(objects, "ConfigMap").values()))["data"]
    assert set(settings) <= FIELDS, set(settings) - FIELDS
    assert set(deployments) == set(SERVICES)
    for service in SERVICES:
        port = Settings().port_of(service)
        container = deployments[service]["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == ["serve", service]
        assert container["ports"] == [{"name": "http", "containerPort": port}]
        assert settings[f"{service.upper()}_PORT"] == str(port)
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert services[service]["spec"]["ports"][0]["port"] == port
        env = {e["name"] for e in container.get("env", [])}
        assert env <= FIELDS | {"LIAISON_SECRETS_DIR"}
    assert set(of_kind(objects, "PodDisruptionBudget")) == set(SERVICES)
    scaled = of_kind(objects, "ScaledObject")
    assert set(scaled) == set(SERVICES)
    for service, obj in scaled.items():
        kinds = [t["type"] for t in obj["spec"]["triggers"]]
        assert kinds == ["kafka", "cpu"]
        assert obj["spec"]["triggers"][0]["metadata"]["consumerGroup"] == f"cppcc-liaison.{service}"
    job = of_kind(objects, "Job")["liaison-migrate"]
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["init"]
    assert of_kind(objects, "Cluster")["liaison-db"]["spec"]["instances"] == (3 if name == "prod" else 1)
    assert len(of_kind(objects, "NetworkPolicy")) >= 4


def test_prod_is_replicated_and_encrypted():
    objects = build("prod")
    settings = next(iter(of_kind(objects, "ConfigMap").values()))["data"]
    assert settings["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL" and settings["KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert settings["KAFKA_REPLICATION_FACTOR"] == "3"
    kafka = of_kind(objects, "Kafka")["liaison"]["spec"]["kafka"]
    assert kafka["config"]["min.insync.replicas"] == 2 and kafka["config"]["default.replication.factor"] == 3
    assert kafka["listeners"][0]["tls"] is True and kafka["authorization"]["type"] == "simple"
    assert of_kind(objects, "KafkaNodePool")["combined"]["spec"]["replicas"] == 3
    for topic in of_kind(objects, "KafkaTopic").values():
        assert topic["spec"]["replicas"] == 3 and topic["spec"]["config"]["min.insync.replicas"] == "2"


def test_topics_and_users_in_the_manifests_are_the_codes():
    specs = registry.specs().values()
    assert (K8S / "base" / "kafka" / "topics.yaml").read_text() == strimzi.topics(specs, 6, 1), \
        "regenerate: liaison strimzi topics > deploy/k8s/base/kafka/topics.yaml"
    assert (K8S / "base" / "kafka" / "users.yaml").read_text() == strimzi.users(specs), \
        "regenerate: liaison strimzi users > deploy/k8s/base/kafka/users.yaml"
    objects = build("dev")
    named = {t["spec"]["topicName"] for t in of_kind(objects, "KafkaTopic").values()}
    assert named == set(all_topics(specs))
    public = {acl["resource"]["name"] for user in of_kind(objects, "KafkaUser").values()
              if user["metadata"].get("labels", {}).get("liaison/role") == "subscriber"
              for acl in user["spec"]["authorization"]["acls"] if acl["resource"]["type"] == "topic"}
    assert public and public <= named and not any(t.endswith(".dlq") for t in public)
    for user in of_kind(objects, "KafkaUser").values():
        for acl in user["spec"]["authorization"]["acls"]:
            if acl["resource"]["type"] == "topic" and acl["resource"]["patternType"] == "literal":
                assert acl["resource"]["name"] in named, acl
