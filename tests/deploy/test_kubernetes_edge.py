"""The way in on Kubernetes: a Gateway API route publishes exactly the code's public routes
and the portal's citizen pages — of its console only what a member's phone needs to check in
(``portal.app.MEMBER_PHONE_PAGES``) — over TLS, with request-rate limits at the edge, and the network
policy admits that gateway's proxies and nothing else from outside the namespace but Prometheus."""

import re

import pytest
from fastapi.routing import APIRoute
from liaison_shared import registry
from liaison_shared.service import create_app
from liaison_tools.gates import gate_of
from portal import app as portal
from portal.settings import PortalSettings

from .manifests import OVERLAYS, build, of_kind, settings_of

GATEWAY_NAMESPACE = "envoy-gateway-system"  # where Envoy Gateway runs a Gateway's proxies
OPERATIONAL = {"/healthz", "/readyz", "/metrics", "/asyncapi.json"}


@pytest.fixture(scope="module", params=OVERLAYS)
def objects(request):
    return build(request.param)


def _routes(routes, prefix=""):
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):  # FastAPI's included routers
            yield from _routes(route.original_router.routes, prefix + route.include_context.prefix)


def public_routes() -> set[tuple[str, str, str]]:
    """(service, method, path as the gateway matches it) of every route open to anyone."""
    out = set()
    for name, spec in registry.specs().items():
        for path, route in _routes(create_app(spec).routes):
            if path in OPERATIONAL or gate_of(route) != "public":
                continue
            matched = ("RegularExpression", re.sub(r"\{[^}]+\}", "[^/]+", path)) if "{" in path else ("Exact", path)
            out |= {(name, method, *matched) for method in route.methods}
    return out


def matched(path: str) -> tuple[str, str]:
    return ("RegularExpression", re.sub(r"\{[^}]+\}", "[^/]+", path)) if "{" in path else ("Exact", path)


def portal_pages() -> set[tuple[str, str, str, str]]:
    """The portal's citizen pages (its explicit list, ``portal.app.PUBLIC_ROUTERS``), the console's pages
    a member's phone checks in with (``portal.app.MEMBER_PHONE_PAGES``) and static files."""
    pages = {("portal", method, *matched(path)) for method, path in portal.public_pages() | portal.MEMBER_PHONE_PAGES}
    return pages | {("portal", "GET", "PathPrefix", prefix) for prefix in portal.PUBLIC_PREFIXES}


def test_the_portals_public_list_is_every_page_but_the_console():
    app = portal.create_app(PortalSettings(dev_mode=True))
    pages = {(method, path) for path, route in _routes(app.routes) for method in route.methods}
    public = portal.public_pages()
    assert ("POST", "/v/{code}/say") in public and ("GET", "/track/{code}") in public
    rest = pages - public
    assert rest and all(path.startswith("/console") or path in portal.OPERATIONAL for _, path in rest), \
        sorted(rest)
    assert not any(path.startswith("/console") for _, path in public)
    # of the console, only the member's check-in from a phone and the sign-in it needs: each is a page
    # the portal has, and none of staff's, nor the development sign-in's form
    phone = portal.MEMBER_PHONE_PAGES
    assert phone <= rest, sorted(phone - rest)
    assert {("GET", "/console/check-in"), ("POST", "/console/check-in"),
            ("GET", "/console/signin/callback")} <= phone
    assert ("POST", "/console/signin") in rest - phone
    assert not any(path.startswith("/console/check-in-codes") for _, path in phone)
    staff = {("GET", "/console/inbox"), ("GET", "/console/work"), ("GET", "/console/cases/{case_id}"),
             ("GET", "/console/check-in-codes"), ("GET", "/console/check-in-codes/{occasion}/{occasion_id}")}
    assert staff <= rest - phone


def published(route: dict, ports: dict[str, int]) -> set[tuple[str, str, str]]:
    out = set()
    for rule in route["spec"]["rules"]:
        [backend] = rule["backendRefs"]
        assert backend["port"] == ports[backend["name"]], backend
        for match in rule["matches"]:
            assert match.get("method"), f"{match}: every method of the path would pass"
            out.add((backend["name"], match["method"], match["path"]["type"], match["path"]["value"]))
    return out


def test_the_gateway_publishes_the_public_routes_and_nothing_else(objects):
    routes = of_kind(objects, "HTTPRoute")
    ports = {name: s["spec"]["ports"][0]["port"] for name, s in of_kind(objects, "Service").items()}
    code = public_routes()
    assert ("feedback", "POST", "Exact", "/api/v1/opinions") in code
    assert not any("/internal/" in path for *_, path in code)
    assert published(routes["liaison-public"], ports) == code | portal_pages()
    # of the console, the member's check-in from a phone and nothing else
    console = {(m, p) for _, m, _, p in published(routes["liaison-public"], ports) if p.startswith("/console")}
    assert console == portal.MEMBER_PHONE_PAGES
    # one backend per method and path: the portal's pages shadow no service's route
    claimed = [(m, t, p) for _, m, t, p in published(routes["liaison-public"], ports)]
    assert len(claimed) == len(set(claimed))


def test_nothing_behind_the_gateway_runs_in_development_mode(objects):
    # the published GET /console/signin would show the development sign-in: every unit, department
    # and member to choose from
    containers = [c for d in of_kind(objects, "Deployment").values()
                  for c in d["spec"]["template"]["spec"]["containers"]]
    set_here = [settings_of(objects).get("DEV_MODE")] + [e.get("value") for c in containers
                                                         for e in c.get("env", []) if e["name"] == "DEV_MODE"]
    assert all(value in (None, "false", "0") for value in set_here), set_here


def test_the_gateway_answers_over_tls_and_redirects_plain_http(objects):
    gateway = of_kind(objects, "Gateway")["liaison"]
    listeners = {listener["name"]: listener for listener in gateway["spec"]["listeners"]}
    https, http = listeners["https"], listeners["http"]
    assert https["protocol"] == "HTTPS" and https["port"] == 443
    assert https["tls"]["mode"] == "Terminate" and https["tls"]["certificateRefs"][0]["name"]
    routes = of_kind(objects, "HTTPRoute")
    for route in routes.values():
        [parent] = route["spec"]["parentRefs"]
        assert parent["name"] == "liaison"
        assert route["spec"]["hostnames"] == [https["hostname"]]
        if parent["sectionName"] == "http":
            [rule] = route["spec"]["rules"]
            assert "backendRefs" not in rule
            assert rule["filters"] == [{"type": "RequestRedirect",
                                        "requestRedirect": {"scheme": "https", "statusCode": 301}}]
    assert {r["spec"]["parentRefs"][0]["sectionName"] for r in routes.values()} == {"https", "http"}
    assert http["protocol"] == "HTTP"


def test_the_edge_limits_each_client_as_the_services_do(objects):
    policy = of_kind(objects, "BackendTrafficPolicy")["liaison-public-rate-limits"]["spec"]
    assert policy["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute",
                                     "name": "liaison-public"}]
    per_client = {}
    for rule in policy["rateLimit"]["global"]["rules"]:
        [selector] = rule["clientSelectors"]
        assert selector["sourceCIDR"]["type"] == "Distinct"  # a bucket per client address
        for method in selector["methods"]:
            per_client[method["value"], selector["sourceCIDR"]["value"]] = (rule["limit"]["requests"],
                                                                          rule["limit"]["unit"])
    writes = int(settings_of(objects).get("PUBLIC_RATE_LIMIT_PER_MINUTE", 30))
    for cidr in ("0.0.0.0/0", "::/0"):
        assert per_client["POST", cidr] == (writes, "Minute")
        assert per_client["GET", cidr][1] == "Minute" and per_client["GET", cidr][0] > writes
    assert policy["rateLimit"]["local"]["rules"]  # a ceiling per proxy, whoever sends


def test_only_the_gateways_proxies_and_prometheus_come_in_from_outside(objects):
    namespace = of_kind(objects, "Gateway")["liaison"]["metadata"]["namespace"]
    policies = of_kind(objects, "NetworkPolicy")
    route = of_kind(objects, "HTTPRoute")["liaison-public"]
    backends = {rule["backendRefs"][0]["name"]: rule["backendRefs"][0]["port"] for rule in route["spec"]["rules"]}
    [rule] = policies["liaison-ingress-gateway"]["spec"]["ingress"]
    [peer] = rule["from"]
    assert peer["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": GATEWAY_NAMESPACE}}
    assert peer["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "envoy",
        "gateway.envoyproxy.io/owning-gateway-name": "liaison",
        "gateway.envoyproxy.io/owning-gateway-namespace": namespace,
    }
    assert sorted(p["port"] for p in rule["ports"]) == sorted(backends.values())
    selected = policies["liaison-ingress-gateway"]["spec"]["podSelector"]["matchExpressions"]
    assert selected == [{"key": "app.kubernetes.io/name", "operator": "In", "values": sorted(backends, reverse=True)}]
    outside = {peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
               for policy in policies.values() for rule in policy["spec"].get("ingress", [])
               for peer in rule["from"] if "namespaceSelector" in peer}
    assert outside == {GATEWAY_NAMESPACE, "monitoring"}


def test_the_portal_learns_it_is_seen_from_the_internet(objects):
    # the gateway sets the header on every portal page it publishes (a client's own value replaced),
    # and on nothing else: the portal's pages then link to no console page the edge does not publish
    from portal.web import EDGE_HEADER

    route = of_kind(objects, "HTTPRoute")["liaison-public"]
    marked = {}
    for rule in route["spec"]["rules"]:
        sets = [h for f in rule.get("filters", []) if f["type"] == "RequestHeaderModifier"
                for h in f["requestHeaderModifier"].get("set", [])]
        marked[rule["backendRefs"][0]["name"]] = [(h["name"].lower(), h["value"]) for h in sets]
    assert marked.pop("portal") == [(EDGE_HEADER, "internet")]
    assert all(v == [] for v in marked.values()), marked
