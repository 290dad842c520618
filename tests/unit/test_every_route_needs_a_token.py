"""Every non-public route of every service answers 401 without a token — so a new route cannot slip.

Walks each service's OpenAPI document; the public routes are exactly those docs/api.md names:
opinion intake, tracking and rating by code, member cards and the members of a contact point,
reception days, reads of org units, sectors, venues and their sub-paths, and the open data
(plus the operational endpoints).
"""

import re

import httpx
import pytest
from liaison_shared import registry
from liaison_shared.service import create_app
from liaison_shared.settings import Settings

pytestmark = pytest.mark.unit

OPERATIONS = {"/healthz", "/readyz", "/metrics", "/asyncapi.json"}
PUBLIC = [
    ("POST", r"/api/v1/opinions"),
    ("GET", r"/api/v1/track/[^/]+"),
    ("POST", r"/api/v1/track/[^/]+/rating"),
    ("GET", r"/api/v1/members/[^/]+/card"),
    ("GET", r"/api/v1/contact-points/[^/]+/members"),
    ("GET", r"/api/v1/reception-days"),
    ("GET", r"/api/v1/(org-units|sectors|venues)(/.*)?"),
    ("GET", r"/api/v1/open-data/(figures|categories)"),
    ("GET", r"/api/v1/public/(outcomes|proposals)(/[^/]+)?"),
    ("GET", r"/api/v1/public/categories"),
    ("GET", r"/open311/v2/(services|requests)\.json"),
    ("GET", r"/open311/v2/(services|requests)/[^/]+\.json"),
    ("POST", r"/open311/v2/requests\.json"),
]


def is_public(method: str, path: str) -> bool:
    return path in OPERATIONS or any(m == method and re.fullmatch(p, path) for m, p in PUBLIC)


def all_routes():
    for name, spec in registry.specs().items():
        app = create_app(spec, Settings())
        for path, operations in app.openapi()["paths"].items():
            for method in operations:
                yield name, app, method.upper(), path


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "640221000000", path)


def test_the_public_routes_are_exactly_the_contracts():
    public = sorted(f"{name} {method} {path}" for name, _, method, path in all_routes()
                    if is_public(method, concrete(path)) and path not in OPERATIONS)
    assert public == [
        "consultation GET /api/v1/public/outcomes",
        "consultation GET /api/v1/public/outcomes/{outcome_id}",
        "feedback GET /api/v1/open-data/categories",
        "feedback GET /api/v1/open-data/figures",
        "feedback GET /api/v1/public/categories",
        "feedback GET /api/v1/public/proposals",
        "feedback GET /api/v1/public/proposals/{proposal_id}",
        "feedback GET /api/v1/track/{code}",
        "feedback GET /open311/v2/requests.json",
        "feedback GET /open311/v2/requests/{service_request_id}.json",
        "feedback GET /open311/v2/services.json",
        "feedback GET /open311/v2/services/{service_code}.json",
        "feedback POST /api/v1/opinions",
        "feedback POST /api/v1/track/{code}/rating",
        "feedback POST /open311/v2/requests.json",
        "members GET /api/v1/contact-points/{code}/members",
        "members GET /api/v1/members/{member_id}/card",
        "members GET /api/v1/org-units",
        "members GET /api/v1/org-units/{code}",
        "members GET /api/v1/reception-days",
        "members GET /api/v1/sectors",
        "members GET /api/v1/sectors/{sector_id}",
        "members GET /api/v1/sectors/{sector_id}/bridges",
        "members GET /api/v1/venues",
        "members GET /api/v1/venues/{venue_id}",
    ]


@pytest.mark.parametrize(("app", "method", "path"), [
    pytest.param(app, method, path, id=f"{name} {method} {path}")
    for name, app, method, path in all_routes() if not is_public(method, concrete(path))
])
async def test_a_non_public_route_answers_401_without_a_token(app, method, path):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.request(method, concrete(path), json={})
    assert response.status_code == 401, (method, path, response.text)
    assert response.json()["error"]["code"] == "unauthorized"
