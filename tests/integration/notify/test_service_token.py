"""Notify's token from the issuer by client credentials, verified by its peers against the issuer's keys."""

import asyncio
import base64
import json
import time
import uuid
from urllib.parse import parse_qs

import jwt
import pytest
import pytest_asyncio
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from liaison_shared.contracts.consultation import SessionScheduled
from liaison_shared.events import Envelope
from liaison_shared.servicetoken import ServiceToken, TokenRefused
from liaison_tools.devstack import free_port
from liaison_tools.testing import (
    eventually,
    produce_raw,
    request_body,
    running,
    smtp_sink,
    token_for,
)
from pydantic import SecretStr

from .conftest import CITY, DONGFENG, PINGLUO

pytestmark = pytest.mark.integration

CLIENT_ID, CLIENT_SECRET = "notify", "s3cret-of-notify"


class Issuer:
    """A tiny OIDC issuer: its JWKS, and a token endpoint for the client-credentials grant."""

    def __init__(self, settings):
        self.settings, self.kid = settings, uuid.uuid4().hex[:8]
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.grants: list[dict] = []
        self.lifetime = 3600

    def token(self, **claims) -> str:
        now = int(time.time())
        return jwt.encode({"iss": self.settings.auth_issuer, "aud": self.settings.auth_audience, "iat": now,
                           "exp": now + self.lifetime, **claims}, self.key, algorithm="RS256",
                          headers={"kid": self.kid})

    def bearer(self, **claims) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**claims)}"}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        body = await request_body(receive)
        status, answer = 404, {}
        if scope["path"] == "/jwks":
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            status, answer = 200, {"keys": [{**jwk, "kid": self.kid, "use": "sig", "alg": "RS256"}]}
        elif scope["path"] == "/token" and scope["method"] == "POST":
            headers = dict(scope["headers"])
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            self.grants.append(form)
            expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if headers.get(b"authorization", b"").decode() != expected:
                status, answer = 401, {"error": "invalid_client"}
            elif form.get("grant_type") != "client_credentials":
                status, answer = 400, {"error": "unsupported_grant_type"}
            else:
                status, answer = 200, {"access_token": self.token(sub="service:notify", role="service", org=CITY),
                                       "token_type": "Bearer", "expires_in": self.lifetime}
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": json.dumps(answer).encode()})


@pytest_asyncio.fixture(scope="module")
async def issuer(platform):
    app = Issuer(platform)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    await eventually(lambda: server.started)
    app.url = f"http://127.0.0.1:{port}"
    yield app
    server.should_exit = True
    await task


def _client_of(issuer, settings, **changes):
    return settings.model_copy(update={
        "auth_token_url": f"{issuer.url}/token", "service_client_id": CLIENT_ID,
        "service_client_secret": SecretStr(CLIENT_SECRET), "notify_service_token": None, **changes})


async def test_the_token_comes_from_the_issuer_once_and_is_kept_until_near_its_expiry(issuer, platform):
    source = ServiceToken(_client_of(issuer, platform))
    before = len(issuer.grants)
    first, second = await asyncio.gather(source.get(), source.get())
    assert first == second and len(issuer.grants) == before + 1
    assert issuer.grants[-1] == {"grant_type": "client_credentials"}  # the secret went in the header only
    claims = jwt.decode(first, options={"verify_signature": False})
    assert claims["role"] == "service" and claims["sub"] == "service:notify"
    issuer.lifetime = 30  # shorter than the renewal margin: asked again at once
    try:
        short = ServiceToken(_client_of(issuer, platform))
        await short.get()
        await short.get()
        assert len(issuer.grants) == before + 3
    finally:
        issuer.lifetime = 3600


async def test_a_wrong_client_secret_is_a_clear_error_without_the_secret(issuer, platform):
    source = ServiceToken(_client_of(issuer, platform, service_client_secret=SecretStr("not-the-secret")))
    with pytest.raises(TokenRefused) as refused:
        await source.get()
    assert "HTTP 401" in str(refused.value) and "not-the-secret" not in str(refused.value)


async def test_notify_reaches_a_member_with_the_issuers_token_and_signs_none_itself(issuer, platform, service_specs):
    """Members verifies tokens against the issuer's JWKS only; the member's private address is
    read on its internal route with the token notify obtained by client credentials."""
    verified = {"auth_jwks_url": f"{issuer.url}/jwks"}
    with smtp_sink() as (mailbox, smtp_port):
        members_port = free_port()
        members_settings = platform.model_copy(update=verified)
        notify_settings = _client_of(issuer, platform, **verified, smtp_port=smtp_port,
                                     members_url=f"http://127.0.0.1:{members_port}",
                                     delivery_poll_interval_s=0.2)
        async with running(service_specs["members"], members_settings) as members:
            server = uvicorn.Server(uvicorn.Config(members.app, host="127.0.0.1", port=members_port,
                                                   log_config=None, lifespan="off"))
            task = asyncio.create_task(server.serve())
            await eventually(lambda: server.started)
            try:
                grants = len(issuer.grants)
                async with running(service_specs["notify"], notify_settings):
                    admin = issuer.bearer(sub="admin-1", role="admin", org=CITY)
                    tag = uuid.uuid4().hex[:6]
                    for code, name in [(CITY, "石嘴山市"), (PINGLUO, "平罗县")]:
                        await members.post("/api/v1/org-units", headers=admin, json={"code": code, "name": name})
                    sector = await members.post("/api/v1/sectors", headers=admin, json={
                        "org_unit": PINGLUO, "name": f"农业界({tag})", "category": "professional"})
                    assert sector.status_code == 201, sector.text
                    sector = sector.json()
                    member = (await members.post("/api/v1/members", headers=admin, json={
                        "name": "杨春梅", "sector_id": sector["id"], "org_unit": PINGLUO,
                        "email": f"ycm-{tag}@example.cn"})).json()
                    for title in ("黄渠桥镇灌溉议事会", "东风村道路议事会"):
                        event = SessionScheduled(session_id=str(uuid.uuid4()), topic_id=str(uuid.uuid4()),
                                                 org_unit=DONGFENG, title=title,
                                                 starts_at="2026-12-20T09:00:00+08:00", member_ids=[member["id"]])
                        envelope = Envelope.wrap(event, subject=event.session_id, org_unit=DONGFENG)
                        await produce_raw(platform, envelope.topic,
                                          [(envelope.key.encode(), envelope.value(), envelope.headers())])
                    mails = await eventually(lambda: len([m for m in mailbox.messages
                                                          if f"ycm-{tag}@example.cn" in m["to"]]) == 2, timeout=60)
                    assert mails
                    assert len(issuer.grants) == grants + 1  # one token, asked for once, served every message
                    # a development token is refused where the issuer's keys are the only ones
                    dev = token_for(platform, "service", CITY, sub="service:notify")
                    assert (await members.get(f"/api/v1/internal/members/{member['id']}/contact",
                                              headers=dev)).status_code == 401
            finally:
                server.should_exit = True
                await task
