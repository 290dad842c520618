"""deploy/compose parses, and every service, port, command and setting it names is the code's."""

import re
from pathlib import Path

import yaml
from liaison_shared import registry
from liaison_shared.cli import app as cli
from liaison_shared.settings import SERVICES, Settings
from portal.settings import PortalSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose"
FIELDS = {name.upper() for name in Settings.model_fields}
PORTAL_FIELDS = {name.upper() for name in PortalSettings.model_fields}
COMPOSE_ONLY = {"LIAISON_IMAGE", "IMAGE_REGISTRY", "BASE_IMAGE", "PIP_INDEX_URL", "POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD", "COMPOSE_PROFILES",
                "KAFKA_CONTROLLER_QUORUM_VOTERS", "KAFKA_MIN_INSYNC_REPLICAS"}


def compose() -> dict:
    return yaml.safe_load((COMPOSE / "compose.yaml").read_text())


def env_example() -> tuple[dict[str, str], dict[str, str]]:
    """(compose's own variables, the services' settings) of .env.example, by its two sections."""
    own, settings = {}, {}
    section = own
    for line in (COMPOSE / ".env.example").read_text().splitlines():
        if line.startswith("# --- the services' settings"):
            section = settings
        match = re.match(r"^([A-Z0-9_]+)=(.*)$", line)
        if match:
            section[match[1]] = match[2]
    return own, settings


def test_the_services_and_their_ports_are_the_codes():
    services = compose()["services"]
    assert set(SERVICES) == set(registry.specs())
    assert set(SERVICES) <= set(services)
    defaults = Settings()
    _, settings = env_example()
    for name in SERVICES:
        service = services[name]
        assert service["command"] == ["serve", name]
        port = f"{name.upper()}_PORT"
        assert service["ports"] == [f"${{{port}}}:${{{port}}}"]
        assert settings[port] == str(defaults.port_of(name))
        assert service["environment"]["PROBE_PORT"] == f"${{{port}}}"
        assert "/readyz" in " ".join(service["healthcheck"]["test"])
        assert service["restart"] == "unless-stopped"
        assert service["depends_on"] == {"init": {"condition": "service_completed_successfully"}}


def test_every_setting_named_is_a_setting_and_every_variable_is_defined():
    own, settings = env_example()
    assert set(settings) <= PORTAL_FIELDS, set(settings) - PORTAL_FIELDS
    assert set(own) == COMPOSE_ONLY
    text = (COMPOSE / "compose.yaml").read_text()
    referenced = set(re.findall(r"\$\{([A-Z0-9_]+)\}", text))
    assert referenced <= set(own) | set(settings), referenced - set(own) - set(settings)
    for name, service in compose()["services"].items():
        for variable in (service.get("environment") or {}):
            if name in SERVICES:
                assert variable in FIELDS | {"PROBE_PORT"}, (name, variable)
            elif name == "portal":
                assert variable in PORTAL_FIELDS | {"PROBE_PORT"}, (name, variable)
    # what the services need to reach each other and Kafka and PostgreSQL is set
    for needed in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL", "DATA_MASTER_KEY", "MEMBERS_URL", "FEEDBACK_URL"):
        assert needed in settings


def test_the_portal_runs_from_the_same_image_in_front_of_the_four_services():
    portal = compose()["services"]["portal"]
    _, settings = env_example()
    assert portal["image"] == compose()["services"]["members"]["image"]
    assert portal["command"] == ["portal"]
    assert "portal" in {command.name for command in cli.registered_commands} | _plugin_commands()
    assert portal["ports"] == ["${PORTAL_PORT}:${PORTAL_PORT}"]
    assert settings["PORTAL_PORT"] == str(PortalSettings().portal_port)
    assert portal["environment"]["PROBE_PORT"] == "${PORTAL_PORT}"
    assert "/readyz" in " ".join(portal["healthcheck"]["test"])
    assert set(portal["depends_on"]) == set(SERVICES)
    # it reaches every service by its compose name; the session key is the operator's own
    reached = {**settings, **portal["environment"]}
    for name in SERVICES:
        assert reached[f"{name.upper()}_URL"] == f"http://{name}:{Settings().port_of(name)}"
    assert len(settings["PORTAL_SESSION_SECRET"]) >= 32


def _plugin_commands() -> set[str]:
    from importlib.metadata import entry_points

    return {entry.name for entry in entry_points(group="cppcc_liaison.commands")}


def test_kafka_single_and_three_broker_profiles():
    services = compose()["services"]
    brokers = [name for name in services if name.startswith("kafka-")]
    assert brokers == ["kafka-1", "kafka-2", "kafka-3"]
    assert "profiles" not in services["kafka-1"] and services["kafka-2"]["profiles"] == ["ha"]
    for name in brokers:
        assert services[name]["image"].startswith("${IMAGE_REGISTRY}/apache/kafka:")
        assert services[name]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert services[name]["environment"]["KAFKA_MIN_INSYNC_REPLICAS"] == "${KAFKA_MIN_INSYNC_REPLICAS}"
    text = (COMPOSE / ".env.example").read_text()
    assert "# ha: KAFKA_REPLICATION_FACTOR=3" in text and "# ha: KAFKA_MIN_INSYNC_REPLICAS=2" in text


def test_the_init_job_and_the_monitoring():
    services = compose()["services"]
    assert services["init"]["command"] == ["init"]
    assert "init" in {command.name or command.callback.__name__ for command in cli.registered_commands}
    assert services["postgres"]["image"].startswith("${IMAGE_REGISTRY}/postgres:")
    prometheus = yaml.safe_load((COMPOSE / "prometheus" / "prometheus.yml").read_text())
    targets = {t for job in prometheus["scrape_configs"] for c in job["static_configs"] for t in c["targets"]}
    assert targets == {f"{name}:{Settings().port_of(name)}" for name in SERVICES} | {
        f"portal:{PortalSettings().portal_port}"}
    import json

    dashboard = json.loads((COMPOSE / "grafana" / "dashboards" / "cppcc-liaison.json").read_text())
    expressions = " ".join(t["expr"] for panel in dashboard["panels"] for t in panel["targets"])
    for metric in ("liaison_events_published_total", "liaison_consumer_lag", "liaison_outbox_backlog",
                   "liaison_events_dead_lettered_total", "liaison_http_request_seconds_bucket", "liaison_feedback_rate"):
        assert metric in expressions, metric


def test_the_dockerfile_is_multi_stage_slim_and_not_root():
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", text, re.MULTILINE)
    base = re.search(r"^ARG BASE_IMAGE=(\S+)", text, re.MULTILINE)
    assert base and "-slim@sha256:" in base[1]
    assert stages == ["${BASE_IMAGE}", "${BASE_IMAGE}"]
    assert re.search(r"^USER 10001", text, re.MULTILINE)
    assert 'ENTRYPOINT ["liaison"]' in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "tests"} <= set(ignored)


def test_the_database_server_is_given_what_the_platform_expects():
    from liaison_shared.db import SERVER_SETTINGS

    command = compose()["services"]["postgres"]["command"]
    given = dict(command[i + 1].split("=", 1) for i, arg in enumerate(command) if arg == "-c")
    assert command[0] == "postgres" and {name: given.get(name) for name in SERVER_SETTINGS} == SERVER_SETTINGS
