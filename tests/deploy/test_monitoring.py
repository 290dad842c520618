"""Alerts and the dashboard, on Kubernetes as in compose: the alerts the operations guide
promises, each with its runbook; every series they read is one the services export; compose's
Prometheus loads the same rules; the dashboard ConfigMap is compose's JSON file itself."""

import json
import re

import pytest
import yaml
from liaison_shared import metrics
from prometheus_client.metrics import MetricWrapperBase

from .manifests import OVERLAYS, ROOT, build, of_kind

COMPOSE = ROOT / "deploy" / "compose"
OPERATIONS = ROOT / "docs" / "operations.md"
ALERTS = {"LiaisonOutboxBacklogGrowing", "LiaisonConsumerLagGrowing", "LiaisonDeadLetters", "LiaisonHttpErrors",
          "LiaisonHttpSlow", "LiaisonDeadlineSchedulerSilent", "LiaisonWorkingDayCalendarMissing"}
SUFFIXES = {"counter": ("_total", "_created"), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count", "_created")}


@pytest.fixture(scope="module", params=OVERLAYS)
def objects(request):
    return build(request.param)


def rules() -> list[dict]:
    return [rule for group in rule_groups() for rule in group["rules"]]


def rule_groups() -> list[dict]:
    return of_kind(build("prod"), "PrometheusRule")["cppcc-liaison"]["spec"]["groups"]


def exported() -> set[str]:
    names = set()
    for collector in vars(metrics).values():
        if isinstance(collector, MetricWrapperBase):
            for family in collector.describe():
                names |= {family.name + suffix for suffix in SUFFIXES[family.type]}
    return names


def series(expr: str) -> set[str]:
    return set(re.findall(r"\bliaison_[a-z_]+\b", expr))


def anchors(markdown: str) -> set[str]:
    """GitHub's anchors of the headings: lower case, spaces to dashes, punctuation dropped."""
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#+ (.+)$", markdown, re.MULTILINE)}


def test_the_promised_alerts_are_there_each_with_its_runbook():
    found = {rule["alert"]: rule for rule in rules()}
    assert set(found) == ALERTS
    headings = anchors(OPERATIONS.read_text())
    for name, rule in found.items():
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        url = rule["annotations"]["runbook_url"]
        assert url.split("#")[0].endswith("/docs/operations.md"), url
        assert url.split("#")[1] == name.lower() and name.lower() in headings, f"{name}: no runbook heading"


def test_every_series_the_alerts_and_dashboard_read_is_exported():
    have = exported()
    assert "liaison_events_dead_lettered_total" in have and "liaison_http_request_seconds_bucket" in have
    read = set().union(*(series(rule["expr"]) for rule in rules()))
    assert read - have == set(), "the alerts read series no service exports"
    dashboard = json.loads((COMPOSE / "grafana" / "dashboards" / "cppcc-liaison.json").read_text())
    shown = set().union(*(series(t["expr"]) for panel in dashboard["panels"] for t in panel.get("targets", [])))
    assert shown and shown <= have, shown - have


def test_compose_prometheus_loads_the_same_alerts():
    config = yaml.safe_load((COMPOSE / "prometheus" / "prometheus.yml").read_text())
    mounted = {volume.split(":")[1]: volume.split(":")[0]
               for volume in yaml.safe_load((COMPOSE / "compose.yaml").read_text())["services"]["prometheus"]["volumes"]}
    [rule_file] = config["rule_files"]
    assert mounted[rule_file] == "./prometheus/alerts.yml"
    compose = yaml.safe_load((COMPOSE / "prometheus" / "alerts.yml").read_text())
    assert compose == {"groups": rule_groups()}, \
        "deploy/compose/prometheus/alerts.yml is deploy/k8s/base/monitoring/alerts.yaml's spec: copy it over"


def test_prometheus_scrapes_every_service(objects):
    [monitor] = of_kind(objects, "ServiceMonitor").values()
    selector = monitor["spec"]["selector"]["matchLabels"]
    [endpoint] = monitor["spec"]["endpoints"]
    services = of_kind(objects, "Service")
    assert services
    for service in services.values():
        assert selector.items() <= service["metadata"]["labels"].items(), service["metadata"]["name"]
        assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    assert endpoint["path"] == "/metrics" and endpoint["honorLabels"] is True  # keep the series' own `service`


def test_the_dashboard_is_composes_file_labelled_for_the_grafana_sidecar(objects):
    dashboard = of_kind(objects, "ConfigMap")["cppcc-liaison-dashboard"]
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert dashboard["data"] == {"cppcc-liaison.json": (COMPOSE / "grafana" / "dashboards" / "cppcc-liaison.json")
                                 .read_text()}
    provider = yaml.safe_load((COMPOSE / "grafana" / "provisioning" / "dashboards" / "liaison.yml").read_text())
    assert dashboard["metadata"]["annotations"]["grafana_folder"] == provider["providers"][0]["folder"]


def test_the_scheduler_alert_names_the_job_that_reports():
    from feedback.handlers.deadlines import run_scheduler

    [rule] = [r for r in rules() if r["alert"] == "LiaisonDeadlineSchedulerSilent"]
    assert f'task="{run_scheduler.__name__}"' in rule["expr"] and 'service="feedback"' in rule["expr"]
