"""`make run`'s engine brings up all four services on the embedded default — and takes them down."""

import time

import httpx
import pytest
from liaison_shared.devstack import free_port
from liaison_shared.launcher import Launcher
from liaison_shared.settings import SERVICES, Settings

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    ports = {f"{name.upper()}_PORT": str(free_port()) for name in SERVICES}
    ports["BROKER_PORT"] = str(free_port())
    ports["EMBEDDED_POSTGRES_PORT"] = str(free_port())
    settings = Settings(**{k.lower(): v for k, v in ports.items()})
    home = tmp_path_factory.mktemp("liaison-home")
    launcher = Launcher(settings, external_kafka=False, external_database=False, home=home,
                        extra_env=ports, echo=lambda text: None)
    started = time.monotonic()
    launcher.start()
    launcher.started_in = time.monotonic() - started
    yield launcher, settings
    launcher.stop()


def test_all_four_services_are_ready_within_a_minute(stack):
    launcher, settings = stack
    assert launcher.started_in < 60
    for name in SERVICES:
        response = httpx.get(f"{settings.base_url_of(name)}/readyz")
        assert response.status_code == 200, (name, response.text)
        assert response.json()["database"]["up"] is True


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_serves_metrics_openapi_and_asyncapi(stack, service):
    _, settings = stack
    base = settings.base_url_of(service)
    metrics = httpx.get(f"{base}/metrics")
    assert metrics.status_code == 200 and "liaison_http_requests_total" in metrics.text
    openapi = httpx.get(f"{base}/openapi.json").json()
    assert openapi["openapi"].startswith("3.") and "/readyz" in openapi["paths"]
    asyncapi = httpx.get(f"{base}/asyncapi.json").json()
    assert asyncapi["asyncapi"] == "3.0.0"
    titles = {m.get("title") or m.get("name") for m in asyncapi["components"]["messages"].values()}
    assert all(t and t.startswith("cppcc.") for t in titles), titles


def test_stopping_leaves_no_process_behind(tmp_path):
    ports = {f"{name.upper()}_PORT": str(free_port()) for name in SERVICES}
    ports["BROKER_PORT"] = str(free_port())
    ports["EMBEDDED_POSTGRES_PORT"] = str(free_port())
    settings = Settings(**{k.lower(): v for k, v in ports.items()})
    launcher = Launcher(settings, external_kafka=False, external_database=False, home=tmp_path,
                        extra_env=ports, echo=lambda text: None)
    launcher.start()
    processes = [*launcher.services.values(), launcher.broker.process, launcher.postgres.process]
    launcher.stop()
    assert all(p.poll() is not None for p in processes)
