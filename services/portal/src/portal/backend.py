"""The four services, reached only through their public APIs (docs/api.md).

One ``httpx.AsyncClient`` per service. An error answer becomes ``ApiProblem`` with what the page
needs to say it in words next to the right field: status, code, message, the field the message
names, and ``Retry-After``.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from .settings import Backend, PortalSettings

SERVICES: tuple[Backend, ...] = ("members", "consultation", "feedback", "notify")
FIELD_IN_MESSAGE = re.compile(r"\b(?:body\.)?([a-z_]+)\b")


class ApiProblem(Exception):
    def __init__(self, status: int, code: str, message: str, retry_after: str | None = None,
                 field: str | None = None) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.retry_after, self.field = retry_after, field


def _problem(response: httpx.Response, fields: tuple[str, ...]) -> ApiProblem:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        error = {}
    message = str(error.get("message") or response.reason_phrase)
    named = error.get("field") or next((f for f in fields if re.search(rf"\b{re.escape(f)}\b", message)), None)
    return ApiProblem(response.status_code, str(error.get("code") or "error"), message,
                      response.headers.get("Retry-After"), named)


class Backends:
    def __init__(self, settings: PortalSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.clients = {
            name: httpx.AsyncClient(base_url=settings.backend_url(name), timeout=10, transport=transport)
            for name in SERVICES
        }

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()

    async def call(self, service: Backend, method: str, path: str, *, token: str | None = None,
                   client_ip: str | None = None, json: Any = None, params: dict | None = None,
                   fields: tuple[str, ...] = ()) -> Any:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if client_ip:
            # the services count public requests per client: behind the portal (a TRUSTED_PROXY) that
            # is the citizen's address, not the portal's
            headers["X-Forwarded-For"] = client_ip
        try:
            response = await self.clients[service].request(method, path, headers=headers, json=json,
                                                           params={k: v for k, v in (params or {}).items()
                                                                   if v not in (None, "")})
        except httpx.HTTPError as error:
            raise ApiProblem(503, "unreachable", f"{service}: {type(error).__name__}") from None
        if response.status_code >= 400:
            raise _problem(response, fields)
        return response.json() if response.content else None

    async def get(self, service: Backend, path: str, **kwargs: Any) -> Any:
        return await self.call(service, "GET", path, **kwargs)

    async def post(self, service: Backend, path: str, body: Any, **kwargs: Any) -> Any:
        return await self.call(service, "POST", path, json=body, **kwargs)
