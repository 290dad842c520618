"""The OpenAPI document as client generators read it: a bearer scheme and each operation's
``security``, operation ids named after the route functions, ids typed as UUIDs.

Whether an operation needs a token is read from its route's dependencies — every guard of
``auth`` ends in ``current_principal`` or ``notify_service`` — so the document cannot call a
route public that answers 401 without a token, or the reverse.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from . import auth

BEARER = "bearer"
BEARER_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "A JWT from the OIDC issuer (make token in development); its claims are in docs/api.md.",
}
GUARDS: tuple[Callable[..., Any], ...] = (auth.current_principal, auth.notify_service)


class _UuidFormat:
    """``format: uuid`` in the document only. Parsing stays a plain string: an id that is no
    UUID answers as one that does not exist (404), as before the format was written down."""

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["format"] = "uuid"
        return schema


UuidStr = Annotated[str, _UuidFormat()]


def operation_id(route: APIRoute) -> str:
    """``list_opinions``, ``act_on_topic``: the route function's name (unique per service; the
    unit tests check)."""
    return route.name


def needs_token(dependant: Dependant) -> bool:
    """A route's dependencies (``route.dependant``) include one of ``auth``'s guards."""
    # by identity: a dependency may be an unhashable callable object
    return any(any(d.call is guard for guard in GUARDS) or needs_token(d) for d in dependant.dependencies)


def install(app: FastAPI) -> None:
    """Serve the document with the bearer scheme and every operation's ``security``: the
    scheme where a token is needed, ``[]`` where none is."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _secure(app, build())
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


def _secure(app: FastAPI, document: dict[str, Any]) -> None:
    document.setdefault("components", {}).setdefault("securitySchemes", {})[BEARER] = BEARER_SCHEME
    paths = document.get("paths", {})
    # FastAPI keeps an included router as one route; its contexts are the routes as served,
    # with the prefix and the dependencies of every include.
    for route in routing.iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        security: list[dict[str, list[str]]] = [{BEARER: []}] if needs_token(route.dependant) else []
        for method in route.methods or ():
            operation = paths.get(route.path_format, {}).get(method.lower())
            if operation is not None:
                operation["security"] = security
