"""The shared kernel against an outside probe (issue 14), on real PostgreSQL and real processes:
database errors answered without the row, the rate limit behind uvicorn, and no start on the
development secrets outside development mode."""

import asyncio
import base64
import logging
import os
import subprocess
import sys
import uuid
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from fastapi import FastAPI
from liaison_shared.http import install_error_handlers
from liaison_tools.testing import ServiceProcess

PHONE, EMAIL = "13987654321", "malanhua@example.cn"


@pytest.fixture
async def people(db_pool):
    schema = f"shared_security_{uuid.uuid4().hex[:8]}"
    async with db_pool.acquire() as conn:
        await conn.execute(f"CREATE SCHEMA {schema}")
        await conn.execute(f"""CREATE TABLE {schema}.people (
            name text NOT NULL, phone text NOT NULL CHECK (phone ~ '^1[0-9]{{10}}$'), email text NOT NULL)""")
        await conn.execute(f"""CREATE FUNCTION {schema}.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'refused' USING DETAIL = 'row: ' || NEW.name || ', ' || NEW.phone; END $$""")
        await conn.execute(f"CREATE TABLE {schema}.guarded (name text, phone text)")
        await conn.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON {schema}.guarded FOR EACH ROW"
                           f" EXECUTE FUNCTION {schema}.refuse()")
    try:
        yield schema
    finally:
        async with db_pool.acquire() as conn:
            await conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _app(db_pool, schema: str) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/people")
    async def register(body: dict) -> dict:
        await db_pool.execute(f"INSERT INTO {schema}.people (name, phone, email) VALUES ($1, $2, $3)",
                              body.get("name"), body.get("phone"), body.get("email"))
        return {}

    @app.post("/guarded")
    async def guarded(body: dict) -> dict:
        await db_pool.execute(f"INSERT INTO {schema}.guarded (name, phone) VALUES ($1, $2)", body["name"], PHONE)
        return {}

    return app


async def _post(app: FastAPI, path: str, body: dict) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post(path, json=body)


async def test_a_null_or_a_broken_check_from_the_database_is_422_and_no_log_holds_the_row(db_pool, people, caplog):
    app = _app(db_pool, people)
    with caplog.at_level(logging.DEBUG):
        missing = await _post(app, "/people", {"name": "马兰花", "phone": PHONE, "email": None})
        malformed = await _post(app, "/people", {"name": "马兰花", "phone": "12", "email": EMAIL})
    assert (missing.status_code, malformed.status_code) == (422, 422)
    assert missing.json()["error"]["code"] == "invalid"
    for text in (caplog.text, missing.text, malformed.text):
        assert PHONE not in text and EMAIL not in text and "马兰花" not in text and "Failing row" not in text


async def test_an_unexpected_database_error_is_500_and_logged_without_its_detail(db_pool, people, caplog):
    with caplog.at_level(logging.ERROR):
        answer = await _post(_app(db_pool, people), "/guarded", {"name": "马兰花"})
    assert answer.status_code == 500
    assert "RaiseError" in caplog.text and "P0001" in caplog.text
    assert PHONE not in caplog.text and "马兰花" not in caplog.text


# --- the rate limit behind uvicorn, as `liaison serve` runs it --------------------------------

async def _public_statuses(url: str, forwarded: list[str]) -> list[int]:
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        # an empty body is refused (422) after the limit has counted it
        return [(await client.post("/api/v1/opinions", json={}, headers={"X-Forwarded-For": f})).status_code
                for f in forwarded]


@pytest.fixture
def feedback_process(platform, tmp_path):
    started = []

    def start(**env: str) -> ServiceProcess:
        service = ServiceProcess("feedback", platform, log_dir=tmp_path, PUBLIC_RATE_LIMIT_PER_MINUTE="2", **env)
        started.append(service)
        return service.start(timeout=120)

    yield start
    for service in started:
        service.stop()


async def test_rotating_forwarded_for_on_loopback_does_not_escape_the_limit(feedback_process):
    feedback = await asyncio.to_thread(feedback_process)
    assert await _public_statuses(feedback.url, ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"]) == [422, 422, 429, 429]


async def test_behind_a_trusted_proxy_citizens_are_counted_apart(feedback_process):
    feedback = await asyncio.to_thread(feedback_process, TRUSTED_PROXIES='["127.0.0.1/32"]')
    assert await _public_statuses(feedback.url, ["198.51.100.1", "198.51.100.2", "198.51.100.3"]) == [422] * 3
    assert await _public_statuses(feedback.url, ["198.51.100.1", "9.9.9.9, 198.51.100.1"]) == [422, 429]


# --- development secrets ------------------------------------------------------------------

def _serve_env(platform, **env: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("DEV_MODE", "AUTH_JWKS_URL", "DATA_MASTER_KEY", "AUDIT_HMAC_KEY")}
    return {**clean, "DATABASE_URL": platform.database_url, "KAFKA_BOOTSTRAP_SERVERS": platform.kafka_bootstrap_servers,
            "LOG_FORMAT": "text", **env}


def test_liaison_serve_on_the_development_secrets_stops_with_one_line(platform):
    done = subprocess.run([sys.executable, "-m", "liaison_shared.cli", "serve", "members"], capture_output=True,
                          text=True, timeout=120, env=_serve_env(platform, DEV_MODE="false"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "refusing to start" in lines[0] and "DEV_MODE" in lines[0], done.stderr


async def test_liaison_serve_with_real_secrets_starts(platform, db_pool, tmp_path):
    # a database of its own: this process seals with another audit key than the suite's
    database = f"liaison_realkeys_{uuid.uuid4().hex[:8]}"
    await db_pool.execute(f"CREATE DATABASE {database}")
    own = platform.model_copy(update={"database_url": urlunsplit(
        urlsplit(platform.database_url)._replace(path=f"/{database}"))})
    real = {"DEV_MODE": "false", "AUTH_JWKS_URL": "http://127.0.0.1:9/jwks.json",
            "DATA_MASTER_KEY": base64.b64encode(os.urandom(32)).decode(), "AUDIT_HMAC_KEY": uuid.uuid4().hex * 2}
    service = ServiceProcess("members", own, log_dir=tmp_path, **real)
    try:
        await asyncio.to_thread(service.start, timeout=120)
        assert (await asyncio.to_thread(httpx.get, f"{service.url}/healthz")).status_code == 200
    finally:
        service.stop()
        await db_pool.execute(f"DROP DATABASE {database} WITH (FORCE)")
