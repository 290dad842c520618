"""The Open311 GeoReport v2 façade (JSON), outside /api/v1 as civic apps expect it: services are
the category tree, requests are cases. Errors answer as GeoReport's: ``[{"code", "description"}]``
with the HTTP status (400 for a bad parameter, 403 for a key, 404, 405, 413, 429, 500, 503) —
every error under PREFIX, by the kernel's hook (``georeport_error``, the service's error format),
not only the refusals of these routes."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from liaison_shared import jsonbody
from liaison_shared.contracts.common import OrgCode
from liaison_shared.errors import ApiError, NotFound
from liaison_shared.openapi import UuidStr
from liaison_shared.ratelimit import RateLimit
from liaison_shared.service import runtime_of
from pydantic import ValidationError

from ..handlers import open311 as handlers
from ..schemas.common import Moment
from ..schemas.open311 import (
    Open311Error,
    RequestCreated,
    RequestIn,
    Service,
    ServiceDefinition,
    ServiceRequest,
)

MOST_IDS = 100
PREFIX = "/open311/v2"


def _where(errors: list) -> str:
    """The first problem, naming the parameter and never echoing its value."""
    first = errors[0] if errors else {}
    where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("query", "path", "body"))
    return f"{where or 'request'}: {first.get('msg', 'not valid')}"


def georeport_error(status: int, error: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    """The platform's error as GeoReport's, for every error under PREFIX (feedback's
    ``error_formats``): GeoReport says 400 for what the rest of the API calls 422, and a refused
    parameter is named as a civic app sent it (``end_date``, not ``query.end_date``)."""
    status = 400 if status == 422 else status
    details = error.get("details")
    described = _where(details) if isinstance(details, list) and details else str(error["message"])
    return status, [{"code": status, "description": described}]


_REFUSALS: list[tuple[int | str, str]] = [
    (400, "A parameter is missing or not valid"),
    (403, "api_key missing, not valid or revoked, or not for this jurisdiction"),
    (404, "No such service, request or jurisdiction"),
    (429, "Too many requests for this api_key; see Retry-After"),
    (503, "The database is unavailable; see Retry-After"),
    # stands in for FastAPI's own 422: the façade answers a bad parameter 400, as above
    ("4XX", "Any other refusal, in the same format"),
]
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": list[Open311Error], "description": description} for status, description in _REFUSALS
}
router = APIRouter(prefix=PREFIX, tags=["open311"], responses=ERRORS)


def _limit(request: Request, client_id: str) -> None:
    """Counted per api_key, in the process (as the public limit: per replica behind a balancer)."""
    state = request.app.state
    if getattr(state, "open311_limit", None) is None:
        state.open311_limit = RateLimit(runtime_of(request).settings.open311_rate_limit_per_minute)
    state.open311_limit.hit(client_id)


@router.get("/services.json", response_model=list[Service],
            summary="Open311: the categories a unit offers, as services (public)")
async def open311_services(request: Request, jurisdiction_id: OrgCode | None = None) -> list[dict]:
    """``jurisdiction_id``: a unit's 12-digit code; without it, the base tree every unit inherits."""
    async with runtime_of(request).snapshot() as conn:
        return await handlers.services(conn, jurisdiction_id)


@router.get("/services/{service_code}.json", response_model=ServiceDefinition,
            summary="Open311: a service's attributes (public)")
async def open311_service_definition(request: Request, service_code: str,
                                     jurisdiction_id: OrgCode | None = None) -> dict:
    async with runtime_of(request).snapshot() as conn:
        return await handlers.definition(conn, service_code, jurisdiction_id)


REQUEST_BODY = {
    "required": True,
    "content": {ctype: {"schema": RequestIn.model_json_schema(by_alias=True)}
                for ctype in ("application/x-www-form-urlencoded", "application/json")},
}


@router.post("/requests.json", response_model=list[RequestCreated], status_code=201,
             summary="Open311: hand in a case with an api_key (form-encoded or JSON)",
             openapi_extra={"requestBody": REQUEST_BODY})
async def open311_submit_request(request: Request) -> list[dict]:
    runtime = runtime_of(request)
    try:
        body = RequestIn.model_validate(await _fields(request))
    except ValidationError as invalid:  # read by hand (form or JSON): refused as a parameter of the route is
        raise RequestValidationError(invalid.errors(include_input=False, include_url=False)) from None
    client = await handlers.client_for(runtime.pool, body.api_key)
    _limit(request, client["id"])
    async with runtime.uow(write_only=True) as uow:  # inserts only, as the public intake
        created = await handlers.submit(uow, runtime.settings, client, body)
    return [created]


@router.get("/requests.json", response_model=list[ServiceRequest],
            summary="Open311: requests by id (anyone holding the ids), or a client's own with its api_key")
async def open311_requests(
    request: Request, api_key: str | None = None, service_request_id: str | None = None,
    service_code: str | None = None, start_date: Moment | None = None, end_date: Moment | None = None,
    status: str | None = None, jurisdiction_id: OrgCode | None = None,
) -> list[dict]:
    """GeoReport's query parameters; ``jurisdiction_id`` is accepted and changes nothing (a key's
    unit decides). Without ``service_request_id``, the caller's ``api_key`` lists what it handed in."""
    async with runtime_of(request).snapshot() as conn:
        if service_request_id:
            ids = [i.strip() for i in service_request_id.split(",") if i.strip()]
            if len(ids) > MOST_IDS:
                raise _Bad(f"service_request_id: at most {MOST_IDS} ids")
            return await handlers.requests_by_id(conn, ids)
        client = await handlers.client_for(conn, api_key)
        _limit(request, client["id"])
        wanted = {s.strip() for s in status.split(",")} if status else None
        if wanted is not None and not wanted <= {"open", "closed"}:
            raise _Bad("status: open or closed")
        codes = [c.strip() for c in service_code.split(",") if c.strip()] if service_code else None
        return await handlers.requests_of(conn, client, codes=codes, start=start_date, end=end_date, wanted=wanted)


@router.get("/requests/{service_request_id}.json", response_model=list[ServiceRequest],
            summary="Open311: one request by its id (public: the id is unguessable, the answer holds nothing "
                    "personal)")
async def open311_request(request: Request, service_request_id: UuidStr) -> list[dict]:
    async with runtime_of(request).snapshot() as conn:
        found = await handlers.requests_by_id(conn, [service_request_id])
    if not found:
        raise NotFound("service_request_id: no such request")
    return found


async def _fields(request: Request) -> dict[str, Any]:
    """The body as GeoReport sends it (form-encoded), or JSON: one value per field."""
    raw = await request.body()
    if request.headers.get("content-type", "").split(";")[0].strip() == "application/json":
        try:
            data = jsonbody.parse(raw or b"{}")
        except jsonbody.NotJson as broken:
            raise _Bad(f"body: {broken}") from None
        if not isinstance(data, dict):
            raise _Bad("body: a JSON object")
        return data
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Bad("body: not UTF-8") from None
    return {name: values[0] for name, values in parse_qs(text).items()}


class _Bad(ApiError):
    status, code = 400, "invalid"
