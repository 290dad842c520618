"""Every error under /open311/v2/ answers in GeoReport's shape, whatever raised it — the kernel's one
hook (ServiceSpec.error_formats) on feedback's real app, not only the façade's own refusals; and the
hotline import's row that the database refuses is that row's rejection. No I/O: the app is built, not
started, and the database errors are asyncpg's own classes."""

from types import SimpleNamespace

import asyncpg
import httpx
import pytest
from feedback.app import spec
from feedback.handlers import hotline
from liaison_shared.auth import Principal, Role
from liaison_shared.db import DatabaseUnavailable
from liaison_shared.errors import Conflict
from liaison_shared.service import create_app
from liaison_shared.settings import Settings

pytestmark = pytest.mark.unit

PHONE = "13912345678"


def _postgres_error(kind, sqlstate: str):
    return kind.new({"M": "invalid byte sequence for encoding \"UTF8\": 0x00", "C": sqlstate,
                     "D": f"Failing row contains (7, 马兰花, {PHONE})."}, query="INSERT INTO opinions VALUES ($1)")


def _app_raising(error: Exception):
    app = create_app(spec(), Settings(dev_mode=True))

    async def fail() -> None:
        raise error

    for prefix in ("/open311/v2", "/api/v1"):
        app.add_api_route(f"{prefix}/probe.json", fail, methods=["GET"])
    return app


def _georeport(answer: httpx.Response, status: int) -> str:
    body = answer.json()
    assert answer.status_code == status, answer.text
    assert body == [{"code": status, "description": body[0]["description"]}], answer.text
    assert body[0]["description"]
    return body[0]["description"]


@pytest.mark.parametrize("error, status", [
    (_postgres_error(asyncpg.exceptions.CharacterNotInRepertoireError, "22021"), 400),  # the database's 422
    (_postgres_error(asyncpg.exceptions.UniqueViolationError, "23505"), 409),
    (Conflict("request: not now"), 409),
    (DatabaseUnavailable("connection refused"), 503),
    (RuntimeError(f"a bug holding {PHONE}"), 500),
])
async def test_any_error_under_the_facade_is_a_georeport_and_elsewhere_the_platforms(error, status):
    transport = httpx.ASGITransport(app=_app_raising(error), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        facade = await client.get("/open311/v2/probe.json")
        platform = await client.get("/api/v1/probe.json")
    described = _georeport(facade, status)
    assert PHONE not in described and "Failing row" not in described
    assert platform.status_code == (422 if status == 400 else status)
    assert set(platform.json()) == {"error"}
    if status == 503:
        assert facade.headers["retry-after"] == platform.headers["retry-after"]


async def test_a_route_needing_the_database_before_it_is_there_is_a_georeport_500():
    """An app built but not started has no pool: a genuine unexpected error on a real route."""
    transport = httpx.ASGITransport(app=create_app(spec(), Settings(dev_mode=True)), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert _georeport(await client.get("/open311/v2/services.json"), 500) == "internal error"


class _RefusingUow:
    """A unit of work whose commit the database refuses, as it refused a NUL in a row's text."""

    def __init__(self, runs: list) -> None:
        self.runs = runs

    async def __aenter__(self):
        self.runs.append("begun")
        return SimpleNamespace(conn=None, writer=None)

    async def __aexit__(self, *exc) -> None:
        if exc[0] is None:
            raise _postgres_error(asyncpg.exceptions.CharacterNotInRepertoireError, "22021")


async def test_a_row_the_database_refuses_is_that_rows_rejection_and_the_next_rows_go_on(monkeypatch):
    runs: list = []

    async def units_named(conn):
        return []

    async def claim(conn, **kwargs):
        return None

    async def submit(uow, settings, data, **kwargs):
        return {"id": str(kwargs["opinion_id"])}

    async def record(writer, *args, **kwargs):
        return None

    monkeypatch.setattr(hotline.storage, "units_named", units_named)
    monkeypatch.setattr(hotline.storage, "claim", claim)
    monkeypatch.setattr(hotline.intake, "submit", submit)
    monkeypatch.setattr(hotline.opinions_storage, "record", record)
    runtime = SimpleNamespace(uow=lambda: _RefusingUow(runs), settings=None)
    staff = Principal(sub="staff-1", role=Role.STAFF, org="640221000000")
    rows = [(n, {"case_number": f"SZS{n}", "content": f"村口灌溉渠堵塞{n}", "org_unit": "640221100201",
                 "caller_name": "马兰花", "caller_phone": PHONE, "consent": True}) for n in (1, 2)]
    report = await hotline.import_cases(runtime, staff, rows)
    assert runs == ["begun", "begun"]  # the second row was tried after the first was refused
    assert (report["rows"], report["created"], report["rejected"]) == (2, 0, 2)
    for n, result in enumerate(report["results"], start=1):
        assert (result["row"], result["case_number"], result["outcome"]) == (n, f"SZS{n}", "rejected")
        assert result["reason"] and PHONE not in result["reason"] and "马兰花" not in result["reason"]
    assert all(r["opinion_id"] is None for r in report["results"])
