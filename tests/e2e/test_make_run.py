"""`make run`'s engine brings up all four services on the embedded default — and takes them down;
its demo data lets a newcomer walk the story without entering anything by hand."""

import asyncio
import time
from collections import defaultdict

import httpx
import pytest
from liaison_shared import registry
from liaison_shared.chinatime import today_in_china
from liaison_shared.settings import SERVICES, Settings
from liaison_tools.devstack import free_port
from liaison_tools.launcher import Launcher, _load_demo
from liaison_tools.testing import token_for

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


HUANGQUQIAO, DONGFENG, PINGLUO, CITY = "640221100000", "640221100201", "640221000000", "640200000000"


def _eventually(check, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def _department_names(settings: Settings) -> dict[str, str]:
    staff = token_for(settings, "staff", CITY)
    page = httpx.get(f"{settings.base_url_of('members')}/api/v1/departments?limit=500", headers=staff).json()
    return {d["id"]: d["name"] for d in page["items"]}


def test_the_demo_dispatch_catalogue_proposes_where_a_case_goes(stack):
    """A villager's 灌溉 case goes to the town government with the county's 水务局; a 社会保障 case,
    which no county department handles, to the city's 人社局 with 民政局."""
    _, settings = stack
    feedback = settings.base_url_of("feedback")
    names = _department_names(settings)
    town_staff = token_for(settings, "staff", HUANGQUQIAO)
    expected = {"水利": ("黄渠桥镇人民政府", ["平罗县水务局"]),
                "社会保障": ("石嘴山市人力资源和社会保障局", ["石嘴山市民政局"]),
                "教育": ("平罗县教育局", [])}
    for category, (lead, co) in expected.items():
        # no waiting: `make run` says ready once the demo's villages and departments reached feedback
        case = httpx.post(f"{feedback}/api/v1/opinions", json={
            "content": "村口灌溉渠堵塞，春灌前需要清淤", "org_unit": DONGFENG, "channel": "reception_day",
            "category": category})
        assert case.status_code == 201, case.text
        proposal = httpx.get(f"{feedback}/api/v1/opinions/{case.json()['id']}/dispatch-proposal",
                             headers=town_staff).json()
        assert proposal is not None, category
        assert names[proposal["lead_department"]] == lead
        assert [names[d] for d in proposal["co_departments"]] == co


def test_the_demo_has_a_filing_window_this_year(stack):
    _, settings = stack
    members, feedback = settings.base_url_of("members"), settings.base_url_of("feedback")
    staff = token_for(settings, "staff", PINGLUO)
    member = httpx.get(f"{members}/api/v1/members?limit=1&status=active", headers=staff).json()["items"][0]
    me = token_for(settings, "member", member["org_unit"], member_id=member["id"])

    def drafted():
        response = httpx.post(f"{feedback}/api/v1/proposals", headers=me, json={
            "committee": member["org_unit"], "year": today_in_china().year, "kind": "member",
            "title": "关于加快农田灌溉渠系改造的提案", "body": "东风村灌溉渠年久失修，建议纳入年度水利计划。"})
        return response if response.status_code == 201 else None

    proposal = _eventually(drafted)  # the member reaches feedback's registry projection first
    assert proposal is not None
    filed = httpx.post(f"{feedback}/api/v1/proposals/{proposal.json()['id']}/actions", headers=me,
                       json={"action": "file"})
    assert filed.status_code == 200, filed.text
    assert filed.json()["number"].startswith(f"{today_in_china().year}-")


def test_demo_reception_days_are_at_the_members_own_contact_points(stack):
    _, settings = stack
    members = settings.base_url_of("members")
    days = httpx.get(f"{members}/api/v1/reception-days?limit=500").json()
    assert days["total"] >= 100
    venues = {v["id"]: v for v in httpx.get(f"{members}/api/v1/venues?limit=500").json()["items"]}
    serving: dict[str, set[str]] = defaultdict(set)
    for day in days["items"]:
        venue = venues[day["venue_id"]]
        assert venue["kind"] == "contact_point" and venue["name"].endswith("党群服务中心"), venue
        assert not any(c.isdigit() for c in venue["name"]), venue["name"]
        assert day["starts_at"][:10] >= today_in_china().isoformat()
        if venue["org_unit"] not in serving:
            listed = httpx.get(f"{members}/api/v1/contact-points/{venue['org_unit']}/members?limit=500")
            assert listed.status_code == 200, listed.text  # public
            serving[venue["org_unit"]] = {m["id"] for m in listed.json()["items"]}
        assert day["member_id"] in serving[venue["org_unit"]], (day, venue)


def test_loading_the_demo_again_changes_nothing(stack):
    launcher, settings = stack
    settings = settings.model_copy(update={"database_url": launcher.env["DATABASE_URL"]})
    members = settings.base_url_of("members")
    before = httpx.get(f"{members}/api/v1/reception-days?limit=1").json()["total"]
    for name, spec in registry.specs().items():
        if spec.demo_data is not None:
            assert asyncio.run(_load_demo(spec, settings)) == "already loaded", name
    assert httpx.get(f"{members}/api/v1/reception-days?limit=1").json()["total"] == before


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
