"""The shared kernel's guards of issue 14: keyed audit hashes, database errors answered and
logged without row contents, the rate limit keyed on the real client, ASCII-only division
codes, and no start with development secrets outside development mode."""

import base64
import hashlib
import hmac
import io
import logging
import time
from types import SimpleNamespace

import asyncpg
import httpx
import jwt
import pytest
from fastapi import Depends, FastAPI
from liaison_shared import audit, logs
from liaison_shared.contracts.common import OrgCode
from liaison_shared.http import install_error_handlers
from liaison_shared.orgunits import is_valid_code
from liaison_shared.ratelimit import RateLimit, public_limit
from liaison_shared.service import (
    ServiceSpec,
    UnsafeSettings,
    create_app,
    refuse_development_secrets,
    server_options,
)
from liaison_shared.settings import DEV_AUTH_SECRET, Settings
from pydantic import TypeAdapter, ValidationError

pytestmark = pytest.mark.unit

ARABIC_INDIC_COUNTY = "٦٤٠٢٠٢٠٠٠٠٠٠"  # 640202000000 in Arabic-Indic digits
PHONE = "13912345678"
DEV = Settings(dev_mode=True)


def spec() -> ServiceSpec:
    return ServiceSpec(name="members", package="liaison_shared", description="probe")


# --- finding 4: the change hash is keyed --------------------------------------------------

def test_the_change_hash_of_a_known_body_needs_the_audit_key():
    body = f'{{"name":"马兰花","phone":"{PHONE}","content":"村口灌溉渠堵塞"}}'.encode()
    scope = {"method": "POST", "path": "/api/v1/opinions", "path_params": {}}
    key = "an-operator-audit-key-of-at-least-32-characters"
    token = audit.start(scope, audit.keyed(key))
    try:
        audit.current.get().body.update(body)
        row = audit.pending_row([SimpleNamespace(id="ev-1", type="cppcc.feedback.opinion.submitted.v1",
                                                 subject="op-1")])
    finally:
        audit.current.reset(token)
    change_hash = row[audit.COLUMNS.index("change_hash")]
    assert change_hash != hashlib.sha256(body + b"ev-1").hexdigest()  # not guessable from the body
    assert change_hash == hmac.new(key.encode(), body + b"ev-1", hashlib.sha256).hexdigest()


def test_a_block_seal_needs_the_audit_key():
    rows = [{"id": 1, "at": __import__("datetime").datetime(2026, 12, 1), "actor_sub": "s", "actor_role": "staff",
             "actor_org": "640221000000", "action": "POST /x", "resource": "/x", "resource_id": None,
             "trace_id": None, "change_hash": "0" * 64, "events": []}]
    assert audit.block_hash("k" * 32, audit.GENESIS, rows) != audit.block_hash("j" * 32, audit.GENESIS, rows)


# --- finding 11: database integrity errors ------------------------------------------------

def _failing_app(error: Exception) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/departments")
    async def create() -> None:
        raise error

    return app


def _postgres_error(kind, sqlstate: str):
    return kind.new({"M": 'null value in column "email" of relation "members" violates not-null constraint',
                     "D": f"Failing row contains (7, 马兰花, {PHONE}, null).", "C": sqlstate,
                     "n": "members_email_not_null", "t": "members"},
                    query="INSERT INTO members VALUES ($1, $2, $3, $4)")


@pytest.mark.parametrize("kind, sqlstate, status", [
    (asyncpg.exceptions.NotNullViolationError, "23502", 422),
    (asyncpg.exceptions.CheckViolationError, "23514", 422),
    (asyncpg.exceptions.ForeignKeyViolationError, "23503", 422),
    (asyncpg.exceptions.UniqueViolationError, "23505", 409),
    (asyncpg.exceptions.ExclusionViolationError, "23P01", 409),
])
async def test_integrity_errors_are_answered_without_the_row(kind, sqlstate, status, caplog):
    transport = httpx.ASGITransport(app=_failing_app(_postgres_error(kind, sqlstate)))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.post("/departments", json={})
    assert answer.status_code == status
    assert PHONE not in answer.text and "Failing row" not in answer.text
    assert PHONE not in caplog.text


async def test_an_unexpected_database_error_is_logged_by_class_sqlstate_and_constraint_only(caplog):
    error = _postgres_error(asyncpg.exceptions.RaiseError, "P0001")
    transport = httpx.ASGITransport(app=_failing_app(error))
    with caplog.at_level(logging.ERROR):
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answer = await client.post("/departments", json={})
    assert answer.status_code == 500
    logged = caplog.text + "".join(logging.Formatter().format(r) for r in caplog.records)
    assert "RaiseError" in logged and "P0001" in logged and "members_email_not_null" in logged
    assert PHONE not in logged and "Failing row" not in logged and "马兰花" not in logged


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_service_log_never_holds_a_database_errors_row(fmt):
    stream = io.StringIO()
    log = logging.getLogger(f"test.shared_security.{fmt}")
    log.addHandler(logs.handler("feedback", fmt, stream))
    log.propagate = False
    error = _postgres_error(asyncpg.exceptions.NotNullViolationError, "23502")
    try:
        log.error("dead-lettered %s: %s", "cppcc.feedback.opinion.submitted", error)
        log.warning(error)
        try:
            raise RuntimeError("handling failed") from error
        except RuntimeError:
            log.exception("handler failed")
    finally:
        log.handlers.clear()
    written = stream.getvalue()
    assert "NotNullViolationError" in written and "23502" in written and "members_email_not_null" in written
    assert PHONE not in written and "马兰花" not in written and "Failing row" not in written


# --- finding 12: the rate limit counts the real client ------------------------------------

def _limited_app(trusted: list[str]) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.state.public_limit = RateLimit(2, trusted_proxies=trusted)

    @app.post("/opinions", dependencies=[Depends(public_limit)])
    async def submit() -> dict:
        return {}

    return app


async def _statuses(app: FastAPI, peer: str, forwarded: list[str]) -> list[int]:
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return [(await client.post("/opinions", headers={"X-Forwarded-For": f})).status_code for f in forwarded]


async def test_rotating_forwarded_for_from_an_untrusted_peer_does_not_escape_the_limit():
    app = _limited_app(["10.0.0.0/8"])
    assert await _statuses(app, "127.0.0.1", ["1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4"]) == [200, 200, 429, 429]


async def test_behind_a_trusted_proxy_clients_are_counted_apart_and_cannot_forge_their_address():
    app = _limited_app(["10.0.0.0/8", "192.0.2.1"])
    # the ingress appends the address it saw; what the client wrote to the left is not believed
    assert await _statuses(app, "10.1.2.3", ["198.51.100.1", "9.9.9.9, 198.51.100.1",
                                             "8.8.8.8, 198.51.100.1, 192.0.2.1"]) == [200, 200, 429]
    assert await _statuses(app, "10.1.2.3", ["198.51.100.2", "198.51.100.3"]) == [200, 200]
    assert await _statuses(app, "::ffff:10.9.9.9", ["198.51.100.4", "198.51.100.4", "198.51.100.4"]) == [200, 200, 429]


def test_uvicorn_does_not_rewrite_the_peer_from_forwarded_headers():
    assert server_options(DEV, "members")["proxy_headers"] is False


# --- finding 13: ASCII digits only ----------------------------------------------------------

def test_a_code_in_arabic_indic_digits_is_no_division_code():
    assert is_valid_code("640202000000")
    assert not is_valid_code(ARABIC_INDIC_COUNTY)
    assert not is_valid_code("640202000000\n")
    with pytest.raises(ValidationError):
        TypeAdapter(OrgCode).validate_python(ARABIC_INDIC_COUNTY)


async def test_a_token_whose_org_is_in_arabic_indic_digits_is_401():
    now = int(time.time())
    token = jwt.encode({"sub": "admin-1", "role": "admin", "org": ARABIC_INDIC_COUNTY, "iss": DEV.auth_issuer,
                        "aud": DEV.auth_audience, "iat": now, "exp": now + 600}, DEV_AUTH_SECRET, algorithm="HS256")
    transport = httpx.ASGITransport(app=create_app(spec(), DEV))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.get("/api/v1/audit", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401


# --- finding 15: no development secrets outside development mode ----------------------------

REAL = {"auth_jwks_url": "https://issuer.example/jwks.json",
        "data_master_key": base64.b64encode(b"k" * 32).decode(),
        "audit_hmac_key": "an-operator-audit-key-of-at-least-32-characters"}


@pytest.mark.parametrize("development_value", ["auth_jwks_url", "data_master_key", "audit_hmac_key"])
async def test_a_service_refuses_to_start_on_a_development_secret_outside_development_mode(development_value):
    values = {k: v for k, v in REAL.items() if k != development_value}
    app = create_app(spec(), Settings(dev_mode=False, **values))  # built (OpenAPI, gates) but not started
    with pytest.raises(UnsafeSettings) as refused:
        async with app.router.lifespan_context(app):
            pass
    assert "\n" not in str(refused.value) and "DEV_MODE" in str(refused.value)
    assert development_value.upper() in str(refused.value)


def test_real_secrets_or_development_mode_pass_the_start_check():
    refuse_development_secrets(Settings(dev_mode=False, **REAL))
    refuse_development_secrets(DEV)
    with pytest.raises(UnsafeSettings):
        refuse_development_secrets(Settings(dev_mode=False, **{**REAL, "audit_hmac_key": "short"}))


def test_the_audit_mac_follows_the_crypto_suite():
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import hmac as crypto_hmac
    from liaison_shared.settings import Settings

    assert audit.mac_of(Settings(dev_mode=True)) == "hmac-sha256"
    assert audit.mac_of(Settings(dev_mode=True, crypto_suite="sm4-gcm")) == "hmac-sm3"
    mac = audit.keyed("k" * 32, "hmac-sm3")
    copy = mac.copy()
    copy.update(b"body")
    expected = crypto_hmac.HMAC(b"k" * 32, hashes.SM3())
    expected.update(b"body")
    assert copy.hexdigest() == expected.finalize().hex()
    assert mac.hexdigest() != copy.hexdigest(), "a copy does not share its state"


def test_the_urls_a_service_calls_are_not_logged_they_carry_tracking_codes(capsys):
    """A tracking code is a capability (whoever holds it reads and rates the case): the portal's
    call to /api/v1/track/{code} must not reach the log, as httpx logs each request at INFO."""
    from liaison_shared.logs import configure_logging

    configure_logging("portal", "INFO", "json")
    try:
        transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
        with httpx.Client(transport=transport) as client:
            client.get("http://feedback:8003/api/v1/track/YYV6MBCM7K46OENFEHVQ")
        logging.getLogger("portal.pages").info("a page was served")
    finally:
        logging.getLogger().handlers[:] = []
    err = capsys.readouterr().err
    assert "a page was served" in err  # the log works…
    assert "YYV6MBCM7K46OENFEHVQ" not in err  # …and holds no code


def test_a_connection_left_mid_operation_by_an_outage_counts_as_the_database_unavailable():
    """Seen in the fault suite: while PostgreSQL was stopped, a pooled connection whose last
    operation the outage cut off refused the next one ("cannot switch to state …; another
    operation … is in progress") — nothing was sent, so the answer is 503 and a retry, not 500."""
    from liaison_shared import db

    cut = asyncpg.exceptions.InternalClientError("cannot switch to state 12; another operation (2) is in progress")
    assert db.is_unavailable(cut)
    assert not db.is_unavailable(asyncpg.exceptions.InternalClientError("something else entirely"))
