"""Every GET route of every service reads through one snapshot (``Runtime.snapshot``: REPEATABLE
READ, read only), never the pool query by query — so a read made of several queries (the groups'
ranking and the scores beside it, a page and its total, a case and its history) cannot show one
consumer transaction half committed. The integration test of the defect is
tests/integration/members/test_groups.py::test_a_ranking_is_read_at_one_moment; this one keeps a
new route from reading the pool directly."""

import inspect

import pytest
from fastapi.routing import APIRoute
from liaison_shared import registry
from liaison_shared.service import create_app
from liaison_shared.settings import Settings

pytestmark = pytest.mark.unit


OPERATIONS = {"/healthz", "/readyz", "/metrics", "/asyncapi.json"}  # probes, not reads of data


def routes_of(routes):
    for route in routes:
        included = getattr(route, "original_router", None)  # a router included in the app
        if included is not None:
            yield from routes_of(included.routes)
        elif isinstance(route, APIRoute):
            yield route


def get_routes():
    for name, spec in registry.specs().items():
        for route in routes_of(create_app(spec, Settings()).routes):
            if "GET" in route.methods and route.path not in OPERATIONS:
                yield name, route


def test_no_get_route_reads_the_pool_directly():
    direct = [f"{name} {route.path} ({route.endpoint.__module__}.{route.endpoint.__name__})"
              for name, route in get_routes() if ".pool" in inspect.getsource(route.endpoint)]
    assert direct == []


def test_the_reads_go_through_the_snapshot():
    # the scan above sees the routes' code: were it empty, the first test would pass for nothing
    through = [route.path for _, route in get_routes() if ".snapshot()" in inspect.getsource(route.endpoint)]
    assert len(through) >= 80
