"""Which callers pass each route's gate, read from the routes' own dependencies.

The role × action matrix in ``docs/security.md`` is checked against this, so the document
cannot drift from the code (finer rules — scope, ownership, state — live in the handlers).
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.routing import APIRoute
from liaison_shared.service import ServiceSpec, create_app


def _dependencies(dependant) -> Iterator:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _dependencies(dependency)


def gate_of(route: APIRoute) -> str:
    roles, signed_in = None, False
    for call in _dependencies(route.dependant):
        name = getattr(call, "__qualname__", "")
        if name.startswith("require_roles"):
            roles = sorted(role.value for role in call.__closure__[0].cell_contents)
        elif name == "notify_service":
            return "notify service"
        elif name == "current_principal":
            signed_in = True
    if roles:
        return ", ".join(roles)
    return "signed in" if signed_in else "public"


def _api_routes(routes) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # FastAPI's included routers
            yield from _api_routes(route.original_router.routes)


def route_gates(spec: ServiceSpec) -> list[tuple[str, str, str]]:
    """``(method, path under /api/v1, gate)`` of every API route of a service."""
    app = create_app(spec)
    out = []
    for route in _api_routes(app.routes):
        if route.path in ("/healthz", "/readyz", "/metrics", "/asyncapi.json"):
            continue
        for method in sorted(route.methods or ()):
            out.append((method, route.path, gate_of(route)))
    return out
