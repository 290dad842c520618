"""deploy/k8s: every overlay builds with kustomize, its core objects validate against the
Kubernetes schemas and its custom resources against their operators' CRD schemas (kept in
tests/deploy/schemas), and its topics, users, ports and settings are the code's."""

import pytest
import yaml
from kubernetes_validate import validate
from liaison_shared import registry
from liaison_shared.service import all_topics
from liaison_shared.settings import SERVICES, Settings
from liaison_tools import strimzi
from portal.settings import PortalSettings

from .manifests import (
    K8S,
    OVERLAYS,
    SCHEMAS,
    build,
    closed,
    custom_resource_errors,
    of_kind,
    schema_path,
    settings_of,
)

CORE = {"Deployment", "Service", "Job", "ConfigMap", "NetworkPolicy", "PodDisruptionBudget", "ServiceAccount",
        "Namespace", "HorizontalPodAutoscaler"}
FIELDS = {name.upper() for name in Settings.model_fields}


@pytest.fixture(scope="module", params=OVERLAYS)
def overlay(request):
    return request.param, build(request.param)


def test_core_objects_validate_against_the_kubernetes_schemas(overlay):
    _, objects = overlay
    core = [o for o in objects if o["kind"] in CORE]
    assert len(core) > 15
    for obj in core:
        validate(obj, "1.32.0", strict=True)


def test_custom_resources_validate_against_their_crd_schemas(overlay):
    _, objects = overlay
    custom = [o for o in objects if o["kind"] not in CORE]
    kinds = {(o["apiVersion"], o["kind"]) for o in custom}
    assert {("kafka.strimzi.io/v1", "Kafka"), ("postgresql.cnpg.io/v1", "Cluster"),
            ("gateway.networking.k8s.io/v1", "HTTPRoute"), ("monitoring.coreos.com/v1", "PrometheusRule"),
            ("keda.sh/v1alpha1", "ScaledObject")} <= kinds
    missing = sorted(f"{api} {kind}" for api, kind in kinds if not schema_path(api, kind).exists())
    assert not missing, f"no schema kept for {missing}: see tests/deploy/schemas/README.md"
    for obj in custom:
        errors = custom_resource_errors(obj)
        assert not errors, f"{obj['kind']} {obj['metadata']['name']}: {errors}"


def test_a_closed_schema_refuses_what_the_crd_does_not_name():
    kafka = of_kind(build("prod"), "Kafka")["liaison"]
    assert custom_resource_errors(kafka) == []
    misspelt = {**kafka, "spec": {**kafka["spec"], "kafka": {**kafka["spec"]["kafka"], "listener": []}}}
    assert any("'listener' was unexpected" in e for e in custom_resource_errors(misspelt))
    nightly = of_kind(build("prod"), "ScheduledBackup")["liaison-db-nightly"]
    assert any("'pgbarman' is not one of" in e for e in custom_resource_errors(
        {**nightly, "spec": {**nightly["spec"], "method": "pgbarman"}}))
    assert closed({"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {}}) \
        .get("additionalProperties") is None


def test_the_operators_current_apis_are_used(overlay):
    _, objects = overlay
    strimzi_kinds = [o for o in objects if o["apiVersion"].startswith("kafka.strimzi.io/")]
    assert strimzi_kinds and {o["apiVersion"] for o in strimzi_kinds} == {"kafka.strimzi.io/v1"}
    cluster = of_kind(objects, "Cluster")["liaison-db"]["spec"]
    assert "backup" not in cluster, "backups go through the Barman Cloud plugin, not the in-tree barmanObjectStore"
    kafka = of_kind(objects, "Kafka")["liaison"]["spec"]["kafka"]
    versions = yaml.safe_load((SCHEMAS / "kafka.strimzi.io" / "kafka-versions.yaml").read_text())
    supported = {v["version"] for v in versions if v["supported"]}
    assert kafka["version"] in supported, f"Strimzi runs {sorted(supported)}"


def test_each_service_runs_as_the_code_says(overlay):
    name, objects = overlay
    deployments, services = of_kind(objects, "Deployment"), of_kind(objects, "Service")
    settings = settings_of(objects)
    assert set(settings) <= FIELDS, set(settings) - FIELDS
    assert set(deployments) == set(SERVICES) | {"portal"}
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
    assert set(of_kind(objects, "PodDisruptionBudget")) == set(SERVICES) | {"portal"}
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


def test_the_portal_runs_from_the_same_image_probed_budgeted_and_scaled_on_cpu(overlay):
    name, objects = overlay
    deployments = of_kind(objects, "Deployment")
    portal, members = deployments["portal"]["spec"], deployments["members"]["spec"]
    container = portal["template"]["spec"]["containers"][0]
    assert container["image"] == members["template"]["spec"]["containers"][0]["image"]
    assert container["args"] == ["portal"]
    port = PortalSettings().portal_port
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    assert of_kind(objects, "Service")["portal"]["spec"]["ports"][0]["port"] == port
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["resources"]["requests"] and container["resources"]["limits"]
    # no database, no broker: not a Kafka client, no service's secrets; its own cookie key
    assert "liaison/kafka-client" not in portal["template"]["metadata"]["labels"]
    secrets = [source["secret"]["name"] for volume in portal["template"]["spec"]["volumes"]
               if "projected" in volume for source in volume["projected"]["sources"]]
    assert secrets == ["liaison-portal-settings"]
    fields = {field.upper() for field in PortalSettings.model_fields}
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert set(env) <= fields | {"LIAISON_SECRETS_DIR"}
    reached = {**settings_of(objects), **env}
    for service in SERVICES:
        assert reached[f"{service.upper()}_URL"] == f"http://{service}:{Settings().port_of(service)}"
    hpa = of_kind(objects, "HorizontalPodAutoscaler")["portal"]["spec"]
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "portal"}
    assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu"]
    assert hpa["minReplicas"] == {"dev": 1, "prod": 3}[name] <= hpa["maxReplicas"]
    assert of_kind(objects, "PodDisruptionBudget")["portal"]["spec"]["selector"]["matchLabels"] == \
        {"app.kubernetes.io/name": "portal"}


def test_prod_is_replicated_encrypted_and_backed_up():
    objects = build("prod")
    settings = settings_of(objects)
    assert settings["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL" and settings["KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert settings["KAFKA_REPLICATION_FACTOR"] == "3"
    kafka = of_kind(objects, "Kafka")["liaison"]["spec"]["kafka"]
    assert kafka["config"]["min.insync.replicas"] == 2 and kafka["config"]["default.replication.factor"] == 3
    assert kafka["listeners"][0]["tls"] is True and kafka["authorization"]["type"] == "simple"
    assert of_kind(objects, "KafkaNodePool")["combined"]["spec"]["replicas"] == 3
    for topic in of_kind(objects, "KafkaTopic").values():
        assert topic["spec"]["replicas"] == 3 and topic["spec"]["config"]["min.insync.replicas"] == "2"
    plugin = of_kind(objects, "Cluster")["liaison-db"]["spec"]["plugins"][0]
    assert plugin["name"] == "barman-cloud.cloudnative-pg.io" and plugin["isWALArchiver"] is True
    store = of_kind(objects, "ObjectStore")[plugin["parameters"]["barmanObjectName"]]
    assert store["spec"]["retentionPolicy"] == "30d"
    nightly = of_kind(objects, "ScheduledBackup")["liaison-db-nightly"]["spec"]
    assert nightly["cluster"]["name"] == "liaison-db" and nightly["method"] == "plugin"
    assert nightly["pluginConfiguration"]["name"] == plugin["name"]


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


def test_the_database_server_is_given_what_the_platform_expects_in_every_overlay(overlay):
    from liaison_shared.db import SERVER_SETTINGS

    _, objects = overlay
    parameters = of_kind(objects, "Cluster")["liaison-db"]["spec"]["postgresql"]["parameters"]
    assert {name: parameters.get(name) for name in SERVER_SETTINGS} == SERVER_SETTINGS
